/** Helpers the metric files share. */

/** Index of the largest of row i's `k` scores (first on ties, like argMax). */
export function argmaxRow(scores: Float32Array, i: number, k: number): number {
  let best = 0;
  let bv = -Infinity;
  for (let c = 0; c < k; c++) {
    const v = scores[i * k + c];
    if (v > bv) {
      bv = v;
      best = c;
    }
  }
  return best;
}

/** Intersection over union of two [x1, y1, x2, y2] boxes (x2, y2 exclusive). */
export function iou(a: readonly number[], b: readonly number[]): number {
  const iw = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const ih = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}

/** The IoU a detection must reach to count (VOC, PASCAL devkit: ≥ 0.5). */
export const IOU_THRESHOLD = 0.5;
