import type { InspectResult, JobRecord } from '../shared/api';

const fmtInt = (n: number) => n.toLocaleString('en-US');
const fmtNum = (n: number) => (Math.abs(n) >= 1e-3 || n === 0 ? n.toFixed(4) : n.toExponential(2));

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  // text columns (first and last) read left-aligned, numbers right-aligned
  const last = rows[0].length - 1;
  return rows
    .map((r) => r.map((c, i) => (i === 0 || (i === last && !/^[\d.%-]/.test(rows[1]?.[i] ?? '')) ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd())
    .join('\n');
}

export function formatInspect(r: InspectResult): string {
  const m = r.model;
  const head = `${m.name} (${m.format}), input ${m.inputShape.map((d) => d ?? '?').join('×')}: ${fmtInt(m.params)} params, ${fmtInt(m.flops)} FLOPs`;
  const rows = [
    ['layer', 'kind', 'weight shape', 'params', 'FLOPs', 'min', 'max', 'mean', 'std', 'sparsity'],
    ...r.layers.map((l) => [
      l.name,
      l.kind,
      l.weightShape.join('×'),
      fmtInt(l.params),
      fmtInt(l.flops),
      fmtNum(l.stats.min),
      fmtNum(l.stats.max),
      fmtNum(l.stats.mean),
      fmtNum(l.stats.std),
      (l.stats.sparsity * 100).toFixed(1) + '%',
    ]),
  ];
  return `${head}\n${table(rows)}`;
}

export function formatJobs(jobs: JobRecord[]): string {
  if (jobs.length === 0) return 'no jobs in this workspace';
  const rows = [
    ['id', 'kind', 'status', 'progress', 'created', 'note'],
    ...jobs.map((j) => [
      j.id,
      j.kind,
      j.status,
      `${Math.round(j.fraction * 100)}%`,
      new Date(j.createdAt).toISOString().replace('T', ' ').slice(0, 19),
      j.error ?? j.stage,
    ]),
  ];
  return table(rows);
}
