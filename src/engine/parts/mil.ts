/**
 * Learning one part detector by multiple-instance learning (methods.md §6.4 step 4). Positive bags are the class's
 * train images (all their regions), negatives every region of the other images.
 *
 *  - plain (MI-SVM style): each round, every positive bag contributes its single top-scoring region with weight 1.
 *  - cls (confidence-loss sparse MIL): each round, every bag contributes up to `sparsity` top regions that do not
 *    overlap each other (IoU < 0.5: diverse positives), each weighted by a confidence
 *      conf_ij = σ((a_i − median_k a_k) / spread) · exp(s_ij − a_i),   a_i = max_j s_ij,
 *    i.e. the bag's confidence (its best response against the other bags') times the instance's closeness to its
 *    bag's best. Bags the detector hardly fires in (likely mislocalised) count little, so they cannot pull the
 *    detector away from the well-localised positives.
 * Both: weighted logistic regression warm-started from the previous round, negatives mined each round (the
 * hardest `hardNegatives` plus a seeded random share), accumulated over rounds.
 */
import { makeRng } from '../core/random';
import { boxIoU } from '../wsod/proposals';
import type { ImageRegions } from './features';
import { scoreRows, sigmoid, trainLogistic, type Linear } from './linear';

export interface MilSettings {
  mode: 'cls' | 'plain';
  rounds: number;
  /** regions per positive bag (cls) */
  sparsity: number;
  hardNegatives: number;
  lambda: number;
  iterations: number;
  seed: number;
}

export const DEFAULT_MIL: Omit<MilSettings, 'mode' | 'seed'> = { rounds: 4, sparsity: 3, hardNegatives: 600, lambda: 1e-3, iterations: 40 };

export interface MilTrace {
  /** per round, per positive bag: the confidence of its top instance (1 for plain MIL, which weighs all alike) */
  confidence: number[][];
  /** per round, per positive bag: the index of its top instance's region */
  top: number[][];
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : 0;
};

export function trainMil(init: Linear, images: readonly ImageRegions[], positives: readonly number[], negatives: readonly number[], dim: number, s: MilSettings): { detector: Linear; trace: MilTrace } {
  const rng = makeRng(s.seed * 104729 + positives.length);
  let d = init;
  const trace: MilTrace = { confidence: [], top: [] };
  const negPool = new Map<string, Float32Array>();
  for (let round = 0; round < s.rounds; round++) {
    // a. instance selection with the current detector
    const bagScores = positives.map((i) => scoreRows(d, images[i].x, dim));
    const tops = bagScores.map((sc) => sc.reduce((b, v, r) => (v > sc[b] ? r : b), 0));
    const maxima = bagScores.map((sc, b) => sc[tops[b]]);
    const mid = median(maxima);
    const spread = Math.max(1e-3, median(maxima.map((a) => Math.abs(a - mid))));
    const posRows: Float32Array[] = [];
    const posConf: number[] = [];
    const roundConf: number[] = [];
    positives.forEach((i, b) => {
      const im = images[i];
      const sc = bagScores[b];
      const bagConf = sigmoid((maxima[b] - mid) / spread);
      roundConf.push(s.mode === 'cls' ? bagConf : 1);
      if (s.mode === 'plain') {
        posRows.push(im.x.subarray(tops[b] * dim, (tops[b] + 1) * dim));
        posConf.push(1);
        return;
      }
      const order = Array.from(sc.keys()).sort((p, q) => sc[q] - sc[p]);
      const chosen: number[] = [];
      for (const r of order) {
        if (chosen.length >= s.sparsity) break;
        if (chosen.some((c) => boxIoU(im.boxes[c], im.boxes[r]) >= 0.5)) continue;
        chosen.push(r);
        posRows.push(im.x.subarray(r * dim, (r + 1) * dim));
        posConf.push(bagConf * Math.exp(sc[r] - maxima[b]));
      }
    });
    trace.confidence.push(roundConf);
    trace.top.push(tops);

    // hard negatives: the hardest regions of negative images under the current detector, plus a random share
    const scored: { image: number; region: number; score: number }[] = [];
    for (const i of negatives) {
      const sc = scoreRows(d, images[i].x, dim);
      for (let r = 0; r < sc.length; r++) scored.push({ image: i, region: r, score: sc[r] });
    }
    scored.sort((a, b) => b.score - a.score);
    const keep = (e: (typeof scored)[number]) => negPool.set(`${e.image}:${e.region}`, images[e.image].x.subarray(e.region * dim, (e.region + 1) * dim));
    for (const e of scored.slice(0, s.hardNegatives)) keep(e);
    for (let t = 0; t < s.hardNegatives / 4 && scored.length; t++) keep(scored[Math.floor(rng() * scored.length)]);

    // b. weighted training with the selections fixed
    const negRows = [...negPool.values()];
    const n = posRows.length + negRows.length;
    const x = new Float32Array(n * dim);
    const y = new Int8Array(n);
    const c = new Float32Array(n);
    posRows.forEach((r, k) => {
      x.set(r, k * dim);
      y[k] = 1;
      c[k] = posConf[k];
    });
    negRows.forEach((r, k) => {
      x.set(r, (posRows.length + k) * dim);
      y[posRows.length + k] = -1;
      c[posRows.length + k] = 1;
    });
    d = trainLogistic({ x, y, c }, dim, d, { lambda: s.lambda, iterations: s.iterations, lr: 0.05 });
  }
  return { detector: d, trace };
}
