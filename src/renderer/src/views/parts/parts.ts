/** Pure helpers of the Parts view (tested without a DOM). */
import type { PartsPattern, PartsRunView } from '@shared/api-parts';
import type { ScatterSet } from '../../components/charts/options-extra';

/** Response values mapped into [0, 1] over the chosen range [lo, hi] (values outside clip). */
export function rangeHeat(values: readonly number[], lo: number, hi: number): number[] {
  const span = hi > lo ? hi - lo : 1e-6;
  return values.map((v) => Math.min(1, Math.max(0, (v - lo) / span)));
}

/** The eigen-gap plot: the first `count` eigenvalues of the class's normalised Laplacian, and where the gap is largest. */
export function eigenSets(values: readonly number[], count = 20): { sets: ScatterSet[]; gapAt: number } {
  const v = values.slice(0, count);
  let gapAt = 1;
  for (let k = 1; k < v.length - 1; k++) if (v[k + 1] - v[k] > v[gapAt + 1] - v[gapAt]) gapAt = k;
  return { sets: [{ name: 'eigenvalue', line: true, points: v.map((y, i) => ({ x: i + 1, y })) }], gapAt: gapAt + 1 };
}

/** The class's affinity matrix in display order (seeds grouped by cluster) as heatmap rows, labelled by cluster. */
export function affinityRows(c: PartsRunView['classes'][number]): { labels: string[]; values: number[][] } {
  const n = c.order.length;
  return {
    labels: c.assign.map((q, i) => `c${q} · ${c.order[i]}`),
    values: Array.from({ length: n }, (_, i) => c.affinity.slice(i * n, (i + 1) * n)),
  };
}

/** A class's patterns: kept ones first by rank, then the others by score (already so ordered by the engine). */
export function classPatterns(v: PartsRunView, cls: number): PartsPattern[] {
  return v.patterns.filter((p) => p.class === cls);
}

/** MIL confidences as heatmap rows (round × bag), bags ordered by their last-round confidence, highest first. */
export function confidenceRows(confidence: number[][] | null): { rounds: string[]; bags: string[]; values: number[][] } {
  if (!confidence?.length) return { rounds: [], bags: [], values: [] };
  const last = confidence[confidence.length - 1];
  const order = last.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0]).map(([, i]) => i);
  return {
    rounds: confidence.map((_, r) => `round ${r + 1}`),
    bags: order.map((i) => String(i)),
    values: confidence.map((row) => order.map((i) => row[i])),
  };
}

export const detectorName = (v: PartsRunView, d: { index: number; class: number; cluster: number }) => `#${d.index} ${v.classNames[d.class] ?? d.class} · c${d.cluster}`;
