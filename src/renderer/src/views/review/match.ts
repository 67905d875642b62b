/**
 * Per-box facts the Review view filters on, computed once per load or edit (not per slider move): TP/FP against
 * ground truth (IoU ≥ 0.5, same class, greedy by score as in VOC/COCO matching), the best IoU, and for every
 * ground-truth box the score of the box that matched it, so that FN at any confidence threshold is one comparison.
 */
import type { BoxChange, BoxStatus, GroundTruthBox, ReviewBox } from '@shared/api-review';
import type { Rect } from '@shared/api-wsod';

const MATCH_IOU = 0.5;

export function iou(a: Rect, b: Rect): number {
  const w = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
  const h = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / ((a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter);
}

/** match codes: 0 no ground truth to judge by, 1 true positive, 2 false positive */
export const TP = 1;
export const FP = 2;
export const STATUS_CODES: BoxStatus[] = ['pending', 'accepted', 'rejected'];
const CHANGE_CODES: (BoxChange | undefined)[] = [undefined, 'same', 'moved', 'rescored', 'gone', 'new'];

/** Column arrays over the boxes (index = position in `boxes`), and over the ground truth. */
export interface Precomputed {
  boxes: ReviewBox[];
  groundTruth: GroundTruthBox[];
  imageIds: string[];
  imageIndex: Map<string, number>;
  /** the detector's score; a hand-drawn box counts as +∞ so that no threshold hides it */
  score: Float64Array;
  label: Int32Array;
  image: Int32Array;
  status: Uint8Array;
  match: Uint8Array;
  /** best IoU with a ground-truth box of the same class (0 without one) */
  bestIoU: Float32Array;
  change: Uint8Array;
  /** per ground-truth box: the score of the box matched to it, -∞ when none (an FN at every threshold) */
  gtMatchScore: Float64Array;
  gtImage: Int32Array;
  /** whether any ground truth exists (without it nothing is TP/FP/FN) */
  hasGroundTruth: boolean;
  /** boxes per image, indices into `boxes` */
  byImage: number[][];
  gtByImage: number[][];
}

const effectiveScore = (b: ReviewBox) => (b.score === null ? Infinity : b.score);

export function precompute(imageIds: string[], boxes: ReviewBox[], groundTruth: GroundTruthBox[]): Precomputed {
  const imageIndex = new Map(imageIds.map((id, i) => [id, i]));
  const n = boxes.length;
  const score = new Float64Array(n);
  const label = new Int32Array(n);
  const image = new Int32Array(n);
  const status = new Uint8Array(n);
  const match = new Uint8Array(n);
  const bestIoU = new Float32Array(n);
  const change = new Uint8Array(n);
  const byImage: number[][] = imageIds.map(() => []);
  const gtByImage: number[][] = imageIds.map(() => []);
  boxes.forEach((b, i) => {
    score[i] = effectiveScore(b);
    label[i] = b.label;
    image[i] = imageIndex.get(b.imageId) ?? -1;
    status[i] = STATUS_CODES.indexOf(b.status);
    change[i] = Math.max(0, CHANGE_CODES.indexOf(b.change));
    if (image[i] >= 0) byImage[image[i]].push(i);
  });
  const gtMatchScore = new Float64Array(groundTruth.length).fill(-Infinity);
  const gtImage = new Int32Array(groundTruth.length);
  groundTruth.forEach((g, j) => {
    // difficult ground truth (VOC difficult, COCO crowd) is never missed, as mAP leaves it out
    if (g.difficult) gtMatchScore[j] = Infinity;
    gtImage[j] = imageIndex.get(g.imageId) ?? -1;
    if (gtImage[j] >= 0) gtByImage[gtImage[j]].push(j);
  });
  const hasGroundTruth = groundTruth.length > 0;
  if (hasGroundTruth) {
    for (let im = 0; im < imageIds.length; im++) {
      // rejected boxes are the reviewer's "this is wrong": they take no ground truth from a kept box
      const order = byImage[im].filter((i) => status[i] !== 2).sort((a, b) => score[b] - score[a]);
      const gts = gtByImage[im];
      const taken = new Set<number>();
      for (const i of order) {
        let best = -1;
        let bestV = 0;
        for (const j of gts) {
          if (groundTruth[j].label !== label[i]) continue;
          const v = iou(boxes[i].box, groundTruth[j].box);
          if (v > bestIoU[i]) bestIoU[i] = v;
          if (!taken.has(j) && v >= MATCH_IOU && v > bestV) {
            best = j;
            bestV = v;
          }
        }
        if (best >= 0) {
          taken.add(best);
          // a box on difficult ground truth is neither right nor wrong
          match[i] = groundTruth[best].difficult ? 0 : TP;
          if (!groundTruth[best].difficult) gtMatchScore[best] = score[i];
        } else match[i] = FP;
      }
      for (const i of byImage[im]) {
        if (status[i] !== 2) continue;
        for (const j of gts) if (groundTruth[j].label === label[i]) bestIoU[i] = Math.max(bestIoU[i], iou(boxes[i].box, groundTruth[j].box));
        match[i] = bestIoU[i] >= MATCH_IOU ? TP : FP;
      }
    }
  }
  return { boxes, groundTruth, imageIds, imageIndex, score, label, image, status, match, bestIoU, change, gtMatchScore, gtImage, hasGroundTruth, byImage, gtByImage };
}
