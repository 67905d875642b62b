/**
 * mAP@0.5, PASCAL VOC 2010+ all-point interpolation (the devkit's VOCevaldet / VOCap):
 * - per class, detections sorted by score, highest first; equal scores keep their input order (stable sort),
 *   so a tie is resolved the same way on every run
 * - a detection matches the ground-truth box of its class with the largest IoU in its image; IoU ≥ 0.5 and
 *   that box not yet taken → TP; taken, or IoU < 0.5 → FP; a `difficult` box → neither (ignored)
 * - recall = TP / non-difficult boxes; AP = area under the precision envelope (precision made monotone from
 *   the right) over every recall step
 * - a class with no non-difficult box has no AP (null) and is left out of the mean; a class with boxes but no
 *   detection has AP 0
 */
import { iou, IOU_THRESHOLD } from './common';
import type { DetectionOutputs, Metric } from './types';

interface PrCurve {
  recall: number[];
  precision: number[];
}
export interface MapDetails {
  /** per class: AP, or null when the class has no non-difficult ground-truth box */
  ap: (number | null)[];
  /** per class: the raw precision/recall after each ranked detection (ignored ones left out) */
  pr: PrCurve[];
  /** per class: non-difficult ground-truth boxes */
  positives: number[];
}

/** VOC all-point AP from a PR curve. */
export function averagePrecision(recall: number[], precision: number[]): number {
  const mrec = [0, ...recall, 1];
  const mpre = [0, ...precision, 0];
  for (let i = mpre.length - 2; i >= 0; i--) mpre[i] = Math.max(mpre[i], mpre[i + 1]);
  let ap = 0;
  for (let i = 1; i < mrec.length; i++) if (mrec[i] !== mrec[i - 1]) ap += (mrec[i] - mrec[i - 1]) * mpre[i];
  return ap;
}

function classAp(o: DetectionOutputs, c: number): { ap: number | null; pr: PrCurve; positives: number } {
  let positives = 0;
  const taken = o.images.map((im) => (im.boxes ?? []).map(() => false));
  for (const im of o.images) for (const b of im.boxes ?? []) if (b.label === c && !b.difficult) positives++;
  const dets = o.detections
    .map((d, k) => ({ d, k }))
    .filter(({ d }) => d.label === c)
    .sort((a, b) => b.d.score - a.d.score || a.k - b.k);
  let tp = 0;
  let fp = 0;
  const recall: number[] = [];
  const precision: number[] = [];
  for (const { d } of dets) {
    const boxes = o.images[d.image]?.boxes ?? [];
    let best = -1;
    let bestIou = -Infinity;
    boxes.forEach((b, j) => {
      if (b.label !== c) return;
      const v = iou(d.box, [b.x1, b.y1, b.x2, b.y2]);
      if (v > bestIou) {
        bestIou = v;
        best = j;
      }
    });
    if (best >= 0 && bestIou >= IOU_THRESHOLD) {
      if (boxes[best].difficult) continue; // neither TP nor FP
      if (!taken[d.image][best]) {
        taken[d.image][best] = true;
        tp++;
      } else fp++;
    } else fp++;
    recall.push(positives ? tp / positives : 0);
    precision.push(tp / (tp + fp));
  }
  return { ap: positives ? averagePrecision(recall, precision) : null, pr: { recall, precision }, positives };
}

export const mAP50: Metric<'detection', number, MapDetails> = {
  name: 'mAP50',
  task: 'detection',
  description: 'mean average precision at IoU 0.5 (VOC all-point interpolation), with per-class AP and PR curves',
  scalar: true,
  compute(o) {
    const per = Array.from({ length: o.classes }, (_, c) => classAp(o, c));
    const aps = per.map((p) => p.ap).filter((a): a is number => a !== null);
    return {
      value: aps.length ? aps.reduce((a, b) => a + b, 0) / aps.length : 0,
      details: { ap: per.map((p) => p.ap), pr: per.map((p) => p.pr), positives: per.map((p) => p.positives) },
    };
  },
};
