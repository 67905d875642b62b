/** The report capability: records folder → tables (as data) → docs/results/, and the prose docs' marker blocks. */
import { dirname, resolve } from 'node:path';
import type { ReportResult } from '../../../shared/api-report';
import { readRecords } from '../../results/records';
import { buildReport } from './build';
import { writeBlocks } from './blocks';
import { writeReport } from './markdown';

export function report(recordsDir: string): ReportResult {
  const dir = resolve(recordsDir);
  const skipped: string[] = [];
  return { ...buildReport(readRecords(dir, skipped), dir), skipped };
}

/**
 * Regenerate docs/results/ from the records, and the marker blocks of the docs of the repo that holds the records
 * folder (its parent; a folder elsewhere has none of those docs); with check, write nothing. `changed`: the
 * docs/results files that differ (or did), `blocks`: the docs whose marker blocks did.
 */
export function regenerate(recordsDir: string, outDir: string, opts: { check?: boolean } = {}): { report: ReportResult; changed: string[]; blocks: string[] } {
  const r = report(recordsDir);
  const changed = writeReport(r, resolve(outDir), opts);
  return { report: r, changed, blocks: writeBlocks(dirname(r.recordsDir), r.recordsDir, r, opts) };
}
