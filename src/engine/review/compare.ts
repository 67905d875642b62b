/**
 * What changed after compression: each original detection is matched to the compressed detector's box of the same
 * class and image with the largest IoU (≥ 0.5, each compressed box used once, originals taken by descending score,
 * as VOC matching does). Matched boxes are `same`, `moved` (IoU below MOVED_IOU) or `rescored` (score moved by at
 * least RESCORED_DELTA); unmatched originals are `gone`, unmatched compressed boxes `new`.
 */
import type { BoxChange } from '../../shared/api-review';
import { iou, IOU_THRESHOLD } from '../metrics/common';
import type { ScoredBox } from './store';

/** a matched box whose IoU with the original is below this has visibly moved */
const MOVED_IOU = 0.9;
/** a matched box whose score moved by at least this was rescored */
const RESCORED_DELTA = 0.05;

const corners = (b: ScoredBox) => [b.box.x1, b.box.y1, b.box.x2, b.box.y2];

export interface Comparison {
  /** per original detection, in its order */
  changes: { change: BoxChange; compareScore: number | null }[];
  /** compressed detections no original matched */
  added: ScoredBox[];
}

export function compareDetections(original: ScoredBox[], compressed: ScoredBox[]): Comparison {
  const byKey = new Map<string, number[]>();
  compressed.forEach((d, j) => {
    const k = `${d.imageId}\0${d.label}`;
    const list = byKey.get(k);
    if (list) list.push(j);
    else byKey.set(k, [j]);
  });
  const taken = new Array<boolean>(compressed.length).fill(false);
  const changes: Comparison['changes'] = original.map(() => ({ change: 'gone', compareScore: null }));
  const order = original.map((_, i) => i).sort((a, b) => original[b].score - original[a].score || a - b);
  for (const i of order) {
    const o = original[i];
    let best = -1;
    let bestIou = IOU_THRESHOLD;
    for (const j of byKey.get(`${o.imageId}\0${o.label}`) ?? []) {
      if (taken[j]) continue;
      const v = iou(corners(o), corners(compressed[j]));
      if (v >= bestIou && (best < 0 || v > bestIou)) {
        best = j;
        bestIou = v;
      }
    }
    if (best < 0) continue;
    taken[best] = true;
    const c = compressed[best];
    const change: BoxChange = bestIou < MOVED_IOU ? 'moved' : Math.abs(c.score - o.score) >= RESCORED_DELTA ? 'rescored' : 'same';
    changes[i] = { change, compareScore: c.score };
  }
  return { changes, added: compressed.filter((_, j) => !taken[j]) };
}
