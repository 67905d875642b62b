import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as tf from '../../backend/tf';
import { backendName, initBackend } from '../../backend';
import type { RunContext } from '../../core/context';
import { throwIfCancelled } from '../../core/context';
import { UserError } from '../../core/errors';
import { makeRng, seededPermutation } from '../../core/random';
import { batch, loadDataset, splitsOf } from '../../data';
import { buildModel } from '../../models/zoo';
import { loadModel, saveLayersModel } from '../../models/io';
import { top1 } from '../eval';
import type { z } from 'zod';
import type { TrainConfig as TrainSchema, TrainResult } from '../../../shared/api';
import { concatArrays } from '../../core/arrays';

/** The parsed form of the contract's TrainConfig (defaults applied). */
export type TrainConfig = z.output<typeof TrainSchema>;

interface CheckpointState {
  version: 1;
  /** epochs completed */
  epoch: number;
  config: TrainConfig;
  history: TrainResult['history'];
  optimizer: { name: string; shape: number[] }[];
}

const sameRun = (a: TrainConfig, b: TrainConfig) =>
  a.arch === b.arch && a.data === b.data && a.seed === b.seed && a.optimizer === b.optimizer &&
  a.learningRate === b.learningRate && a.batchSize === b.batchSize && a.limit === b.limit &&
  a.schedule === b.schedule && a.augment === b.augment && a.valFraction === b.valFraction && a.valSeed === b.valSeed && (a.schedule === 'constant' || a.epochs === b.epochs);

const baseRate = (cfg: TrainConfig) => cfg.learningRate ?? (cfg.optimizer === 'sgd' ? 0.05 : 1e-3);

function makeOptimizer(cfg: TrainConfig): tf.Optimizer {
  if (cfg.optimizer === 'sgd') return tf.train.momentum(baseRate(cfg), 0.9);
  return tf.train.adam(baseRate(cfg));
}

/** Learning rate at a point of the run (progress in [0, 1)). */
function rateAt(cfg: TrainConfig, progress: number): number {
  const base = baseRate(cfg);
  return cfg.schedule === 'cosine' ? base * 0.5 * (1 + Math.cos(Math.PI * progress)) : base;
}

function setRate(opt: tf.Optimizer, rate: number): void {
  // Adam reads its learningRate field every step; SGD-family optimizers cache it behind setLearningRate
  const o = opt as unknown as { learningRate: number; setLearningRate?: (r: number) => void };
  if (typeof o.setLearningRate === 'function') o.setLearningRate(rate);
  else o.learningRate = rate;
}

/** Random translation by up to `max` pixels with zero fill, in place, one draw per example. */
export function shiftBatch(x: Float32Array, n: number, shape: readonly [number, number, number], rng: () => number, max = 2): void {
  const [h, w, c] = shape;
  const per = h * w * c;
  const src = new Float32Array(per);
  for (let i = 0; i < n; i++) {
    const dy = Math.floor(rng() * (2 * max + 1)) - max;
    const dx = Math.floor(rng() * (2 * max + 1)) - max;
    if (dx === 0 && dy === 0) continue;
    const img = x.subarray(i * per, (i + 1) * per);
    src.set(img);
    img.fill(0);
    for (let y = Math.max(0, dy); y < Math.min(h, h + dy); y++) {
      const from = ((y - dy) * w + Math.max(0, -dx)) * c;
      const to = (y * w + Math.max(0, dx)) * c;
      img.set(src.subarray(from, from + (w - Math.abs(dx)) * c), to);
    }
  }
}

/** Cross-entropy that works whether the net ends in softmax (probabilities) or in logits. */
function lossFn(endsInSoftmax: boolean, out: tf.Tensor, labels: tf.Tensor): tf.Scalar {
  if (!endsInSoftmax) return tf.losses.softmaxCrossEntropy(labels, out) as tf.Scalar;
  return tf.mean(tf.neg(tf.sum(tf.mul(labels, tf.log(tf.clipByValue(out, 1e-7, 1))), -1))) as tf.Scalar;
}

function endsInSoftmax(model: tf.LayersModel): boolean {
  const last = model.layers[model.layers.length - 1];
  const act = (last.getConfig() as { activation?: string }).activation;
  return act === 'softmax' || last.getClassName() === 'Softmax';
}

function writeAtomic(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

async function saveCheckpoint(dir: string, model: tf.LayersModel, opt: tf.Optimizer, state: Omit<CheckpointState, 'optimizer'>) {
  // write next to the live checkpoint, then swap: a kill mid-write leaves the previous one intact
  const next = `${dir}.next`;
  rmSync(next, { recursive: true, force: true });
  mkdirSync(next, { recursive: true });
  await saveLayersModel(model, next);
  const weights = await opt.getWeights();
  const floats = weights.map((w) => w.tensor.dataSync() as Float32Array);
  const buf = concatArrays(Float32Array, floats);
  writeFileSync(join(next, 'optimizer.bin'), new Uint8Array(buf.buffer));
  const full: CheckpointState = { ...state, optimizer: weights.map((w) => ({ name: w.name, shape: w.tensor.shape })) };
  writeFileSync(join(next, 'state.json'), JSON.stringify(full));
  rmSync(dir, { recursive: true, force: true });
  renameSync(next, dir);
}

function checkpointDir(out: string): string {
  return join(out, 'checkpoint');
}

export function hasCheckpoint(out: string | undefined): boolean {
  return !!out && existsSync(join(checkpointDir(out), 'state.json'));
}

async function restoreCheckpoint(dir: string, cfg: TrainConfig): Promise<{ model: tf.LayersModel; opt: tf.Optimizer; state: CheckpointState } | null> {
  const stateFile = join(dir, 'state.json');
  if (!existsSync(stateFile)) return null;
  let state: CheckpointState;
  try {
    state = JSON.parse(readFileSync(stateFile, 'utf8')) as CheckpointState;
  } catch {
    throw new UserError('checkpoint state is not valid JSON; delete the checkpoint folder to start over', stateFile);
  }
  if (!sameRun(state.config, cfg)) {
    throw new UserError('holds a checkpoint of a different training run; choose another --out folder', resolve(dir, '..'));
  }
  const loaded = await loadModel(join(dir, 'model.json'));
  const model = loaded.layers;
  if (!model) throw new UserError('checkpoint is not a layers model', dir);
  const opt = makeOptimizer(cfg);
  const raw = readFileSync(join(dir, 'optimizer.bin'));
  const floats = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
  let o = 0;
  const named = state.optimizer.map((w) => {
    const size = w.shape.reduce((a, b) => a * b, 1);
    const t = tf.tensor(floats.slice(o, o + size), w.shape);
    o += size;
    return { name: w.name, tensor: t };
  });
  if (o !== floats.length) throw new UserError('optimizer state is truncated', join(dir, 'optimizer.bin'));
  await opt.setWeights(named);
  return { model, opt, state };
}

/**
 * Optional hooks that turn ordinary training into a variant of it (low-rank TRP uses them) without copying the
 * loop. All are optional; without hooks `run` behaves exactly as before.
 */
export interface TrainHooks {
  /** the starting model instead of a fresh zoo model (e.g. to continue from a loaded one); ignored on resume */
  initModel?(): tf.LayersModel | Promise<tf.LayersModel>;
  /** before each optimizer step (0-based over the whole run), outside any tidy: may rewrite weights in place */
  beforeStep?(step: number, model: tf.LayersModel): void | Promise<void>;
  /** a term added to the loss inside the minimized function, so its gradient joins the task gradient */
  extraLoss?(step: number, model: tf.LayersModel): tf.Scalar | null;
  /** after each epoch's validation; the metrics it returns join that epoch's progress event */
  afterEpoch?(epoch: number, model: tf.LayersModel): Record<string, number> | void | Promise<Record<string, number> | void>;
}

export async function run(config: TrainConfig, ctx: RunContext, hooks: TrainHooks = {}): Promise<TrainResult> {
  await initBackend();
  const out = resolve(config.out ?? ctx.workDir ?? '.');
  mkdirSync(out, { recursive: true });
  ctx.progress({ fraction: 0, stage: 'loading data' });
  const data = await loadDataset(config.data, { valFraction: config.valFraction, valSeed: config.valSeed });
  const [h, w, c] = data.shape;
  const nTrain = Math.min(data.train.n, config.limit ?? data.train.n);
  const bs = config.batchSize;
  const batchesPerEpoch = Math.ceil(nTrain / bs);

  const ckDir = checkpointDir(out);
  let model: tf.LayersModel;
  let opt: tf.Optimizer;
  let startEpoch = 0;
  let history: TrainResult['history'] = [];
  const restored = await restoreCheckpoint(ckDir, config);
  if (restored) {
    ({ model, opt } = restored);
    startEpoch = restored.state.epoch;
    history = restored.state.history;
    ctx.log?.(`resuming from epoch ${startEpoch} (checkpoint in ${ckDir})`);
  } else {
    model = hooks.initModel ? await hooks.initModel() : buildModel(config.arch, { inputShape: data.shape, classes: data.classes, seed: config.seed });
    opt = makeOptimizer(config);
  }
  const softmaxOut = endsInSoftmax(model);
  const vars = model.trainableWeights.map((v) => v.read() as tf.Variable);
  const totalSteps = config.epochs * batchesPerEpoch;

  try {
    for (let epoch = startEpoch; epoch < config.epochs; epoch++) {
      // the order of each epoch depends only on (seed, epoch): a resumed run sees the same batches
      const order = seededPermutation(nTrain, config.seed * 7919 + epoch);
      const augmentRng = makeRng(config.seed * 104729 + epoch);
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      let lastReport = 0;
      for (let b = 0; b < batchesPerEpoch; b++) {
        throwIfCancelled(ctx);
        const start = b * bs;
        const m = Math.min(bs, nTrain - start);
        const mb = batch(data.train, order.subarray(start, start + m), data.shape);
        if (config.augment === 'shift') shiftBatch(mb.x, m, data.shape, augmentRng);
        setRate(opt, rateAt(config, (epoch * batchesPerEpoch + b) / totalSteps));
        const globalStep = epoch * batchesPerEpoch + b;
        if (hooks.beforeStep) await hooks.beforeStep(globalStep, model);
        const [lossV, hits] = tf.tidy(() => {
          const x = tf.tensor4d(mb.x, [m, h, w, c]);
          const labels = tf.oneHot(tf.tensor1d(Int32Array.from(mb.y), 'int32'), data.classes);
          let hitsT: tf.Tensor | null = null;
          const loss = opt.minimize(
            () => {
              const out = model.apply(x, { training: true }) as tf.Tensor;
              // minimize disposes what f creates; keep the hit count for the running accuracy
              hitsT = tf.keep(tf.sum(tf.equal(tf.argMax(out, -1), tf.argMax(labels, -1))));
              const task = lossFn(softmaxOut, out, labels);
              const extra = hooks.extraLoss?.(globalStep, model);
              return extra ? (tf.add(task, extra) as tf.Scalar) : task;
            },
            true,
            vars,
          ) as tf.Scalar;
          const acc = hitsT!;
          const hits = acc.dataSync()[0];
          acc.dispose();
          return [loss.dataSync()[0], hits];
        });
        if (!Number.isFinite(lossV)) {
          throw new UserError(`training diverged at epoch ${epoch + 1}, batch ${b + 1} (loss ${lossV}); lower the learning rate`);
        }
        lossSum += lossV * m;
        correct += hits;
        seen += m;
        const step = epoch * batchesPerEpoch + b + 1;
        const now = Date.now();
        if (now - lastReport > 500 || b === batchesPerEpoch - 1) {
          lastReport = now;
          ctx.progress({
            fraction: (0.95 * step) / totalSteps,
            stage: `epoch ${epoch + 1}/${config.epochs}`,
            metrics: { step, epoch: epoch + step / batchesPerEpoch - epoch, loss: lossSum / seen, acc: correct / seen },
          });
        }
        // let cancel messages and progress events through between batches
        await new Promise((r) => setImmediate(r));
      }
      // selection-side figure: val, never test
      const val = await top1((x) => model.predict(x) as tf.Tensor, data.val, data.shape, {
        limit: config.evalLimit,
        ctx,
      });
      history.push({ epoch: epoch + 1, loss: lossSum / seen, acc: correct / seen, valTop1: val.top1 });
      const hookMetrics = (await hooks.afterEpoch?.(epoch, model)) ?? {};
      await saveCheckpoint(ckDir, model, opt, { version: 1, epoch: epoch + 1, config, history });
      ctx.progress({
        fraction: (0.95 * (epoch + 1)) / config.epochs,
        stage: `epoch ${epoch + 1}/${config.epochs} done`,
        metrics: { ...hookMetrics, step: (epoch + 1) * batchesPerEpoch, epoch: epoch + 1, loss: lossSum / seen, acc: correct / seen, valTop1: val.top1 },
      });
    }

    ctx.progress({ fraction: 0.96, stage: 'final evaluation (test)' });
    const final = await top1((x) => model.predict(x) as tf.Tensor, data.test, data.shape, { ctx, from: 0.96, to: 0.99 });
    const result: TrainResult = {
      arch: config.arch,
      data: config.data,
      seed: config.seed,
      epochs: config.epochs,
      top1: final.top1,
      n: final.n,
      split: 'test',
      backend: backendName(),
      modelPath: join(out, 'model.json'),
      history,
      val: { split: 'val', n: Math.min(data.val.n, config.evalLimit ?? data.val.n) },
      splits: splitsOf(data),
    };
    await saveLayersModel(model, out, {
      layerlens: { train: { ...config, out: undefined }, top1: final.top1, n: final.n, split: 'test', backend: result.backend, splitSeed: data.splitSeed, splits: result.splits },
    });
    writeAtomic(join(out, 'train.json'), JSON.stringify({ config: { ...config, out: undefined }, result }, null, 2));
    ctx.progress({ fraction: 1, stage: 'done', metrics: { top1: final.top1 } });
    return result;
  } finally {
    model.dispose();
    opt.dispose();
  }
}
