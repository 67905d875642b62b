/**
 * The Review view's filter: one pass over the precomputed column arrays (no objects created per box), so that a
 * confidence-slider move over 5,000 boxes costs well under a millisecond before rendering.
 */
import type { BoxStatus } from '@shared/api-review';
import { FP, STATUS_CODES, TP, type Precomputed } from './match';

export type MatchKind = 'tp' | 'fp' | 'fn';

export interface ReviewFilter {
  minScore: number;
  /** label indices to show; empty: every class */
  classes: number[];
  /** empty: every status */
  statuses: BoxStatus[];
  /** empty: every kind; 'fn' shows the missed ground truth */
  matches: MatchKind[];
  /** best IoU with same-class ground truth within [minIoU, maxIoU] */
  minIoU: number;
  maxIoU: number;
  /** only boxes that differ after compression */
  changedOnly: boolean;
}

export function defaultFilter(): ReviewFilter {
  return { minScore: 0.05, classes: [], statuses: [], matches: [], minIoU: 0, maxIoU: 1, changedOnly: false };
}

export interface FilterResult {
  /** 1 where the box passes */
  kept: Uint8Array;
  keptCount: number;
  /** ground-truth boxes missed at this threshold (1 = FN), for the classes shown */
  fn: Uint8Array;
  perImage: Int32Array;
  fnPerImage: Int32Array;
  /** image indices with something to show, in dataset order */
  images: number[];
  tp: number;
  fp: number;
  fnCount: number;
}

/** 'same' and no comparison (codes 0, 1) are unchanged */
const CHANGED_FROM = 2;

export function applyFilter(p: Precomputed, f: ReviewFilter): FilterResult {
  const n = p.score.length;
  const nImages = p.imageIds.length;
  let maxLabel = 0;
  for (const c of f.classes) maxLabel = Math.max(maxLabel, c);
  for (let i = 0; i < n; i++) maxLabel = Math.max(maxLabel, p.label[i]);
  for (const g of p.groundTruth) maxLabel = Math.max(maxLabel, g.label);
  const classOk = f.classes.length ? new Uint8Array(maxLabel + 1) : null;
  if (classOk) for (const c of f.classes) classOk[c] = 1;
  const statusOk = f.statuses.length ? Uint8Array.from(STATUS_CODES, (s) => (f.statuses.includes(s) ? 1 : 0)) : null;
  const wantTP = !f.matches.length || f.matches.includes('tp');
  const wantFP = !f.matches.length || f.matches.includes('fp');
  const wantFN = p.hasGroundTruth && (!f.matches.length || f.matches.includes('fn'));
  // without ground truth, TP/FP is unknown: a TP/FP filter would hide everything, so it does not apply
  const matchApplies = p.hasGroundTruth && f.matches.length > 0;
  const iouApplies = p.hasGroundTruth && (f.minIoU > 0 || f.maxIoU < 1);
  const kept = new Uint8Array(n);
  const perImage = new Int32Array(nImages);
  let keptCount = 0;
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < n; i++) {
    if (p.score[i] < f.minScore) continue;
    if (classOk && !classOk[p.label[i]]) continue;
    if (statusOk && !statusOk[p.status[i]]) continue;
    const m = p.match[i];
    if (matchApplies && !((m === TP && wantTP) || (m === FP && wantFP))) continue;
    if (iouApplies && (p.bestIoU[i] < f.minIoU || p.bestIoU[i] > f.maxIoU)) continue;
    if (f.changedOnly && p.change[i] < CHANGED_FROM) continue;
    kept[i] = 1;
    keptCount++;
    if (p.image[i] >= 0) perImage[p.image[i]]++;
    if (m === TP) tp++;
    else if (m === FP) fp++;
  }
  const g = p.gtMatchScore.length;
  const fn = new Uint8Array(g);
  const fnPerImage = new Int32Array(nImages);
  let fnCount = 0;
  // a "changed only" view is about boxes; ground truth does not change with compression
  if (wantFN && !f.changedOnly) {
    for (let j = 0; j < g; j++) {
      if (p.gtMatchScore[j] >= f.minScore) continue;
      if (classOk && !classOk[p.groundTruth[j].label]) continue;
      fn[j] = 1;
      fnCount++;
      if (p.gtImage[j] >= 0) fnPerImage[p.gtImage[j]]++;
    }
  }
  const images: number[] = [];
  for (let im = 0; im < nImages; im++) if (perImage[im] > 0 || fnPerImage[im] > 0) images.push(im);
  return { kept, keptCount, fn, perImage, fnPerImage, images, tp, fp, fnCount };
}

/** One page of the grid (pages keep the DOM small whatever the set's size). */
export function pageOf<T>(items: readonly T[], page: number, size: number): { items: T[]; page: number; pages: number } {
  const pages = Math.max(1, Math.ceil(items.length / size));
  const p = Math.min(Math.max(0, page), pages - 1);
  return { items: items.slice(p * size, (p + 1) * size), page: p, pages };
}
