/**
 * The report part of the API contract: the result record every experiment run writes (results/**.json), and the
 * tables `layerlens report` and the Results view build from those records alone. api.ts merges it.
 */
import { z } from 'zod';

const name = z.string().min(1).max(200);
/** metric name → value; NaN / Infinity are not JSON and not allowed */
const MetricMap = z.record(z.string().min(1).max(100), z.number().finite());

/** A curve a chart draws (e.g. val top-1 after every partition step), and the split its y values are on. */
const Curve = z
  .object({
    split: z.enum(['val', 'test']),
    xLabel: z.string().max(100),
    yLabel: z.string().max(100),
    points: z.array(z.tuple([z.number().finite(), z.number().finite()])).max(10_000),
  })
  .strict();

/** The split sizes and seeds of the dataset the run used (SplitsInfo), recorded with every number. */
const RecordSplits = z
  .object({
    valFraction: z.number(),
    valSeed: z.number().int(),
    splitSeed: z.number().int(),
    nTrain: z.number().int(),
    nVal: z.number().int(),
    nTest: z.number().int(),
  });

/**
 * One experiment run = one JSON file. `table` + `row` place it in the report (a row is one configuration, its
 * seeds are its samples); metrics are per split: settings are chosen on `val`, reported on `test`; `model` holds
 * split-free figures (compression ratio, FLOPs, speed-up).
 */
export const ResultRecord = z
  .object({
    schema: z.literal(1),
    experiment: name,
    table: name,
    row: name,
    seed: z.number().int(),
    config: z.record(z.string(), z.unknown()),
    splits: RecordSplits.nullable(),
    metrics: z.object({ val: MetricMap, test: MetricMap, model: MetricMap.optional() }).strict(),
    curves: z.record(z.string().min(1).max(100), Curve).optional(),
    timings: z.record(z.string().min(1).max(100), z.number().finite()),
    backend: z.string().max(100),
    version: z.string().max(100),
    commit: z.string().max(100).nullable(),
    createdAt: z.string().max(100),
    /** where the run came from when it is not a record written by the writer (e.g. a results/headline file) */
    source: z.string().max(500).optional(),
  })
  .strict();
export type ResultRecord = z.infer<typeof ResultRecord>;

/** Methods of this capability: name → request schema. */
export const reportMethods = {
  /** every table of the report, as data (rows with their record names, paper figures beside measured ones) */
  'report.tables': z.object({ records: z.string().min(1).max(4096).optional() }).strict(),
  /** one record by name (its path under the records folder without .json) */
  'report.record': z.object({ name: z.string().min(1).max(1000), records: z.string().min(1).max(4096).optional() }).strict(),
} satisfies Record<string, z.ZodTypeAny>;

/** mean ± std over a row's seeds (std: sample standard deviation, 0 for one seed) */
export interface Stat {
  mean: number;
  std: number;
  n: number;
}

export interface ReportColumn {
  /** `<split>.<metric>`, e.g. test.top1, model.compressionRatio */
  key: string;
  label: string;
  split: 'val' | 'test' | 'model';
  format: 'pct' | 'pp' | 'ratio' | 'int' | 'num' | 'sec';
}

export interface ReportCell extends Stat {
  key: string;
  /** "measured here": from records; "paper": a number of the paper the table reproduces */
  kind: 'measured';
}

export interface ReportRow {
  row: string;
  seeds: number[];
  cells: ReportCell[];
  /** the record names behind this row, one per seed */
  records: string[];
}

/** A figure the paper reports for the same comparison (methods.md cites the source); never measured here. */
export interface PaperFigure {
  kind: 'paper';
  label: string;
  value: number;
  format: ReportColumn['format'];
  /** the setting it was measured in (network, dataset), which may differ from this table's */
  setting: string;
  /** section of ../shared/docs/methods.md the number is taken from */
  source: string;
}

/** A claim of the paper checked on this table: mean of `better` − mean of `than` on `key`, over the seeds both rows have. */
export interface ClaimCheck {
  text: string;
  key: string;
  better: string;
  than: string;
  diff: number | null;
  /** how `diff` reads: pp (×100) where the key is a pct/pp column (a fraction), else as is */
  unit: 'pp' | 'num';
  /** held: diff > 0; clear: diff exceeds the larger of the two rows' std */
  verdict: 'held' | 'did not hold' | 'not measured';
  clear: boolean;
}

interface ReportChart {
  name: string;
  title: string;
  /** the SVG file next to the table's markdown in docs/results/ */
  file: string;
  svg: string;
}

export interface ReportTable {
  name: string;
  title: string;
  description: string;
  columns: ReportColumn[];
  rows: ReportRow[];
  /** the distinct seeds of all rows */
  seeds: number[];
  paper: PaperFigure[];
  claims: ClaimCheck[];
  charts: ReportChart[];
}

export interface ReportResult {
  recordsDir: string;
  tables: ReportTable[];
  /** JSON files under the records folder that are not result records (no `schema` field): left out */
  skipped: string[];
}

export interface ReportResponses {
  'report.tables': ReportResult;
  'report.record': { name: string; file: string; record: ResultRecord };
}

/** A figure as the report and the Results view show it: pct as % (pp for differences), ratio as ×, sec as s; mean ± std when std is given. */
export function formatFigure(value: number, format: ReportColumn['format'], std?: number): string {
  const one = (x: number) => {
    if (format === 'pct' || format === 'pp') return (x * 100).toFixed(2);
    if (format === 'ratio') return x.toFixed(2);
    if (format === 'int') return Math.round(x).toLocaleString('en-US');
    if (format === 'sec') return x.toFixed(0);
    return Math.abs(x) >= 1000 ? Math.round(x).toLocaleString('en-US') : x.toPrecision(4);
  };
  const unit = format === 'pct' ? ' %' : format === 'pp' ? ' pp' : format === 'ratio' ? '×' : format === 'sec' ? ' s' : '';
  return std === undefined ? `${one(value)}${unit}` : `${one(value)} ± ${one(std)}${unit}`;
}
