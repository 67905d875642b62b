/**
 * How each table family is presented: title, columns, charts and the papers' claims checked on it. Only the
 * presentation lives here; every number comes from the records. A table with no spec gets every metric.
 */
import type { ReportColumn } from '../../../shared/api-report';

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

const col = (key: string, label: string, format: ReportColumn['format']): ReportColumn => ({ key, label, split: key.split('.')[0] as ReportColumn['split'], format });

const quantColumns = [
  col('test.top1', 'test top-1', 'pct'),
  col('test.drop', 'test drop (float − quantized)', 'pp'),
  col('val.top1', 'val top-1', 'pct'),
  col('val.stepTop1BeforeRetrain', 'val top-1 right after each step (mean)', 'pct'),
  col('model.compressionRatio', 'compression (kernels)', 'ratio'),
  col('timings.seconds', 'wall per run', 'sec'),
];
const quantCharts: ChartSpec[] = [
  { name: 'top1', title: 'test top-1 (bar: mean over seeds, dots: seeds)', kind: 'bars', key: 'test.top1' },
  { name: 'steps', title: 'val top-1 after every partition step, after retraining (mean over seeds)', kind: 'curves', curve: 'steps-' },
  { name: 'steps-before', title: 'val top-1 right after every partition step, before retraining (mean over seeds)', kind: 'curves', curve: 'steps-', beforeRetrain: true },
];
const lowrankColumns = [
  col('test.top1', 'test top-1 of the row\'s net (TRP rows: cut, no fine-tune)', 'pct'),
  col('test.posthocTop1', 'test top-1, post-hoc SVD at the same ranks (no fine-tune)', 'pct'),
  col('test.baselineTop1', 'test top-1, baseline (same training)', 'pct'),
  col('val.top1', 'val top-1 of the row\'s net', 'pct'),
  col('model.speedup', 'speed-up (MACs)', 'ratio'),
  col('timings.seconds', 'wall per run', 'sec'),
];
const lowrankCharts: ChartSpec[] = [
  { name: 'speedup', title: 'test top-1 against speed-up, every record (hollow: post-hoc SVD at the same ranks, no fine-tune)', kind: 'scatter', x: 'model.speedup', y: 'test.top1', y2: 'test.posthocTop1' },
  { name: 'top1', title: 'test top-1 of each row\'s net (bar: mean, dots: seeds)', kind: 'bars', key: 'test.top1' },
];

/** the uniform row whose mean compression is nearest the DNQ row's: "at equal compression" */
const nearestUniform = (rows: RowStats[]): string | undefined => {
  const dnq = rows.find((r) => r.row.startsWith('DNQ policy, distance'))?.mean('model.compressionRatio');
  if (dnq === undefined) return undefined;
  return rows
    .filter((r) => r.row.startsWith('uniform') && r.mean('model.compressionRatio') !== undefined)
    .sort((p, q) => Math.abs(p.mean('model.compressionRatio')! - dnq) - Math.abs(q.mean('model.compressionRatio')! - dnq))[0]?.row;
};

/** table family (the table name without its `-<net>` suffix) → its presentation */
const tableSpecs: Record<string, TableSpec> = {
  dnq: {
    title: 'DNQ: the RL mixed-precision policy against uniform bits, distance against magnitude order',
    description:
      'Every row uses the same quantizer family (k-means per tensor), the same partition steps (50/75/87.5/100 %) and the same retraining budget; ' +
      'the uniform rows and the magnitude-order row are fixed policies run through the same progressive quantizer. The DNQ policy is searched on val; figures are reported on test.',
    columns: quantColumns,
    charts: quantCharts,
    claims: [
      { text: 'DNQ policy more accurate than the uniform policy nearest its compression', key: 'test.top1', a: 'DNQ policy, distance order', b: nearestUniform },
      { text: 'distance order loses less right after each partition step than magnitude order', key: 'val.stepTop1BeforeRetrain', a: 'DNQ policy, distance order', b: 'DNQ policy, magnitude order' },
      { text: 'distance order ends more accurate than magnitude order', key: 'test.top1', a: 'DNQ policy, distance order', b: 'DNQ policy, magnitude order' },
    ],
  },
  slq: {
    title: 'SLQ against INQ at 4 and 3 bits',
    description:
      'SLQ: k-means codebook, low-loss clusters first. INQ: powers-of-two codebook, largest magnitudes first. Same partition steps and retraining budget; reported on test.',
    columns: quantColumns,
    charts: quantCharts,
    claims: [4, 3].map((b) => ({ text: `SLQ beats INQ at ${b} bits`, key: 'test.top1', a: `SLQ ${b}-bit (k-means, cluster-loss order)`, b: `INQ ${b}-bit (powers of two, magnitude order)` })),
  },
  mlq: {
    title: 'MLQ: ternary with incremental layer compensation against all layers at once',
    description: 'Both rows ternarize every layer (3 k-means centroids, zero fixed) in the same two partition steps with the same retraining per step; reported on test.',
    columns: quantColumns,
    charts: quantCharts,
    claims: [{ text: 'incremental layer compensation beats ternarizing all layers at once', key: 'test.top1', a: 'MLQ ternary, incremental layer compensation', b: 'MLQ ternary, all layers at once' }],
  },
  trp: {
    title: 'TRP: with and without the nuclear norm, energy rule against the FLOPs-budget rule, against post-hoc SVD',
    description:
      'Baseline and TRP net are fine-tuned from the same start with the same seed and schedule; the TRP net is cut with no fine-tuning, the baseline is cut at the same ranks (same FLOPs) as the post-hoc comparison without fine-tuning. ' +
      'The post-hoc row with fine-tuning trains the start for 70 % of the epochs, cuts it at the ranks TRP+Nu reached for the same seed, and fine-tunes the factorised net for the remaining 30 % (same total epochs, same FLOPs).',
    columns: lowrankColumns,
    charts: lowrankCharts,
    claims: [
      { text: 'TRP+Nu beats TRP without the nuclear norm (2× budget)', key: 'test.top1', a: (rows) => rows.find((r) => r.row.startsWith('TRP+Nu,'))?.row, b: (rows) => rows.find((r) => r.row.startsWith('TRP without Nu'))?.row },
      { text: 'TRP+Nu (no fine-tune after the cut) beats post-hoc SVD with fine-tuning for the same total epochs', key: 'test.top1', a: (rows) => rows.find((r) => r.row.startsWith('TRP+Nu,'))?.row, b: (rows) => rows.find((r) => r.row.startsWith('post-hoc SVD'))?.row },
      { text: 'TRP+Nu beats post-hoc SVD at the same FLOPs (no fine-tune on either)', key: 'test.top1', keyB: 'test.posthocTop1', a: (rows) => rows.find((r) => r.row.startsWith('TRP+Nu,'))?.row, b: (rows) => rows.find((r) => r.row.startsWith('TRP+Nu,'))?.row },
    ],
  },
  zigzag: {
    title: 'Zigzag WSOD: all-at-once against the mEAS curriculum, feature masking, and both',
    description:
      'WSDDN + OICR refinement on the cluttered-digit benchmark (`layerlens wsod data` defaults: MNIST digits 0–4, 96×96, seed 1); every row trains with image labels only, ' +
      'the same total epochs and the same pre-trained backbone recipe; boxes are read only by evaluation. Settings were chosen on val; figures are reported on test. ' +
      'ρ columns: Spearman correlation of mEAS (train images, final detector) with the top box\'s IoU and with the generator\'s per-image difficulty.',
    columns: [
      col('test.mAP50', 'test mAP@0.5', 'pct'),
      col('test.corloc', 'test CorLoc', 'pct'),
      col('val.mAP50', 'val mAP@0.5', 'pct'),
      col('val.corloc', 'val CorLoc', 'pct'),
      col('model.spearmanIoU', 'ρ(mEAS, top-box IoU)', 'num'),
      col('model.spearmanDifficulty', 'ρ(mEAS, difficulty)', 'num'),
      col('timings.seconds', 'wall per run', 'sec'),
    ],
    charts: [
      { name: 'corloc', title: 'test CorLoc (bar: mean over seeds, dots: seeds)', kind: 'bars', key: 'test.corloc' },
      { name: 'map', title: 'test mAP@0.5 (bar: mean over seeds, dots: seeds)', kind: 'bars', key: 'test.mAP50' },
    ],
    claims: [
      { text: 'curriculum + masking beats all-at-once on CorLoc', key: 'test.corloc', a: 'both', b: 'all-at-once' },
      { text: 'curriculum + masking beats all-at-once on mAP@0.5', key: 'test.mAP50', a: 'both', b: 'all-at-once' },
      { text: 'the curriculum alone beats all-at-once on CorLoc', key: 'test.corloc', a: 'curriculum', b: 'all-at-once' },
      { text: 'masking alone beats all-at-once on CorLoc', key: 'test.corloc', a: 'masking', b: 'all-at-once' },
    ],
  },
  'headline-quant': {
    title: 'Headline quantization runs (LeNet-5 / MNIST, one seed each)',
    description: 'The earlier single-seed runs kept in results/headline/ (read through the headline adapter); the docs\' NOTES.md table shows the same records.',
    columns: quantColumns,
    charts: quantCharts,
    claims: [
      { text: 'MLQ layer compensation beats all at once (single seed)', key: 'test.top1', a: 'MLQ ternary, one layer per group', b: 'MLQ ternary, all layers at once' },
      { text: 'SLQ cluster-loss order beats WLQ code order (single seed)', key: 'test.top1', a: 'SLQ 4-bit, cluster-loss order', b: 'SLQ 4-bit, WLQ code order' },
    ],
  },
  'headline-trp': {
    title: 'Headline TRP runs (kept in results/headline/)',
    description: 'The earlier TRP runs with their λ, read through the headline adapter; docs/lowrank-experiments.md shows the same records.',
    columns: lowrankColumns,
    charts: lowrankCharts,
    claims: [],
  },
};

/** The spec of a table name: its family is the name without the `-<net>` suffix. */
export function specFor(table: string): TableSpec | undefined {
  const family = table.replace(/-(lenet|resnet8|resnet14|resnet20)$/, '');
  return tableSpecs[family];
}

export function familyOf(table: string): string {
  return table.replace(/-(lenet|resnet8|resnet14|resnet20)$/, '');
}
