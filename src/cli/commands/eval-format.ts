/** Text output of `layerlens eval`: the task's metrics on the split it ran on. */
import type { EvalResult } from '../../shared/api-eval';

const pct = (v: number) => `${(v * 100).toFixed(2)} %`;
const LABELS: Record<string, string> = { top1: 'top-1', top5: 'top-5', mAP50: 'mAP@0.5', corloc: 'CorLoc', clipTop1: 'clip top-1' };

export function formatEval(r: EvalResult): string {
  const scalars = Object.entries(r.metrics).filter((e): e is [string, number] => typeof e[1] === 'number');
  const lines = [`${scalars.map(([k, v]) => `${LABELS[k] ?? k} ${pct(v)}`).join(' · ')} on ${r.n} ${r.split} images (backend ${r.backend})`];
  const per = r.metrics.perClass as (number | null)[] | undefined;
  if (per) {
    const w = Math.max(...r.classNames.map((c) => c.length));
    lines.push('per class:', ...per.map((v, c) => `  ${r.classNames[c].padEnd(w)}  ${v === null ? '   –' : pct(v).padStart(8)}`));
  }
  const m = r.metrics.confusion as number[][] | undefined;
  if (m) {
    const w = Math.max(4, ...m.flat().map((v) => String(v).length + 1));
    lines.push('confusion (rows: true class, columns: predicted):', ...m.map((row) => row.map((v) => String(v).padStart(w)).join('')));
  }
  return lines.join('\n');
}
