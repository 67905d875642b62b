/**
 * What every quant method works on: a layers model, its weighted layers (kernels), a resident evaluation set,
 * and masked retraining (quantized weights frozen by a 0/1 gradient mask, the rest trained).
 */
import * as tf from '../backend/tf';
import type { RunContext } from '../core/context';
import { throwIfCancelled } from '../core/context';
import { UserError } from '../core/errors';
import { seededPermutation } from '../core/random';
import type { ClassificationDataset, Split } from '../data';
import { batch } from '../data';
import { scalarMetric, selectionMetric } from '../metrics';
import { concatArrays } from '../core/arrays';
import type * as Ort from 'onnxruntime-node';
import { layersSession, ortRunAll, pickEvaluator } from '../export/ort';
import type { EvaluatedBy } from '../../shared/common';

type EvaluatorChoice = 'auto' | 'tfjs' | 'ort';

export interface QLayer {
  name: string;
  kind: string;
  /** the layer's kernel (conv / dense / depthwise) */
  kernel: tf.LayerVariable;
  shape: number[];
  size: number;
}

const WEIGHTED = new Set(['Conv2D', 'Dense', 'DepthwiseConv2D', 'Conv1D', 'SeparableConv2D']);

/** The layers whose kernels get quantized, in model order; biases and BatchNorm stay float. */
export function quantLayers(model: tf.LayersModel): QLayer[] {
  const out: QLayer[] = [];
  const walk = (m: tf.LayersModel, prefix: string) => {
    for (const layer of m.layers) {
      if (layer instanceof tf.LayersModel) {
        walk(layer, `${prefix}${layer.name}/`);
        continue;
      }
      if (!WEIGHTED.has(layer.getClassName())) continue;
      const k = layer.weights.find((w) => /kernel$/.test(w.originalName));
      if (!k) continue;
      out.push({ name: prefix + layer.name, kind: layer.getClassName(), kernel: k, shape: [...k.shape] as number[], size: k.shape.reduce((a, b) => a! * b!, 1)! });
    }
  };
  walk(model, '');
  if (out.length === 0) throw new UserError(`model ${model.name} has no conv or dense kernels to quantize`);
  return out;
}

export function readKernel(l: QLayer): Float32Array {
  return Float32Array.from(l.kernel.read().dataSync() as Float32Array);
}

export function writeKernel(l: QLayer, v: Float32Array): void {
  tf.tidy(() => {
    l.kernel.write(tf.tensor(v, l.shape));
  });
}

function endsInSoftmax(model: tf.LayersModel): boolean {
  const last = model.layers[model.layers.length - 1];
  const act = (last.getConfig() as { activation?: string }).activation;
  return act === 'softmax' || last.getClassName() === 'Softmax';
}

/**
 * A fixed evaluation set held as tensors so every episode only runs the forward pass. It scores with one metric
 * of the classification task from the metric registry (its selection metric, top-1, unless told otherwise).
 */
export class Evaluator {
  private xs: tf.Tensor4D[] = [];
  private ys: Int32Array;
  readonly n: number;
  readonly metric: string;
  /** which path ran (known after the first evaluation) */
  by: EvaluatedBy = { evaluator: 'tfjs' };
  private want: EvaluatorChoice;
  private picked = false;
  constructor(
    private model: tf.LayersModel,
    split: Split,
    shape: readonly [number, number, number],
    indices?: ArrayLike<number>,
    opts: { batchSize?: number; metric?: string; evaluator?: EvaluatorChoice } = {},
  ) {
    const idx = indices ?? Uint32Array.from({ length: split.n }, (_, i) => i);
    const batchSize = opts.batchSize ?? 500;
    this.metric = selectionMetric('classification', opts.metric).name;
    this.want = opts.evaluator ?? 'auto';
    this.n = idx.length;
    this.ys = new Int32Array(this.n);
    for (let s = 0; s < idx.length; s += batchSize) {
      const part = Array.from({ length: Math.min(batchSize, idx.length - s) }, (_, i) => idx[s + i]);
      const b = batch(split, part, shape);
      this.xs.push(tf.tensor4d(b.x, [part.length, ...shape]));
      this.ys.set(b.y, s);
    }
  }
  /**
   * The model's scores on every example, n × classes, with its current weights. Through ONNX Runtime the
   * candidate's weights are exported into a fresh in-memory ONNX per call (the first call's session is the pick's).
   */
  async scores(): Promise<{ scores: Float32Array; classes: number }> {
    let session: Ort.InferenceSession | undefined;
    if (!this.picked) {
      this.picked = true;
      const tfjs = (x: Float32Array, dims: number[]) => tf.tidy(() => (this.model.predict(tf.tensor(x, dims)) as tf.Tensor).dataSync() as Float32Array);
      const pick = this.xs.length ? await pickEvaluator(this.want, this.model, this.xs[0].shape, tfjs, this.model.name, true) : { evaluator: 'tfjs' as const };
      this.by = { evaluator: pick.evaluator, ...('note' in pick && pick.note ? { evaluatorNote: pick.note } : {}) };
      session = 'session' in pick ? pick.session : undefined;
    } else if (this.by.evaluator === 'ort') {
      session = await layersSession(this.model, this.model.name);
    }
    const parts: Float32Array[] = [];
    let classes = 0;
    if (session) {
      try {
        for (const x of this.xs) {
          const out = await ortRunAll(session, x.dataSync() as Float32Array, x.shape);
          const y = out[session.outputNames[0]];
          classes = y.dims[y.dims.length - 1] ?? 0;
          parts.push(y.data);
        }
      } finally {
        await session.release();
      }
      return { scores: concatArrays(Float32Array, parts), classes };
    }
    for (const x of this.xs) {
      const out = tf.tidy(() => this.model.predict(x) as tf.Tensor);
      classes = out.shape[out.shape.length - 1] ?? 0;
      parts.push(out.dataSync() as Float32Array);
      out.dispose();
    }
    return { scores: concatArrays(Float32Array, parts), classes };
  }
  /** the metric on the whole set, and the scores behind it (for subset spreads) */
  async evaluate(): Promise<{ value: number; scores: Float32Array; classes: number }> {
    const s = await this.scores();
    return { value: this.on(s.scores, s.classes), ...s };
  }
  /** the metric on the rows `rows` of scores from `scores()` (all rows when absent) */
  on(scores: Float32Array, classes: number, rows?: ArrayLike<number>): number {
    if (!rows) return scalarMetric('classification', { n: this.n, classes, scores, labels: this.ys }, this.metric);
    const sub = new Float32Array(rows.length * classes);
    const labels = new Int32Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      sub.set(scores.subarray(rows[i] * classes, (rows[i] + 1) * classes), i * classes);
      labels[i] = this.ys[rows[i]];
    }
    return scalarMetric('classification', { n: rows.length, classes, scores: sub, labels }, this.metric);
  }
  /** the metric on the whole set */
  async score(): Promise<number> {
    return (await this.evaluate()).value;
  }
  dispose(): void {
    tf.dispose(this.xs);
    this.xs = [];
  }
}

/** A seeded, fixed subset of a split's indices (the episode evaluation set). */
export function seededSubset(n: number, size: number, seed: number): Uint32Array {
  return seededPermutation(n, seed).slice(0, Math.min(n, size)).sort();
}

export interface RetrainOptions {
  epochs: number;
  /** Adam learning rate */
  learningRate: number;
  batchSize: number;
  seed: number;
  /** train on the first N examples of a seeded shuffle of the train split (all when absent) */
  limit?: number;
}

/**
 * Frozen weights of each layer: mask 1 = still float (trainable), 0 = quantized and frozen at `frozen`.
 * Gradients of frozen weights are multiplied by 0, and frozen values are written back after every epoch so
 * no optimizer drift can move them.
 */
export interface FreezeState {
  mask: Map<string, Float32Array>;
  frozen: Map<string, Float32Array>;
}

export function emptyFreeze(layers: QLayer[]): FreezeState {
  return {
    mask: new Map(layers.map((l) => [l.name, new Float32Array(l.size).fill(1)])),
    frozen: new Map(layers.map((l) => [l.name, new Float32Array(l.size)])),
  };
}

/** Writes frozen values into the kernels (float weights untouched). */
export function applyFreeze(layers: QLayer[], st: FreezeState): void {
  for (const l of layers) {
    const m = st.mask.get(l.name)!;
    const f = st.frozen.get(l.name)!;
    const w = readKernel(l);
    for (let i = 0; i < w.length; i++) if (m[i] === 0) w[i] = f[i];
    writeKernel(l, w);
  }
}

/** Masked retraining of every trainable weight of the model (kernels through their masks; biases, BN freely). */
export async function retrain(
  model: tf.LayersModel,
  data: ClassificationDataset,
  layers: QLayer[],
  st: FreezeState,
  opts: RetrainOptions,
  ctx: RunContext,
  onBatch?: (done: number, total: number) => void,
): Promise<void> {
  if (opts.epochs <= 0) return;
  const nTrain = Math.min(data.train.n, opts.limit ?? data.train.n);
  const bs = opts.batchSize;
  const perEpoch = Math.ceil(nTrain / bs);
  const softmax = endsInSoftmax(model);
  const vars = model.trainableWeights.map((v) => v.read() as tf.Variable);
  const maskOf = new Map<string, tf.Tensor>();
  for (const l of layers) {
    const m = st.mask.get(l.name)!;
    // a layer with every weight frozen takes no kernel update at all
    maskOf.set(l.kernel.read().id.toString(), tf.tensor(m, l.shape));
  }
  const opt = tf.train.adam(opts.learningRate);
  const [h, w, c] = data.shape;
  try {
    for (let e = 0; e < opts.epochs; e++) {
      const order = seededPermutation(data.train.n, opts.seed * 31 + e).subarray(0, nTrain);
      for (let b = 0; b < perEpoch; b++) {
        throwIfCancelled(ctx);
        const m = Math.min(bs, nTrain - b * bs);
        const mb = batch(data.train, order.subarray(b * bs, b * bs + m), data.shape);
        tf.tidy(() => {
          const x = tf.tensor4d(mb.x, [m, h, w, c]);
          const labels = tf.oneHot(tf.tensor1d(Int32Array.from(mb.y), 'int32'), data.classes);
          const { grads } = tf.variableGrads(() => {
            const out = model.apply(x, { training: true }) as tf.Tensor;
            if (!softmax) return tf.losses.softmaxCrossEntropy(labels, out) as tf.Scalar;
            return tf.mean(tf.neg(tf.sum(tf.mul(labels, tf.log(tf.clipByValue(out, 1e-7, 1))), -1))) as tf.Scalar;
          }, vars);
          const masked: tf.NamedTensorMap = {};
          for (const v of vars) {
            const g = grads[v.name];
            if (!g) continue;
            const mask = maskOf.get(v.id.toString());
            masked[v.name] = mask ? tf.mul(g, mask) : g;
          }
          opt.applyGradients(masked as unknown as Parameters<typeof opt.applyGradients>[0]);
        });
        onBatch?.(e * perEpoch + b + 1, opts.epochs * perEpoch);
        if (b % 4 === 3) await new Promise((r) => setImmediate(r));
      }
      applyFreeze(layers, st);
    }
  } finally {
    opt.dispose();
    tf.dispose([...maskOf.values()]);
  }
}
