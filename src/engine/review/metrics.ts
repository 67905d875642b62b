/**
 * Scores of a set of boxes against ground truth: mAP@0.5 with per-class AP and PR from the metric registry, and a
 * detection confusion matrix. The matrix matches, per image and by descending score, each box to the unmatched
 * ground-truth box of ANY class with the largest IoU ≥ 0.5 (so a box with the wrong class lands off the diagonal);
 * rows are ground truth, columns predicted, index `classes` is background: an unmatched box counts in the
 * background row (a false positive), an unmatched ground-truth box in the background column (a miss). Boxes
 * matched to a `difficult` ground-truth box, and unmatched difficult boxes, are left out, as mAP leaves them out.
 */
import type { ReviewMetrics } from '../../shared/api-review';
import type { Box } from '../data/types';
import { getMetric, type DetectionOutputs } from '../metrics';
import type { MapDetails } from '../metrics/map50';
import { iou, IOU_THRESHOLD } from '../metrics/common';
import type { ScoredBox } from './store';

export interface GroundTruthImage {
  id: string;
  boxes: Box[];
}

export function scoreBoxes(classNames: string[], images: GroundTruthImage[], boxes: ScoredBox[], minScore: number): ReviewMetrics {
  const classes = classNames.length;
  const index = new Map(images.map((im, i) => [im.id, i]));
  // boxes on images without ground truth entries cannot be scored; the caller passes every image of the split
  const kept = boxes.filter((b) => b.score >= minScore && index.has(b.imageId));
  const outputs: DetectionOutputs = {
    classes,
    images: images.map((im) => ({ labels: [...new Set(im.boxes.map((b) => b.label))], boxes: im.boxes })),
    detections: kept.map((b) => ({ image: index.get(b.imageId)!, label: b.label, score: b.score, box: [b.box.x1, b.box.y1, b.box.x2, b.box.y2] })),
  };
  const r = getMetric('mAP50', 'detection').compute(outputs) as { value: number; details: MapDetails };
  return {
    mAP50: r.value,
    perClass: classNames.map((name, c) => ({ name, ap: r.details.ap[c], recall: r.details.pr[c].recall, precision: r.details.pr[c].precision })),
    confusion: confusionMatrix(classes, images, kept, index),
  };
}

function confusionMatrix(classes: number, images: GroundTruthImage[], boxes: ScoredBox[], index: Map<string, number>): number[][] {
  const m = Array.from({ length: classes + 1 }, () => new Array<number>(classes + 1).fill(0));
  const perImage = images.map(() => [] as ScoredBox[]);
  for (const b of boxes) perImage[index.get(b.imageId)!].push(b);
  images.forEach((im, i) => {
    const taken = im.boxes.map(() => false);
    const dets = perImage[i].map((d, k) => ({ d, k })).sort((a, b) => b.d.score - a.d.score || a.k - b.k);
    for (const { d } of dets) {
      let best = -1;
      let bestIou = -Infinity;
      im.boxes.forEach((g, j) => {
        if (taken[j]) return;
        const v = iou([d.box.x1, d.box.y1, d.box.x2, d.box.y2], [g.x1, g.y1, g.x2, g.y2]);
        if (v > bestIou) {
          bestIou = v;
          best = j;
        }
      });
      if (best >= 0 && bestIou >= IOU_THRESHOLD) {
        taken[best] = true;
        if (!im.boxes[best].difficult) m[im.boxes[best].label][d.label]++;
      } else m[classes][d.label]++;
    }
    im.boxes.forEach((g, j) => {
      if (!taken[j] && !g.difficult) m[g.label][classes]++;
    });
  });
  return m;
}
