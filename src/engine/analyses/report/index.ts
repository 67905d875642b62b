/** The report capability: records folder → tables (as data) → docs/results/. */
import { resolve } from 'node:path';
import type { ReportResult } from '../../../shared/api-report';
import { readRecords } from '../../results/records';
import { buildReport } from './build';
import { writeReport } from './markdown';

export function report(recordsDir: string): ReportResult {
  const dir = resolve(recordsDir);
  const skipped: string[] = [];
  return { ...buildReport(readRecords(dir, skipped), dir), skipped };
}

/** Regenerate docs/results/ from the records; with check, write nothing and return what would change. */
export function regenerate(recordsDir: string, outDir: string, opts: { check?: boolean } = {}): { report: ReportResult; changed: string[] } {
  const r = report(recordsDir);
  return { report: r, changed: writeReport(r, resolve(outDir), opts) };
}
