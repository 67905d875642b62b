import * as tf from '../../backend/tf';
import { backendName, initBackend } from '../../backend';
import type { RunContext } from '../../core/context';
import { throwIfCancelled } from '../../core/context';
import { UserError } from '../../core/errors';
import type { Split } from '../../data';
import { loadDataset, splitsOf } from '../../data';
import type { LoadedModel } from '../../models/io';
import { loadModel } from '../../models/io';
import type { EvalResult } from '../../../shared/api';

export interface EvalConfig {
  model: string;
  data: string;
  limit?: number;
  batchSize?: number;
  split?: 'val' | 'test';
  valFraction?: number;
  valSeed?: number;
}

/** Checks that a dataset's examples fit the model's input, naming both when they do not. */
export function checkInputShape(model: LoadedModel, shape: readonly number[], dataRef: string): void {
  const want = model.inputShape.slice(1);
  const ok = want.length === shape.length && want.every((d, i) => d === null || d === shape[i]);
  if (!ok) {
    throw new UserError(
      `model ${model.ref} expects input ${want.map((d) => d ?? '?').join('×')} but dataset ${dataRef} gives ${shape.join('×')}`,
    );
  }
}

/** Top-1 of a model on the first `limit` examples of a split, in batches, yielding between batches. */
export async function top1(
  predict: (x: tf.Tensor) => tf.Tensor,
  split: Split,
  shape: readonly [number, number, number],
  opts: { limit?: number; batchSize?: number; ctx?: RunContext; from?: number; to?: number; predictAsync?: (x: tf.Tensor) => Promise<tf.Tensor> } = {},
): Promise<{ top1: number; n: number }> {
  const n = Math.min(split.n, opts.limit ?? split.n);
  const bs = opts.batchSize ?? 256;
  const per = shape[0] * shape[1] * shape[2];
  let correct = 0;
  for (let start = 0; start < n; start += bs) {
    if (opts.ctx) throwIfCancelled(opts.ctx);
    const end = Math.min(n, start + bs);
    let hits: number;
    if (opts.predictAsync) {
      // an async evaluator (ONNX Runtime) cannot run inside tf.tidy: dispose by hand
      const x = tf.tensor4d(split.x.subarray(start * per, end * per), [end - start, ...shape]);
      const out = await opts.predictAsync(x);
      x.dispose();
      hits = tf.tidy(() => out.argMax(-1).equal(tf.tensor1d(split.y.subarray(start, end), 'int32')).sum().dataSync()[0]);
      out.dispose();
    } else {
      hits = tf.tidy(() => {
        const x = tf.tensor4d(split.x.subarray(start * per, end * per), [end - start, ...shape]);
        const pred = predict(x).argMax(-1);
        const y = tf.tensor1d(split.y.subarray(start, end), 'int32');
        return pred.equal(y).sum().dataSync()[0];
      });
    }
    correct += hits;
    if (opts.ctx) {
      // progress only where the caller gave this evaluation a slice of its run
      if (opts.from !== undefined && opts.to !== undefined) {
        opts.ctx.progress({ fraction: opts.from + ((opts.to - opts.from) * end) / n, stage: `evaluating ${end}/${n}` });
      }
      await new Promise((r) => setImmediate(r));
    }
  }
  return { top1: n === 0 ? 0 : correct / n, n };
}

export async function run(config: EvalConfig, ctx: RunContext): Promise<EvalResult> {
  await initBackend();
  ctx.progress({ fraction: 0, stage: 'loading model' });
  const model = await loadModel(config.model);
  try {
    ctx.progress({ fraction: 0.05, stage: 'loading data' });
    const data = await loadDataset(config.data, { valFraction: config.valFraction, valSeed: config.valSeed });
    checkInputShape(model, data.shape, config.data);
    const split = config.split ?? 'test';
    const r = await top1((x) => model.predict(x), data[split], data.shape, {
      limit: config.limit,
      batchSize: config.batchSize,
      ctx,
      from: 0.1,
      to: 1,
      predictAsync: model.predictAsync ? (x) => model.predictAsync!(x) : undefined,
    });
    ctx.progress({ fraction: 1, stage: 'done', metrics: { top1: r.top1 } });
    return { top1: r.top1, n: r.n, split, splits: splitsOf(data), backend: backendName() };
  } finally {
    model.dispose();
  }
}
