/**
 * Small dense linear models in plain TypeScript (rows of Float32Array features): background statistics for
 * exemplar-LDA, weighted binary logistic regression (the part detectors) and softmax regression (the image
 * classifiers on the mid-level representation). Full-batch Adam: the problems are a few thousand rows of a few
 * hundred dimensions, so a whole pass costs milliseconds and needs no mini-batching.
 */
import { inverse, Matrix } from 'ml-matrix';

/** A linear scorer: w · x + b. */
export interface Linear {
  w: Float32Array;
  b: number;
}

export function dot(w: ArrayLike<number>, x: Float32Array, off = 0): number {
  let s = 0;
  for (let k = 0; k < w.length; k++) s += w[k] * x[off + k];
  return s;
}

export const sigmoid = (z: number): number => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

/** Scores of every row of a row-major [n × dim] block. */
export function scoreRows(l: Linear, x: Float32Array, dim: number): Float32Array {
  const n = x.length / dim;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = dot(l.w, x, i * dim) + l.b;
  return out;
}

/** Mean and the inverse of the ridge-regularised covariance of rows: exemplar-LDA's "generic background". */
export interface Background {
  mean: Float64Array;
  /** (Σ + ridge · mean(diag Σ) · I)^-1, row-major dim × dim */
  precision: Float64Array;
  dim: number;
}

export function backgroundStats(rows: Float32Array, dim: number, ridge: number): Background {
  const n = rows.length / dim;
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let k = 0; k < dim; k++) mean[k] += rows[i * dim + k] / n;
  const cov = Matrix.zeros(dim, dim);
  const c = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < dim; k++) c[k] = rows[i * dim + k] - mean[k];
    for (let a = 0; a < dim; a++) {
      const ca = c[a] / Math.max(1, n - 1);
      if (ca === 0) continue;
      for (let b = a; b < dim; b++) cov.set(a, b, cov.get(a, b) + ca * c[b]);
    }
  }
  let trace = 0;
  for (let a = 0; a < dim; a++) {
    trace += cov.get(a, a);
    for (let b = 0; b < a; b++) cov.set(a, b, cov.get(b, a));
  }
  const shrink = ridge * Math.max(1e-8, trace / dim);
  for (let a = 0; a < dim; a++) cov.set(a, a, cov.get(a, a) + shrink);
  const inv = inverse(cov);
  const precision = new Float64Array(dim * dim);
  for (let a = 0; a < dim; a++) for (let b = 0; b < dim; b++) precision[a * dim + b] = inv.get(a, b);
  return { mean, precision, dim };
}

/**
 * Exemplar-LDA of a positive mean m: w = Σ^-1 (m − μ), bias so that the midpoint of m and μ scores 0, scaled so
 * that m itself scores +1 (and μ −1): detectors of different exemplars then share one scale.
 */
export function ldaDetector(bg: Background, m: ArrayLike<number>): Linear {
  const { dim, mean, precision } = bg;
  const d = new Float64Array(dim);
  for (let k = 0; k < dim; k++) d[k] = m[k] - mean[k];
  const w = new Float64Array(dim);
  for (let a = 0; a < dim; a++) {
    let s = 0;
    for (let b = 0; b < dim; b++) s += precision[a * dim + b] * d[b];
    w[a] = s;
  }
  let wm = 0;
  let wmu = 0;
  for (let k = 0; k < dim; k++) {
    wm += w[k] * m[k];
    wmu += w[k] * mean[k];
  }
  const half = (wm - wmu) / 2 || 1;
  const out = new Float32Array(dim);
  for (let k = 0; k < dim; k++) out[k] = w[k] / half;
  return { w: out, b: -(wm + wmu) / 2 / half };
}

export interface WeightedSet {
  x: Float32Array;
  /** +1 / −1 */
  y: Int8Array;
  /** per-row weight (confidence) ≥ 0 */
  c: Float32Array;
}

/**
 * Weighted L2-regularised logistic regression, warm-started from `init`. The positive and the negative side each
 * carry half of the loss (their weights are normalised separately), so a few positives are not drowned by many
 * mined negatives.
 */
export function trainLogistic(set: WeightedSet, dim: number, init: Linear, o: { lambda: number; iterations: number; lr: number }): Linear {
  const n = set.y.length;
  let posSum = 0;
  let negSum = 0;
  for (let i = 0; i < n; i++) {
    if (set.y[i] > 0) posSum += set.c[i];
    else negSum += set.c[i];
  }
  const scale = new Float32Array(n);
  for (let i = 0; i < n; i++) scale[i] = set.y[i] > 0 ? (posSum ? 0.5 / posSum : 0) : negSum ? 0.5 / negSum : 0;
  const w = Float32Array.from(init.w);
  let b = init.b;
  const gw = new Float64Array(dim);
  const m = new Float64Array(dim + 1);
  const v = new Float64Array(dim + 1);
  const [b1, b2] = [0.9, 0.999];
  for (let it = 1; it <= o.iterations; it++) {
    gw.fill(0);
    let gb = 0;
    for (let i = 0; i < n; i++) {
      const wi = set.c[i] * scale[i];
      if (wi === 0) continue;
      const z = dot(w, set.x, i * dim) + b;
      // d/dz of log(1 + exp(−y z)) = −y σ(−y z)
      const g = -set.y[i] * sigmoid(-set.y[i] * z) * wi;
      for (let k = 0; k < dim; k++) gw[k] += g * set.x[i * dim + k];
      gb += g;
    }
    for (let k = 0; k <= dim; k++) {
      const g = k < dim ? gw[k] + o.lambda * w[k] : gb;
      m[k] = b1 * m[k] + (1 - b1) * g;
      v[k] = b2 * v[k] + (1 - b2) * g * g;
      const step = (o.lr * (m[k] / (1 - b1 ** it))) / (Math.sqrt(v[k] / (1 - b2 ** it)) + 1e-8);
      if (k < dim) w[k] -= step;
      else b -= step;
    }
  }
  return { w, b };
}

/** Per-column mean and std of rows (std floored), for standardising a representation. */
export function columnStats(x: Float32Array, dim: number): { mean: Float32Array; std: Float32Array } {
  const n = x.length / dim;
  const mean = new Float32Array(dim);
  const std = new Float32Array(dim);
  for (let i = 0; i < n; i++) for (let k = 0; k < dim; k++) mean[k] += x[i * dim + k] / n;
  for (let i = 0; i < n; i++) for (let k = 0; k < dim; k++) std[k] += (x[i * dim + k] - mean[k]) ** 2 / n;
  for (let k = 0; k < dim; k++) std[k] = Math.max(1e-6, Math.sqrt(std[k]));
  return { mean, std };
}

export function standardize(x: Float32Array, dim: number, s: { mean: Float32Array; std: Float32Array }): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = (x[i] - s.mean[i % dim]) / s.std[i % dim];
  return out;
}

/** Softmax regression weights: [classes × (dim + 1)], the last column the bias. */
export interface Softmax {
  classes: number;
  dim: number;
  W: Float32Array;
}

export function trainSoftmax(x: Float32Array, labels: ArrayLike<number>, dim: number, classes: number, o: { lambda: number; iterations: number; lr: number }): Softmax {
  const n = labels.length;
  const W = new Float32Array(classes * (dim + 1));
  const m = new Float64Array(W.length);
  const v = new Float64Array(W.length);
  const g = new Float64Array(W.length);
  const p = new Float64Array(classes);
  for (let it = 1; it <= o.iterations; it++) {
    g.fill(0);
    for (let i = 0; i < n; i++) {
      let max = -Infinity;
      for (let c = 0; c < classes; c++) {
        p[c] = dot(W.subarray(c * (dim + 1), c * (dim + 1) + dim), x, i * dim) + W[c * (dim + 1) + dim];
        if (p[c] > max) max = p[c];
      }
      let z = 0;
      for (let c = 0; c < classes; c++) z += p[c] = Math.exp(p[c] - max);
      for (let c = 0; c < classes; c++) {
        const e = (p[c] / z - (labels[i] === c ? 1 : 0)) / n;
        const row = c * (dim + 1);
        for (let k = 0; k < dim; k++) g[row + k] += e * x[i * dim + k];
        g[row + dim] += e;
      }
    }
    for (let k = 0; k < W.length; k++) {
      const gk = g[k] + (k % (dim + 1) === dim ? 0 : o.lambda * W[k]);
      m[k] = 0.9 * m[k] + 0.1 * gk;
      v[k] = 0.999 * v[k] + 0.001 * gk * gk;
      W[k] -= (o.lr * (m[k] / (1 - 0.9 ** it))) / (Math.sqrt(v[k] / (1 - 0.999 ** it)) + 1e-8);
    }
  }
  return { classes, dim, W };
}

/** Class scores [n × classes] of rows under a softmax model (logits). */
export function softmaxScores(s: Softmax, x: Float32Array): Float32Array {
  const n = x.length / s.dim;
  const out = new Float32Array(n * s.classes);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < s.classes; c++) {
      const row = c * (s.dim + 1);
      out[i * s.classes + c] = dot(s.W.subarray(row, row + s.dim), x, i * s.dim) + s.W[row + s.dim];
    }
  }
  return out;
}
