/**
 * Progressive partition quantization, shared by DNQ (Module B), SLQ and MLQ: at each step a cumulative fraction
 * of every target layer's weights is set to its nearest level and frozen; the rest of the net is retrained.
 *
 * Project reading of the papers (methods.md §1.3 B, §4.3): the codebook / scales are fitted once on the
 * pretrained weights and kept fixed; which weights go first is the `order`:
 *  - distance: smallest |w − q(w)| first (DNQ);
 *  - magnitude: largest |w| first (INQ);
 *  - cluster-loss: whole clusters with the smallest Σ(w − c)² over their still-float weights first (SLQ paper);
 *  - cluster-magnitude: the zero cluster, then clusters by |c| descending (the released WLQ code).
 */
import type { RunContext } from '../core/context';
import { throwIfCancelled } from '../core/context';
import type { ClassificationDataset } from '../data';
import type * as tf from '../backend/tf';
import { dequantize, requantize, type QuantizedTensor } from './quantizers';
import { applyFreeze, readKernel, retrain, type Evaluator, type FreezeState, type QLayer, type RetrainOptions } from './session';

export type Order = 'distance' | 'magnitude' | 'cluster-loss' | 'cluster-magnitude';

export interface StepRecord {
  fraction: number;
  /** right after the step's weights were quantized and frozen */
  top1Quantized: number;
  /** after retraining the still-float weights */
  top1: number;
}

export interface ProgressiveEnv {
  model: tf.LayersModel;
  data: ClassificationDataset;
  /** every quantizable layer (frozen state spans them all) */
  layers: QLayer[];
  freeze: FreezeState;
  evaluator: Evaluator;
}

function selectKeys(order: Order, w: Float32Array, q: QuantizedTensor, deq: Float32Array, mask: Float32Array): Float64Array {
  const key = new Float64Array(w.length);
  if (order === 'distance') for (let i = 0; i < w.length; i++) key[i] = Math.abs(w[i] - deq[i]);
  else if (order === 'magnitude') for (let i = 0; i < w.length; i++) key[i] = -Math.abs(w[i]);
  else if (order === 'cluster-magnitude') for (let i = 0; i < w.length; i++) key[i] = deq[i] === 0 ? -Infinity : -Math.abs(deq[i]);
  else {
    // cluster id = (channel, code); loss over the still-float members only
    const loss = new Map<string, number>();
    const id = (i: number) => `${q.codes[i]}:${deq[i]}`;
    for (let i = 0; i < w.length; i++) {
      if (mask[i] === 0) continue;
      const k = id(i);
      loss.set(k, (loss.get(k) ?? 0) + (w[i] - deq[i]) ** 2);
    }
    for (let i = 0; i < w.length; i++) key[i] = mask[i] === 0 ? 0 : loss.get(id(i))!;
  }
  return key;
}

/** Freezes the weights of one layer up to `fraction`; cluster orders take whole clusters (ties included). */
function quantizeStep(l: QLayer, params: QuantizedTensor, fraction: number, order: Order, st: FreezeState): void {
  const w = readKernel(l);
  const q = requantize(w, params);
  const deq = dequantize(q);
  const mask = st.mask.get(l.name)!;
  const frozen = st.frozen.get(l.name)!;
  let done = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] === 0) done++;
  const need = Math.min(mask.length, Math.ceil(fraction * mask.length - 1e-9)) - done;
  if (need <= 0) return;
  const key = selectKeys(order, w, q, deq, mask);
  const free: number[] = [];
  for (let i = 0; i < mask.length; i++) if (mask[i] === 1) free.push(i);
  free.sort((a, b) => key[a] - key[b] || a - b);
  let take = Math.min(need, free.length);
  if (order === 'cluster-loss' || order === 'cluster-magnitude') {
    while (take < free.length && key[free[take]] === key[free[take - 1]]) take++;
  }
  for (let j = 0; j < take; j++) {
    const i = free[j];
    mask[i] = 0;
    frozen[i] = deq[i];
  }
}

/**
 * Runs the schedule on `targets` (each with fixed params), recording top-1 before and after retraining at
 * every step. Returns the step records and each target's final codes.
 */
export async function progressive(
  env: ProgressiveEnv,
  targets: { layer: QLayer; params: QuantizedTensor }[],
  fractions: number[],
  order: Order,
  retrainOpts: RetrainOptions,
  ctx: RunContext,
  onStep?: (s: StepRecord, stepIndex: number) => void,
  onBatch?: (stepIndex: number, done: number, total: number) => void,
): Promise<{ steps: StepRecord[]; quantized: Map<string, QuantizedTensor> }> {
  const steps: StepRecord[] = [];
  for (let t = 0; t < fractions.length; t++) {
    throwIfCancelled(ctx);
    for (const { layer, params } of targets) quantizeStep(layer, params, fractions[t], order, env.freeze);
    applyFreeze(env.layers, env.freeze);
    const top1Quantized = await env.evaluator.score();
    await retrain(env.model, env.data, env.layers, env.freeze, { ...retrainOpts, seed: retrainOpts.seed + t }, ctx, (d, n) => onBatch?.(t, d, n));
    const rec = { fraction: fractions[t], top1Quantized, top1: retrainOpts.epochs > 0 ? await env.evaluator.score() : top1Quantized };
    steps.push(rec);
    onStep?.(rec, t);
  }
  const quantized = new Map<string, QuantizedTensor>();
  for (const { layer, params } of targets) quantized.set(layer.name, requantize(env.freeze.frozen.get(layer.name)!, params));
  return { steps, quantized };
}
