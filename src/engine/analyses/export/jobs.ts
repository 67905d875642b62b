import { ExportConfig as ExportSchema, DiffConfig as DiffSchema, PtqConfig as PtqSchema, type ExportConfig, type DiffConfig, type DiffResult, type ExportResult, type PtqConfig, type PtqResult } from '../../../shared/api-export';
import type { JobAnalysis } from '../types';
import * as exporter from '../../export';
import * as diff from '../../export/diff';
import * as ptq from '../quant/ptq';

const exportJob: JobAnalysis<ExportConfig & { out: string }, ExportResult> = {
  parse: (c) => ExportSchema.parse(c) as ExportConfig & { out: string },
  run: (c, ctx) => exporter.run(c, ctx),
  // without an out folder the job writes into its own folder; export.save copies it elsewhere
  withDefaults: (c, jobDir) => ({ ...c, out: c.out ?? jobDir }),
  resultPaths: (_c, r) => r.reports.flatMap((x) => x.files),
};

const diffJob: JobAnalysis<DiffConfig, DiffResult> = {
  parse: (c) => DiffSchema.parse(c),
  run: (c, ctx) => diff.run(c, ctx),
};

// post-training quantization sits with export: it produces a deployable model from any format, no retraining
const ptqJob: JobAnalysis<PtqConfig, PtqResult> = {
  parse: (c) => PtqSchema.parse(c),
  run: (c, ctx) => ptq.run(c, ctx),
  resultPaths: (_c, r) => (r.modelPath ? [r.modelPath] : []),
};

/** Job kinds of the export capability: kind → analysis (registry.ts merges them). */
export const exportJobAnalyses: Record<string, JobAnalysis<any, any>> = { export: exportJob, diff: diffJob, ptq: ptqJob };
