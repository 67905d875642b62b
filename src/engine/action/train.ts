/**
 * Training and scoring of the two-stream network, end to end: one loss on the fused video scores plus, per stream,
 * a loss per granularity level on its frame scores averaged over the clip (fine only for the fine-only head).
 * Batches are drawn from a per-epoch seeded permutation, so a resumed run sees the same order.
 */
import * as tf from '../backend/tf';
import { throwIfCancelled, type RunContext } from '../core/context';
import { seededPermutation } from '../core/random';
import type { Clip } from '../data/types';
import { FLOW_STEP } from './flow';
import { forward, modelVariables, type ActionModel } from './model';

/** flow divided by this (pixels) before it enters the motion stream */
const FLOW_SCALE_PX = 2;
/** weight of each stream's per-level losses beside the fused loss (the paper's α_g, unstated there) */
const STREAM_LOSS_WEIGHT = 0.5;

export interface ClipInput {
  clip: Clip;
  flow: Int8Array;
}

/** Frame index of network step t for a clip of `frames` frames (resampled evenly). */
const frameAt = (t: number, T: number, frames: number) => (frames === T ? t : Math.round((t * (frames - 1)) / Math.max(1, T - 1)));

/** RGB [B·T, H, W, C] in [0,1] and flow stacks [B·T, H, W, 2S] of a batch of clips. */
function batchTensors(m: ActionModel, items: readonly ClipInput[]): { rgb: tf.Tensor4D; flow: tf.Tensor4D } {
  const { frames: T, height: H, width: W, rgbChannels: C, flowStack: S } = m.arch;
  const B = items.length;
  const rgb = new Float32Array(B * T * H * W * C);
  const flow = new Float32Array(B * T * H * W * 2 * S);
  const px = H * W;
  items.forEach(({ clip, flow: f }, b) => {
    const pixels = clip.pixels!;
    const fields = clip.frames - 1;
    for (let t = 0; t < T; t++) {
      const src = frameAt(t, T, clip.frames);
      const o = (b * T + t) * px * C;
      for (let k = 0; k < px * C; k++) rgb[o + k] = pixels[src * px * C + k] / 255;
      const of = (b * T + t) * px * 2 * S;
      for (let s = 0; s < S; s++) {
        const field = src + s;
        if (field >= fields) continue;
        for (let p = 0; p < px; p++) {
          flow[of + p * 2 * S + 2 * s] = (f[(field * px + p) * 2] * FLOW_STEP) / FLOW_SCALE_PX;
          flow[of + p * 2 * S + 2 * s + 1] = (f[(field * px + p) * 2 + 1] * FLOW_STEP) / FLOW_SCALE_PX;
        }
      }
    }
  });
  return { rgb: tf.tensor4d(rgb, [B * T, H, W, C]), flow: tf.tensor4d(flow, [B * T, H, W, 2 * S]) };
}

export interface TrainSettings {
  epochs: number;
  batchSize: number;
  seed: number;
  coarseOf: number[];
}

export interface EpochRecord {
  epoch: number;
  loss: number;
  valTop1Fine: number;
  seconds: number;
}

function ce(logits: tf.Tensor2D, labels: number[], classes: number): tf.Scalar {
  return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(labels, 'int32'), classes), logits) as tf.Scalar;
}

/** One epoch over `items` (order from seed and epoch); returns the mean loss. */
export async function trainEpoch(m: ActionModel, items: readonly ClipInput[], s: TrainSettings, epoch: number, opt: tf.Optimizer, ctx: RunContext, onBatch?: (f: number) => void): Promise<number> {
  const order = seededPermutation(items.length, s.seed * 100003 + epoch);
  const vars = modelVariables(m);
  const C = m.arch.classes;
  const Cc = m.arch.coarseClasses;
  let total = 0;
  let batches = 0;
  for (let i = 0; i < order.length; i += s.batchSize) {
    throwIfCancelled(ctx);
    const batch = Array.from(order.subarray(i, i + s.batchSize), (k) => items[k]);
    const labels = batch.map((it) => it.clip.label);
    const coarse = labels.map((l) => s.coarseOf[l] ?? 0);
    const { rgb, flow } = batchTensors(m, batch);
    const loss = opt.minimize(
      () => {
        const out = forward(m, rgb, flow, true);
        let l = ce(out.fused, labels, C);
        const streamLoss = (fine: tf.Tensor3D, crs: tf.Tensor3D | null) => {
          let sl = ce(fine.mean(1) as tf.Tensor2D, labels, C);
          if (crs) sl = sl.add(ce(crs.mean(1) as tf.Tensor2D, coarse, Cc));
          return sl.mul(STREAM_LOSS_WEIGHT);
        };
        l = l.add(streamLoss(out.rgbFine, out.rgbCoarse)).add(streamLoss(out.flowFine, out.flowCoarse));
        return l as tf.Scalar;
      },
      true,
      vars,
    );
    total += (await loss!.data())[0];
    batches++;
    loss!.dispose();
    rgb.dispose();
    flow.dispose();
    onBatch?.(Math.min(1, (i + s.batchSize) / order.length));
    // let a cancel or a progress message through between batches
    await new Promise((r) => setImmediate(r));
  }
  return total / Math.max(1, batches);
}

export interface ClipScores {
  /** fused fine-class probabilities per clip */
  fused: number[][];
  /** per-frame fine-class probabilities of each stream, [clip][t][class] (only when asked) */
  rgbFrames?: number[][][];
  flowFrames?: number[][][];
}

/** Scores of every clip (batches of `batchSize`, no training). */
export function scoreClips(m: ActionModel, items: readonly ClipInput[], batchSize = 32, frames = false): ClipScores {
  const fused: number[][] = [];
  const rgbFrames: number[][][] = [];
  const flowFrames: number[][][] = [];
  for (let i = 0; i < items.length; i += batchSize) {
    const batch = items.slice(i, i + batchSize);
    tf.tidy(() => {
      const { rgb, flow } = batchTensors(m, batch);
      const out = forward(m, rgb, flow, false);
      fused.push(...(tf.softmax(out.fused).arraySync() as number[][]));
      if (frames) {
        rgbFrames.push(...(tf.softmax(out.rgbFine).arraySync() as number[][][]));
        flowFrames.push(...(tf.softmax(out.flowFine).arraySync() as number[][][]));
      }
    });
  }
  return frames ? { fused, rgbFrames, flowFrames } : { fused };
}

const argmax = (v: readonly number[]) => v.reduce((best, x, i) => (x > v[best] ? i : best), 0);

export interface LevelScores {
  top1Fine: number;
  top1Coarse: number;
  /** confusion[true][predicted] per level */
  confusionFine: number[][];
  confusionCoarse: number[][];
}

/** Top-1 per level; the coarse prediction sums the fused fine probabilities of each coarse class. */
export function levelScores(probs: readonly number[][], labels: readonly number[], coarseOf: readonly number[], coarseClasses: number): LevelScores {
  const C = coarseOf.length;
  const confusionFine = Array.from({ length: C }, () => new Array<number>(C).fill(0));
  const confusionCoarse = Array.from({ length: coarseClasses }, () => new Array<number>(coarseClasses).fill(0));
  let fine = 0;
  let coarse = 0;
  probs.forEach((p, i) => {
    const y = labels[i];
    const pf = argmax(p);
    const pc = new Array<number>(coarseClasses).fill(0);
    p.forEach((v, c) => (pc[coarseOf[c]] += v));
    const pcArg = argmax(pc);
    confusionFine[y][pf]++;
    confusionCoarse[coarseOf[y]][pcArg]++;
    if (pf === y) fine++;
    if (pcArg === coarseOf[y]) coarse++;
  });
  const n = Math.max(1, probs.length);
  return { top1Fine: fine / n, top1Coarse: coarse / n, confusionFine, confusionCoarse };
}
