/**
 * `layerlens report`: the tables, claims and charts of docs/results/ built from result records alone (no
 * network, no training). One table per record `table`; rows = configurations, cells = mean ± std over seeds.
 */
import type { ClaimCheck, ReportCell, ReportColumn, ReportResult, ReportRow, ReportTable, ResultRecord, Stat } from '../../../shared/api-report';
import type { NamedRecord } from '../../results/records';
import { renderChart } from './charts';
import { paperFigures } from './paper';
import { familyOf, specFor, type RowStats } from './tables';

/** A figure of a record by column key: `<val|test|model>.<metric>` or `timings.<name>`. */
export function valueOf(r: ResultRecord, key: string): number | undefined {
  const [part, name] = key.split('.', 2) as [string, string];
  if (part === 'timings') return r.timings[name];
  if (part === 'val' || part === 'test') return r.metrics[part][name];
  if (part === 'model') return r.metrics.model?.[name];
  return undefined;
}

/** mean and sample standard deviation (n − 1; 0 for a single seed) */
export function stat(xs: number[]): Stat {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, n };
}

function defaultColumns(records: ResultRecord[]): ReportColumn[] {
  const keys = new Set<string>();
  for (const r of records) {
    for (const split of ['test', 'val', 'model'] as const) for (const k of Object.keys(r.metrics[split] ?? {})) keys.add(`${split}.${k}`);
  }
  return [...keys].sort().map((key) => ({ key, label: key, split: key.split('.')[0] as ReportColumn['split'], format: 'num' as const }));
}

/** A claim's difference reads in pp where its key is a fraction column (pct or pp), else as is. */
export function claimUnit(key: string, columns: ReportColumn[]): ClaimCheck['unit'] {
  const format = columns.find((c) => c.key === key)?.format;
  return format === 'pct' || format === 'pp' ? 'pp' : 'num';
}

function claimCheck(spec: NonNullable<ReturnType<typeof specFor>>['claims'][number], rows: RowStats[], byRow: Map<string, ResultRecord[]>, columns: ReportColumn[]): ClaimCheck {
  const a = typeof spec.a === 'string' ? spec.a : spec.a(rows);
  const b = typeof spec.b === 'string' ? spec.b : spec.b(rows);
  const keyB = spec.keyB ?? spec.key;
  // only the seeds both rows have: a row still missing a seed does not shift the comparison
  const seedsOf = (row: string | undefined) => new Set((row === undefined ? [] : (byRow.get(row) ?? [])).map((r) => r.seed));
  const sa0 = seedsOf(a);
  const common = new Set([...seedsOf(b)].filter((x) => sa0.has(x)));
  const pick = (row: string | undefined, key: string) =>
    row === undefined
      ? []
      : (byRow.get(row) ?? [])
          .filter((r) => common.has(r.seed))
          .map((r) => valueOf(r, key))
          .filter((v): v is number => v !== undefined);
  const xa = pick(a, spec.key);
  const xb = pick(b, keyB);
  const base = { text: spec.text, key: spec.key === keyB ? spec.key : `${spec.key} vs ${keyB}`, better: a ?? '—', than: b ?? '—', unit: claimUnit(spec.key, columns) };
  if (!xa.length || !xb.length) return { ...base, diff: null, verdict: 'not measured', clear: false };
  const sa = stat(xa);
  const sb = stat(xb);
  const diff = sa.mean - sb.mean;
  return { ...base, diff, verdict: diff > 0 ? 'held' : 'did not hold', clear: Math.abs(diff) > Math.max(sa.std, sb.std) && sa.n > 1 && sb.n > 1 };
}

function buildTable(name: string, records: NamedRecord[]): ReportTable {
  const spec = specFor(name);
  const columns = spec?.columns ?? defaultColumns(records.map((r) => r.record));
  // rows in the order their first record sorts, which follows the file names
  const byRow = new Map<string, NamedRecord[]>();
  for (const r of records) byRow.set(r.record.row, [...(byRow.get(r.record.row) ?? []), r]);
  const rows: ReportRow[] = [...byRow].map(([row, recs]) => {
    const sorted = [...recs].sort((p, q) => p.record.seed - q.record.seed);
    const cells: ReportCell[] = columns.flatMap((c) => {
      const xs = sorted.map((r) => valueOf(r.record, c.key)).filter((v): v is number => v !== undefined);
      return xs.length ? [{ key: c.key, kind: 'measured' as const, ...stat(xs) }] : [];
    });
    return { row, seeds: sorted.map((r) => r.record.seed), cells, records: sorted.map((r) => r.name) };
  });
  const plain = new Map([...byRow].map(([row, recs]) => [row, recs.map((r) => r.record)]));
  const rowStats: RowStats[] = [...plain].map(([row, recs]) => ({
    row,
    mean: (key) => {
      const xs = recs.map((r) => valueOf(r, key)).filter((v): v is number => v !== undefined);
      return xs.length ? stat(xs).mean : undefined;
    },
  }));
  const charts = (spec?.charts ?? []).flatMap((c) => {
    const svg = renderChart(c, { rows: [...plain].map(([row, recs]) => ({ row, records: recs })), value: valueOf });
    return svg ? [{ name: c.name, title: c.title, file: `${name}-${c.name}.svg`, svg }] : [];
  });
  return {
    name,
    title: spec ? `${spec.title} (${name})` : name,
    description: spec?.description ?? 'No presentation spec for this table: every metric of its records.',
    columns,
    rows,
    seeds: [...new Set(records.map((r) => r.record.seed))].sort((a, b) => a - b),
    paper: paperFigures[familyOf(name)] ?? [],
    claims: (spec?.claims ?? []).map((c) => claimCheck(c, rowStats, plain, columns)),
    charts,
  };
}

/** Every table of the records, sorted by name. */
export function buildReport(records: NamedRecord[], recordsDir: string): Omit<ReportResult, 'skipped'> {
  const byTable = new Map<string, NamedRecord[]>();
  for (const r of records) byTable.set(r.record.table, [...(byTable.get(r.record.table) ?? []), r]);
  return { recordsDir, tables: [...byTable.keys()].sort().map((t) => buildTable(t, byTable.get(t)!)) };
}
