/** The shapes of a table's presentation and the column/chart sets several families share. */
import type { ReportColumn } from '../../../../shared/api-report';

export interface RowStats {
  row: string;
  mean(key: string): number | undefined;
}

/** One claim: `a` should beat `b` (on `key`, higher is better unless `lowerIsBetter`); rows may be chosen from the table. */
interface ClaimSpec {
  text: string;
  key: string;
  /** a second key for `b` (e.g. post-hoc top-1 of the same row) */
  keyB?: string;
  a: string | ((rows: RowStats[]) => string | undefined);
  b: string | ((rows: RowStats[]) => string | undefined);
}

export interface ChartSpec {
  name: string;
  title: string;
  /** bars: one bar per row (mean) with each seed as a dot; curves: mean curve per row; scatter: x vs y per record */
  kind: 'bars' | 'curves' | 'scatter';
  key?: string;
  /** curves: which record curves (by name prefix) */
  curve?: string;
  /** curves: the figures right after each step, before its retraining (what the partition order changes) */
  beforeRetrain?: boolean;
  x?: string;
  y?: string;
  /** scatter: a second figure of the same records, drawn hollow */
  y2?: string;
}

export interface TableSpec {
  title: string;
  description: string;
  columns: ReportColumn[];
  charts: ChartSpec[];
  claims: ClaimSpec[];
}

export const col = (key: string, label: string, format: ReportColumn['format']): ReportColumn => ({ key, label, split: key.split('.')[0] as ReportColumn['split'], format });

export const quantColumns = [
  col('test.top1', 'test top-1', 'pct'),
  col('test.drop', 'test drop (float − quantized)', 'pp'),
  col('val.top1', 'val top-1', 'pct'),
  col('val.stepTop1BeforeRetrain', 'val top-1 right after each step (mean)', 'pct'),
  col('model.compressionRatio', 'compression (kernels)', 'ratio'),
  col('timings.seconds', 'wall per run', 'sec'),
];
export const quantCharts: ChartSpec[] = [
  { name: 'top1', title: 'test top-1 (bar: mean over seeds, dots: seeds)', kind: 'bars', key: 'test.top1' },
  { name: 'steps', title: 'val top-1 after every partition step, after retraining (mean over seeds)', kind: 'curves', curve: 'steps-' },
  { name: 'steps-before', title: 'val top-1 right after every partition step, before retraining (mean over seeds)', kind: 'curves', curve: 'steps-', beforeRetrain: true },
];
export const lowrankColumns = [
  col('test.top1', 'test top-1 of the row\'s net (TRP rows: cut, no fine-tune)', 'pct'),
  col('test.posthocTop1', 'test top-1, post-hoc SVD at the same ranks (no fine-tune)', 'pct'),
  col('test.baselineTop1', 'test top-1, baseline (same training)', 'pct'),
  col('val.top1', 'val top-1 of the row\'s net', 'pct'),
  col('model.speedup', 'speed-up (MACs)', 'ratio'),
  col('timings.seconds', 'wall per run', 'sec'),
];
export const lowrankCharts: ChartSpec[] = [
  { name: 'speedup', title: 'test top-1 against speed-up, every record (hollow: post-hoc SVD at the same ranks, no fine-tune)', kind: 'scatter', x: 'model.speedup', y: 'test.top1', y2: 'test.posthocTop1' },
  { name: 'top1', title: 'test top-1 of each row\'s net (bar: mean, dots: seeds)', kind: 'bars', key: 'test.top1' },
];
