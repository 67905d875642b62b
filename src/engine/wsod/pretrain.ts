/**
 * The ImageNet analogue: the backbone is first trained as a classifier on the same image family. Each sample is
 * a small canvas framed like a proposal around one digit of an object class at a jittered scale and place
 * (label = its class), or background: clutter fragments cut from any digit, a whole digit of a non-object class,
 * or only a part of an object digit (so that parts do not pass for objects). Fragments are sprinkled on
 * object canvases too. Digits come from the source's train part only, never from the benchmark. Seeded.
 */
import * as tf from '../backend/tf';
import type { RunContext } from '../core/context';
import { throwIfCancelled } from '../core/context';
import { makeRng } from '../core/random';
import type { ClassificationDataset } from '../data';
import { classifierOn, STRIDE, type Architecture } from './model';

/** The canvas side: the smallest multiple of 4·grid that is at least 28 (one digit at about its own size). */
export function canvasFor(arch: Architecture): number {
  const unit = STRIDE * arch.roiGrid;
  return unit * Math.ceil(28 / unit);
}

export interface PretrainOptions {
  classes: number;
  epochs: number;
  /** canvases per epoch */
  samples: number;
  canvas: number;
  /** digit side range as a share of the canvas side (a proposal frames its object) */
  minSide: number;
  maxSide: number;
  seed: number;
  learningRate: number;
  batchSize: number;
}

export const DEFAULT_PRETRAIN: Omit<PretrainOptions, 'classes' | 'epochs' | 'seed' | 'canvas'> = {
  samples: 8000,
  minSide: 0.75,
  maxSide: 1.1,
  learningRate: 2e-3,
  batchSize: 32,
};

/** Bilinear paste of a src crop (sx, sy, sw, sh of a side × side [0,1] image) onto the canvas at (x, y) as dw × dh, max-blended. */
function paste(canvas: Float32Array, cw: number, src: Float32Array, side: number, crop: [number, number, number, number], x: number, y: number, dw: number, dh: number): void {
  const [sx, sy, sw, sh] = crop;
  for (let v = 0; v < dh; v++) {
    const ty = y + v;
    if (ty < 0 || ty >= cw) continue;
    const fy = Math.min(side - 1, Math.max(0, sy + ((v + 0.5) * sh) / dh - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(side - 1, y0 + 1);
    const wy = fy - y0;
    for (let u = 0; u < dw; u++) {
      const tx = x + u;
      if (tx < 0 || tx >= cw) continue;
      const fx = Math.min(side - 1, Math.max(0, sx + ((u + 0.5) * sw) / dw - 0.5));
      const x0 = Math.floor(fx);
      const x1 = Math.min(side - 1, x0 + 1);
      const wx = fx - x0;
      const val = (1 - wy) * ((1 - wx) * src[y0 * side + x0] + wx * src[y0 * side + x1]) + wy * ((1 - wx) * src[y1 * side + x0] + wx * src[y1 * side + x1]);
      const k = ty * cw + tx;
      if (val > canvas[k]) canvas[k] = val;
    }
  }
}

/** One seeded canvas and its label (classes = background). */
function sample(ds: ClassificationDataset, byClass: number[][], others: number[], o: PretrainOptions, rng: () => number, into: Float32Array): number {
  const [side] = ds.shape;
  const per = side * side;
  const digit = (i: number) => ds.train.x.subarray(i * per, (i + 1) * per);
  const pick = <T>(xs: T[]) => xs[Math.floor(rng() * xs.length)];
  const n = o.canvas;
  into.fill(0);
  const fragments = Math.floor(rng() * 3);
  for (let f = 0; f < fragments; f++) {
    const cs = 8 + Math.floor(rng() * 8);
    const cx = Math.floor(rng() * (side - cs));
    const cy = Math.floor(rng() * (side - cs));
    const d = Math.round(cs * (0.5 + rng() * 0.5));
    paste(into, n, digit(Math.floor(rng() * ds.train.n)), side, [cx, cy, cs, cs], Math.floor(rng() * (n - d)), Math.floor(rng() * (n - d)), d, d);
  }
  const background = rng() < 1 / (o.classes + 1);
  const side28 = Math.round(n * (o.minSide + rng() * (o.maxSide - o.minSide)));
  // the digit's centre jitters by up to 10 % of the canvas around the canvas centre
  let x = Math.round((n - side28) / 2 + (rng() - 0.5) * 0.2 * n);
  let y = Math.round((n - side28) / 2 + (rng() - 0.5) * 0.2 * n);
  let label = o.classes;
  let idx = -1;
  if (!background) {
    label = Math.floor(rng() * o.classes);
    idx = pick(byClass[label]);
  } else {
    const kind = rng();
    if (kind < 0.4 && others.length) idx = pick(others);
    else if (kind < 0.8) {
      // a part: an object digit pushed half or more out of the frame
      idx = pick(byClass[Math.floor(rng() * o.classes)]);
      const dx = (rng() < 0.5 ? -1 : 1) * (0.45 + rng() * 0.3) * side28;
      const dy = (rng() < 0.5 ? -1 : 1) * (0.45 + rng() * 0.3) * side28;
      if (rng() < 0.5) x += Math.round(dx);
      else y += Math.round(dy);
    }
  }
  if (idx >= 0) paste(into, n, digit(idx), side, [0, 0, side, side], x, y, side28, side28);
  return label;
}

/**
 * Trains the backbone (in place) inside the pre-training classifier; returns the last epoch's training accuracy
 * and the classifier, whose `fc` layer initialises the head's.
 */
export async function pretrainBackbone(backbone: tf.LayersModel, arch: Architecture, ds: ClassificationDataset, o: PretrainOptions, ctx: RunContext, report: (fraction: number, metrics: Record<string, number>) => void): Promise<{ accuracy: number; classifier: tf.LayersModel }> {
  if (ds.shape[2] !== 1) throw new Error(`pre-training reads grayscale digits, ${ds.ref} has ${ds.shape[2]} channels`);
  const clf = classifierOn(backbone, arch, o.canvas, o.classes, o.seed);
  const opt = tf.train.adam(o.learningRate);
  const byClass = Array.from({ length: o.classes }, () => [] as number[]);
  const others: number[] = [];
  for (let i = 0; i < ds.train.n; i++) (ds.train.y[i] < o.classes ? byClass[ds.train.y[i]] : others).push(i);
  const n = o.canvas;
  let acc = 0;
  try {
    for (let epoch = 0; epoch < o.epochs; epoch++) {
      const rng = makeRng(o.seed * 31337 + epoch);
      const steps = Math.ceil(o.samples / o.batchSize);
      let hits = 0;
      let seen = 0;
      let lossSum = 0;
      for (let s = 0; s < steps; s++) {
        throwIfCancelled(ctx);
        const bs = Math.min(o.batchSize, o.samples - s * o.batchSize);
        const x = new Float32Array(bs * n * n);
        const y = new Int32Array(bs);
        for (let i = 0; i < bs; i++) y[i] = sample(ds, byClass, others, o, rng, x.subarray(i * n * n, (i + 1) * n * n));
        const [loss, h] = tf.tidy(() => {
          const xt = tf.tensor4d(x, [bs, n, n, 1]);
          const yt = tf.oneHot(tf.tensor1d(y, 'int32'), o.classes + 1);
          let hitT: tf.Tensor | null = null;
          const l = opt.minimize(() => {
            const p = clf.apply(xt, { training: true }) as tf.Tensor;
            hitT = tf.keep(tf.sum(tf.equal(tf.argMax(p, -1), tf.argMax(yt, -1))));
            return tf.mean(tf.neg(tf.sum(tf.mul(yt, tf.log(tf.clipByValue(p, 1e-7, 1))), -1))) as tf.Scalar;
          }, true) as tf.Scalar;
          const hv = (hitT as unknown as tf.Tensor).dataSync()[0];
          (hitT as unknown as tf.Tensor).dispose();
          return [l.dataSync()[0], hv];
        });
        hits += h;
        seen += bs;
        lossSum += loss * bs;
        if (s % 20 === 19 || s === steps - 1) report((epoch + (s + 1) / steps) / o.epochs, { pretrainLoss: lossSum / seen, pretrainAcc: hits / seen });
        await new Promise((r) => setImmediate(r));
      }
      acc = hits / seen;
    }
  } finally {
    opt.dispose();
    // the classifier's own layers (gap, fc) are dropped; the backbone's layers live on in `backbone`
  }
  return { accuracy: acc, classifier: clf };
}
