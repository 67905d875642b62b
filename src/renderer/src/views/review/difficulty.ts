/** Pure helpers of the Difficulty view: a class's gallery order, group boundaries, rank movement, chart sets. */
import type { RankedItem, WsodRankings } from '@shared/api-wsod';
import type { ScatterSet } from '../../components/charts/options-extra';

/** The class's items, easiest first (the engine's rank), with where each difficulty group starts. */
export function classGallery(r: WsodRankings, cls: number): { items: RankedItem[]; groupStarts: number[] } {
  const items = r.items.filter((i) => i.class === cls).sort((a, b) => a.rank - b.rank);
  const groupStarts = items.flatMap((it, k) => (k === 0 || it.group !== items[k - 1].group ? [k] : []));
  return { items, groupStarts };
}

/** Positions gained between the first and the last curriculum stage (positive: ranked easier later); null without stages. */
export function rankMove(it: RankedItem): number | null {
  const s = it.rankByStage;
  // -1: not ranked at that stage
  return s && s.length > 1 && s[0] >= 0 && s[s.length - 1] >= 0 ? s[0] - s[s.length - 1] : null;
}

/** EAS over τ as one line. */
export function easSet(it: RankedItem, taus: number[]): ScatterSet[] {
  return [{ name: `EAS · ${it.image}`, line: true, points: taus.map((t, k) => ({ x: t, y: it.eas[k] ?? 0 })) }];
}

/** mEAS against top-box IoU, one set per difficulty group (items without ground truth left out). */
export function measIoUSets(items: RankedItem[], groups: number): ScatterSet[] {
  return Array.from({ length: groups }, (_, g) => ({
    name: `group ${g + 1}${g === 0 ? ' (easiest)' : g === groups - 1 ? ' (hardest)' : ''}`,
    points: items.filter((i) => i.group === g && i.topIoU !== null).map((i) => ({ x: i.meas, y: i.topIoU as number, label: i.image })),
    size: 6,
  }));
}

function ranks(xs: number[]): number[] {
  const order = xs.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const r = new Array<number>(xs.length);
  for (let k = 0; k < order.length; ) {
    let e = k;
    while (e + 1 < order.length && order[e + 1][0] === order[k][0]) e++;
    for (let m = k; m <= e; m++) r[order[m][1]] = (k + e) / 2; // ties share their mean rank
    k = e + 1;
  }
  return r;
}

/** Spearman's ρ (Pearson on mid-ranks); null under 3 pairs or without spread. */
export function spearman(xs: number[], ys: number[]): number | null {
  const n = Math.min(xs.length, ys.length);
  if (n < 3) return null;
  const rx = ranks(xs.slice(0, n));
  const ry = ranks(ys.slice(0, n));
  const mx = rx.reduce((a, b) => a + b, 0) / n;
  const my = ry.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (rx[i] - mx) * (ry[i] - my);
    sxx += (rx[i] - mx) ** 2;
    syy += (ry[i] - my) ** 2;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : null;
}
