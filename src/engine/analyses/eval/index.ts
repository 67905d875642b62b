import { z } from 'zod';
import * as tf from '../../backend/tf';
import { backendName, initBackend } from '../../backend';
import type { RunContext } from '../../core/context';
import { throwIfCancelled } from '../../core/context';
import { UserError } from '../../core/errors';
import type { ClassificationDataset, Dataset, Split } from '../../data';
import { openDataset, splitsOf } from '../../data';
import { computeMetrics } from '../../metrics';
import type { LoadedModel } from '../../models/io';
import { loadModel } from '../../models/io';
import type { TaskName } from '../../tasks';
import { getTask } from '../../tasks';
import { ortRunAll, pickEvaluator } from '../../export/ort';
import type { EvalConfig as Schema, EvalResult, MetricValue } from '../../../shared/api-eval';

export type EvalConfig = z.input<typeof Schema>;

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

/** Labels the model cannot output would index past its scores: a dataset with more classes is refused. */
function checkClassCount(model: LoadedModel, classes: number, dataRef: string): void {
  const out = model.outputs[0]?.shape;
  const k = out?.[out.length - 1];
  if (typeof k === 'number' && k > 0 && classes > k) {
    throw new UserError(`dataset ${dataRef} has ${classes} classes but model ${model.ref} outputs ${k} scores: labels ${k}..${classes - 1} are out of its range`);
  }
}

export interface ScoreOptions {
  limit?: number;
  batchSize?: number;
  ctx?: RunContext;
  /** the slice [from, to] of the caller's progress this evaluation reports into */
  from?: number;
  to?: number;
  /** an async evaluator (ONNX Runtime) instead of `predict` */
  predictAsync?: (x: tf.Tensor) => Promise<tf.Tensor>;
}

/** A classifier's scores (n × classes) on the first `limit` examples of a split, in batches, yielding between them. */
export async function scoreSplit(
  predict: (x: tf.Tensor) => tf.Tensor,
  split: Split,
  shape: readonly [number, number, number],
  opts: ScoreOptions = {},
): Promise<{ n: number; classes: number; scores: Float32Array; labels: Uint8Array }> {
  const n = Math.min(split.n, opts.limit ?? split.n);
  const bs = opts.batchSize ?? 256;
  const per = shape[0] * shape[1] * shape[2];
  let scores = new Float32Array(0);
  let classes = 0;
  for (let start = 0; start < n; start += bs) {
    if (opts.ctx) throwIfCancelled(opts.ctx);
    const end = Math.min(n, start + bs);
    const x = tf.tensor4d(split.x.subarray(start * per, end * per), [end - start, ...shape]);
    let out: tf.Tensor;
    try {
      // an async evaluator (ONNX Runtime) cannot run inside tf.tidy: dispose by hand
      out = opts.predictAsync ? await opts.predictAsync(x) : tf.tidy(() => predict(x));
    } finally {
      x.dispose();
    }
    const rows = out.dataSync() as Float32Array;
    const k = out.shape[out.shape.length - 1] ?? 0;
    out.dispose();
    if (out.shape.length !== 2 || rows.length !== (end - start) * k) {
      throw new UserError(`a classifier must output one row of class scores per image; the model gives shape [${out.shape.join(', ')}]`);
    }
    if (start === 0) {
      classes = k;
      scores = new Float32Array(n * k);
    }
    scores.set(rows, start * classes);
    if (opts.ctx) {
      // progress only where the caller gave this evaluation a slice of its run
      if (opts.from !== undefined && opts.to !== undefined) {
        opts.ctx.progress({ fraction: opts.from + ((opts.to - opts.from) * end) / n, stage: `evaluating ${end}/${n}` });
      }
      await new Promise((r) => setImmediate(r));
    }
  }
  return { n, classes, scores, labels: split.y.subarray(0, n) };
}

/** Classification metrics (from the registry; default the task's) of a model on the first `limit` examples. */
export async function measure(
  predict: (x: tf.Tensor) => tf.Tensor,
  split: Split,
  shape: readonly [number, number, number],
  opts: ScoreOptions & { metrics?: readonly string[] } = {},
): Promise<{ n: number; metrics: Record<string, MetricValue>; details: Record<string, unknown> }> {
  const s = await scoreSplit(predict, split, shape, opts);
  let top = -1;
  for (let i = 0; i < s.n; i++) if (s.labels[i] > top) top = s.labels[i];
  if (top >= s.classes) throw new UserError(`the model scores ${s.classes} classes but the dataset has class id ${top}`);
  const r = computeMetrics('classification', s, opts.metrics);
  return { n: s.n, metrics: r.metrics as Record<string, MetricValue>, details: r.details };
}

/** Top-1 through the metric registry: what training, low-rank and diff report. */
export async function top1(
  predict: (x: tf.Tensor) => tf.Tensor,
  split: Split,
  shape: readonly [number, number, number],
  opts: ScoreOptions = {},
): Promise<{ top1: number; n: number }> {
  const r = await measure(predict, split, shape, { ...opts, metrics: ['top1'] });
  return { top1: r.metrics.top1 as number, n: r.n };
}

type Evaluated = Pick<EvalResult, 'n' | 'metrics' | 'details' | 'evaluator' | 'evaluatorNote'>;
type TaskEval = (model: LoadedModel, data: Dataset, config: z.output<typeof Schema>, ctx: RunContext) => Promise<Evaluated>;

/** How a model is evaluated for each task: a new task is one more entry (detector and clip evaluators come with their models). */
const evaluators: Record<TaskName, TaskEval> = {
  classification: async (model, ds, config, ctx) => {
    const data = ds as ClassificationDataset;
    checkInputShape(model, data.shape, config.data);
    checkClassCount(model, data.classes, config.data);
    // an ONNX file already runs in ONNX Runtime; a layers model goes where a timed batch says (or where told)
    const tfjs = (x: Float32Array, dims: number[]) => tf.tidy(() => model.predict(tf.tensor(x, dims)).dataSync() as Float32Array);
    const pick = model.predictAsync
      ? { evaluator: 'ort' as const, note: 'the ONNX file runs in ONNX Runtime' }
      : await pickEvaluator(config.evaluator, model.layers, [Math.min(config.batchSize, data[config.split].n), ...data.shape], tfjs, model.ref);
    const session = 'session' in pick ? pick.session : undefined;
    const predictAsync = model.predictAsync
      ? (x: tf.Tensor) => model.predictAsync!(x)
      : session
        ? async (x: tf.Tensor) => {
            const outs = await ortRunAll(session, x.dataSync() as Float32Array, x.shape);
            const y = outs[session.outputNames[0]];
            return tf.tensor(y.data, y.dims);
          }
        : undefined;
    try {
      const r = await measure((x) => model.predict(x), data[config.split], data.shape, {
        limit: config.limit,
        batchSize: config.batchSize,
        ctx,
        from: 0.1,
        to: 1,
        metrics: config.metrics,
        predictAsync,
      });
      return { ...r, evaluator: pick.evaluator, ...(pick.note ? { evaluatorNote: pick.note } : {}) };
    } finally {
      await session?.release();
    }
  },
  detection: async (_m, ds) => {
    throw new UserError(`${ds.ref} is a detection dataset: evaluating it needs a detector, which eval does not run yet (its metrics: ${getTask('detection').defaultMetrics.join(', ')})`);
  },
  video: async (_m, ds) => {
    throw new UserError(`${ds.ref} is a video dataset: evaluating it needs a clip model, which eval does not run yet (its metric: ${getTask('video').defaultMetrics.join(', ')})`);
  },
};

export async function run(config: z.output<typeof Schema> | EvalConfig, ctx: RunContext): Promise<EvalResult> {
  const c = { batchSize: 256, split: 'test' as const, evaluator: 'auto' as const, ...config } as z.output<typeof Schema>;
  await initBackend();
  ctx.progress({ fraction: 0, stage: 'loading model' });
  const model = await loadModel(c.model);
  try {
    ctx.progress({ fraction: 0.05, stage: 'loading data' });
    const data = await openDataset(c.data, { valFraction: c.valFraction, valSeed: c.valSeed });
    const r = await evaluators[data.task](model, data, c, ctx);
    const headline = r.metrics[getTask(data.task).selectionMetric];
    ctx.progress({ fraction: 1, stage: 'done', metrics: typeof headline === 'number' ? { [getTask(data.task).selectionMetric]: headline } : undefined });
    return { task: data.task, split: c.split, n: r.n, metrics: r.metrics, details: r.details, classNames: data.classNames, splits: splitsOf(data), backend: backendName(), evaluator: r.evaluator, ...(r.evaluatorNote ? { evaluatorNote: r.evaluatorNote } : {}) };
  } finally {
    model.dispose();
  }
}
