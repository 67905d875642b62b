/**
 * The mid-level representation (methods.md §6.4 steps 5–6): an image is the vector of its part detectors' best
 * responses (max over regions; with `pyramid`, also the max over the regions centred in each image quadrant),
 * classified by softmax regression, alone or concatenated with the backbone's global feature. Localisation: for a
 * class, the top region of the class's detector that responds most strongly relative to its own response on
 * negative images (responses of different detectors are not on one scale; the z-score puts them on one).
 */
import { getMetric } from '../metrics';
import type { Detection } from '../metrics/types';
import type { Box } from '../data/types';
import type { ImageRegions } from './features';
import { columnStats, scoreRows, softmaxScores, standardize, trainSoftmax, type Linear, type Softmax } from './linear';

export interface PartDetector extends Linear {
  class: number;
  /** mean and std of its best response on negative train images (calibration) */
  negMean: number;
  negStd: number;
}

/** φ(I): per detector, the best response (and, with a pyramid, the best per quadrant). */
export function represent(detectors: readonly PartDetector[], im: ImageRegions, dim: number, pyramid: boolean, width: number, height: number): Float32Array {
  const cells = pyramid ? 5 : 1;
  const out = new Float32Array(detectors.length * cells).fill(-10);
  detectors.forEach((d, k) => {
    const s = scoreRows(d, im.x, dim);
    for (let r = 0; r < s.length; r++) {
      if (s[r] > out[k * cells]) out[k * cells] = s[r];
      if (!pyramid) continue;
      const b = im.boxes[r];
      const q = ((b.y1 + b.y2) / 2 >= height / 2 ? 2 : 0) + ((b.x1 + b.x2) / 2 >= width / 2 ? 1 : 0);
      if (s[r] > out[k * cells + 1 + q]) out[k * cells + 1 + q] = s[r];
    }
  });
  return out;
}

export interface LinearClassifier {
  stats: { mean: Float32Array; std: Float32Array };
  model: Softmax;
  lambda: number;
}

const LAMBDAS = [1e-3, 1e-2, 1e-1];

/** Trains on train rows for each λ and keeps the one with the best val top-1 (selection on val only). */
export function fitClassifier(train: { x: Float32Array; y: number[] }, val: { x: Float32Array; y: number[] }, dim: number, classes: number): LinearClassifier {
  const stats = columnStats(train.x, dim);
  const xt = standardize(train.x, dim, stats);
  const xv = standardize(val.x, dim, stats);
  let best: LinearClassifier | null = null;
  let bestAcc = -1;
  for (const lambda of LAMBDAS) {
    const model = trainSoftmax(xt, train.y, dim, classes, { lambda, iterations: 120, lr: 0.02 });
    const acc = val.y.length ? top1Of(softmaxScores(model, xv), val.y, classes) : 0;
    if (acc > bestAcc) {
      bestAcc = acc;
      best = { stats, model, lambda };
    }
  }
  return best!;
}

export function classify(c: LinearClassifier, x: Float32Array): Float32Array {
  return softmaxScores(c.model, standardize(x, c.model.dim, c.stats));
}

/** Top-1 through the metric registry (an image counts its first label). */
export function top1Of(scores: Float32Array, labels: readonly number[], classes: number): number {
  return getMetric('top1', 'classification').compute({ n: labels.length, classes, scores, labels }).value as number;
}

/** One detection per (image, class): the top region of the class's most confident detector. */
export function localize(detectors: readonly PartDetector[], images: readonly ImageRegions[], dim: number, classes: number): Detection[] {
  const dets: Detection[] = [];
  images.forEach((im, i) => {
    for (let c = 0; c < classes; c++) {
      let best: Detection | null = null;
      for (const d of detectors) {
        if (d.class !== c) continue;
        const s = scoreRows(d, im.x, dim);
        let r = 0;
        for (let k = 1; k < s.length; k++) if (s[k] > s[r]) r = k;
        if (!s.length) continue;
        const z = (s[r] - d.negMean) / (d.negStd || 1);
        const b = im.boxes[r];
        if (!best || z > best.score) best = { image: i, label: c, score: z, box: [b.x1, b.y1, b.x2, b.y2] };
      }
      if (best) dets.push(best);
    }
  });
  return dets;
}

export function corlocOf(dets: Detection[], truth: readonly { labels: number[]; boxes?: Box[] }[], classes: number): number {
  return getMetric('corloc', 'detection').compute({ classes, images: truth.map((t) => ({ labels: t.labels, boxes: t.boxes })), detections: dets }).value as number;
}
