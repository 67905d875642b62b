// What export targets share: the session they write from (plan + evaluation inputs + the simulated model's
// outputs on them), what a writer returns, and the helpers that reload-and-compare uses.
import { gzipSync } from 'node:zlib';
import * as tf from '../backend/tf';
import type { RunContext } from '../core/context';
import { throwIfCancelled } from '../core/context';
import type { LoadedModel, ModelOutput, Runnable } from '../models/model';
import type { ExportPlan } from './plan';
import type { ExportVerify } from '../../shared/api-export';
import { concatArrays } from '../core/arrays';

/** The evaluation inputs and the simulated model's outputs on them, computed once for every target. */
export interface EvalSet {
  x: Float32Array;
  y: Uint8Array | null;
  n: number;
  shape: number[];
  data: string;
  /** the first output, row-major [n, classes] */
  simulated: Float32Array;
  /** every output of the simulated model, in the model's order, row-major [n, …] */
  simulatedAll: Float32Array[];
  outputs: ModelOutput[];
  classes: number;
  /** examples per forward pass (a file with a fixed batch size gets that size) */
  batch: number;
}

export interface ExportSession {
  source: LoadedModel;
  plan: ExportPlan;
  /** where the policy came from: the --policy file, the one the model carries, or null */
  policyPath: string | null;
  evalSet: EvalSet;
  dispose(): void;
}

/** What a writer produced: files, and per plan layer the bytes, stored data, container and flags. */
export interface Written {
  files: string[];
  bytes: Map<string, number>;
  data: Map<string, Uint8Array[]>;
  storage: Map<string, string>;
  flags: Map<string, string[]>;
  /** what the format's own verify needs from its write (e.g. the expected ONNX tensors) */
  extra?: unknown;
}
/** What reloading the written files gave: per-layer max weight error and the first output on the eval inputs. */
export interface Verified {
  errors: Map<string, number>;
  /** every output, in the model's order (the first is what top-1 reads) */
  reloaded: Float32Array[];
  runtime: string;
}

export const gz = (b: Uint8Array) => gzipSync(b, { level: 9 }).byteLength;

/** Every output of one batch, in the model's order, each row-major [b, …]. */
export type Predictor = (xb: Float32Array, b: number) => Promise<Float32Array[]>;

/** Runs a predictor over the eval inputs in batches; returns every output, row-major [n, …]. */
export async function predictAll(x: Float32Array, n: number, shape: number[], predict: Predictor, ctx?: RunContext, batch = 256): Promise<Float32Array[]> {
  const per = shape.reduce((a, b) => a * b, 1);
  const outs: Float32Array[][] = [];
  for (let s = 0; s < n; s += batch) {
    if (ctx) throwIfCancelled(ctx);
    const e = Math.min(n, s + batch);
    outs.push(await predict(x.subarray(s * per, e * per), e - s));
  }
  const k = outs[0]?.length ?? 1;
  return Array.from({ length: k }, (_, i) => concatArrays(Float32Array, outs.map((o) => o[i] ?? new Float32Array(0))));
}

/** Every output of a layers model or any Runnable, flattened per example. */
export function tfPredictor(model: tf.LayersModel | Runnable, shape: number[]): Predictor {
  return async (xb, b) => {
    const ys = tf.tidy(() => {
      const x = tf.tensor(xb, [b, ...shape]);
      const out = model instanceof tf.LayersModel ? (model.predict(x) as tf.Tensor | tf.Tensor[]) : Object.values(model.predictAll(x));
      return (Array.isArray(out) ? out : [out]).map((t) => t.reshape([b, -1]));
    });
    const data = await Promise.all(ys.map(async (y) => (await y.data()) as Float32Array));
    tf.dispose(ys);
    return data;
  };
}

const argmax = (v: Float32Array, row: number, k: number) => {
  let best = 0;
  for (let j = 1; j < k; j++) if (v[row * k + j] > v[row * k + best]) best = j;
  return best;
};

export function compareOutputs(ev: EvalSet, reloaded: Float32Array): Pick<ExportVerify, 'top1Simulated' | 'top1Reloaded' | 'agreement' | 'maxOutputDiff'> {
  const k = ev.classes;
  let agree = 0;
  let hitS = 0;
  let hitR = 0;
  let maxDiff = 0;
  for (let i = 0; i < ev.n; i++) {
    const a = argmax(ev.simulated, i, k);
    const b = argmax(reloaded, i, k);
    if (a === b) agree++;
    if (ev.y) {
      if (a === ev.y[i]) hitS++;
      if (b === ev.y[i]) hitR++;
    }
    for (let j = 0; j < k; j++) maxDiff = Math.max(maxDiff, Math.abs(ev.simulated[i * k + j] - reloaded[i * k + j]));
  }
  return {
    top1Simulated: ev.y ? hitS / ev.n : null,
    top1Reloaded: ev.y ? hitR / ev.n : null,
    agreement: ev.n ? agree / ev.n : 1,
    maxOutputDiff: maxDiff,
  };
}

export const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};
