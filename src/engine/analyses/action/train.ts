/**
 * `action train`: flow for every clip (cached), then the two-stream network with its fusion unit trained end to
 * end for `epochs`; after each epoch val top-1 (fine) is measured and the best epoch's weights are what the run
 * keeps (selection on val), test is scored once at the end. A checkpoint (weights, best weights, optimizer state,
 * history) is written every epoch, so a killed run continues from its last finished epoch.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { z } from 'zod';
import type { ActionScores, ActionTrainConfig as TrainSchema, ActionTrainResult } from '../../../shared/api-action';
import * as tf from '../../backend/tf';
import { backendName, initBackend } from '../../backend';
import { concatArrays } from '../../core/arrays';
import type { RunContext } from '../../core/context';
import { UserError } from '../../core/errors';
import { splitsOf } from '../../data';
import { buildActionModel, disposeActionModel, modelVariables, offsetWeights, type ActionArch, type ActionModel } from '../../action/model';
import { assignWeights, saveActionRun, weightBytes, writeAtomic, type ActionMeta } from '../../action/store';
import { levelScores, scoreClips, trainEpoch, type ClipInput, type EpochRecord } from '../../action/train';
import { hierarchyOf, openVideoData, withFlow } from './common';

export type ActionTrainConfig = z.output<typeof TrainSchema>;

const CHECKPOINT = 'checkpoint';
/** frames the network reads per clip (longer or shorter clips are resampled) */
const DEFAULT_FRAMES = 16;
const FEATURE = 32;
const HIDDEN = 32;

interface CheckpointState {
  key: string;
  epoch: number;
  history: EpochRecord[];
  bestEpoch: number;
  bestVal: number;
  optimizer: { name: string; shape: number[] }[];
}

function runKey(c: ActionTrainConfig): string {
  const { out: _out, ...rest } = c;
  return JSON.stringify(rest, Object.keys(rest).sort());
}

export function hasActionCheckpoint(out: string | undefined): boolean {
  return !!out && existsSync(join(out, CHECKPOINT, 'state.json'));
}

async function saveCheckpoint(out: string, m: ActionModel, best: Uint8Array, opt: tf.Optimizer, state: Omit<CheckpointState, 'optimizer'>): Promise<void> {
  // built beside the live one, then swapped: a kill mid-write leaves the previous checkpoint whole
  const dir = join(out, CHECKPOINT);
  const next = `${dir}.next`;
  rmSync(next, { recursive: true, force: true });
  mkdirSync(next, { recursive: true });
  writeAtomic(join(next, 'weights.bin'), weightBytes(modelVariables(m)));
  writeAtomic(join(next, 'best.bin'), best);
  const ow = await opt.getWeights();
  writeAtomic(join(next, 'optimizer.bin'), new Uint8Array(concatArrays(Float32Array, ow.map((w) => w.tensor.dataSync() as Float32Array)).buffer));
  writeAtomic(join(next, 'state.json'), JSON.stringify({ ...state, optimizer: ow.map((w) => ({ name: w.name, shape: w.tensor.shape })) }));
  rmSync(dir, { recursive: true, force: true });
  const { renameSync } = await import('node:fs');
  renameSync(next, dir);
}

async function restoreCheckpoint(out: string, key: string, m: ActionModel, opt: tf.Optimizer): Promise<{ state: CheckpointState; best: Uint8Array } | null> {
  const dir = join(out, CHECKPOINT);
  const file = join(dir, 'state.json');
  if (!existsSync(file)) return null;
  let state: CheckpointState;
  try {
    state = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new UserError('checkpoint state is not valid JSON; delete the checkpoint folder to start over', file);
  }
  if (state.key !== key) throw new UserError('holds a checkpoint of a different action run; choose another --out folder', out);
  const read = (f: string) => {
    const b = readFileSync(join(dir, f));
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  };
  assignWeights(modelVariables(m), read('weights.bin'), join(dir, 'weights.bin'));
  const raw = read('optimizer.bin');
  const floats = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  let o = 0;
  const named = state.optimizer.map((w) => {
    const size = w.shape.reduce((a, b) => a * b, 1);
    const t = tf.tensor(floats.subarray(o, o + size), w.shape);
    o += size;
    return { name: w.name, tensor: t };
  });
  if (o !== floats.length) throw new UserError('optimizer state is truncated', join(dir, 'optimizer.bin'));
  await opt.setWeights(named);
  return { state, best: read('best.bin') };
}

export function offsetsOf(c: Pick<ActionTrainConfig, 'fusion' | 'maxOffset'>): number[] {
  return c.fusion === 'sync' ? [0] : Array.from({ length: 2 * c.maxOffset + 1 }, (_, i) => i - c.maxOffset);
}

/** Scores of the model on a split's clips. */
export function scoresOn(m: ActionModel, split: 'val' | 'test', items: readonly ClipInput[], coarseOf: number[], coarseClasses: number): ActionScores {
  const probs = scoreClips(m, items).fused;
  return { split, n: items.length, ...levelScores(probs, items.map((i) => i.clip.label), coarseOf, coarseClasses) };
}

const meanOverClasses = (w: number[][]) => w.map((row) => row.reduce((a, b) => a + b, 0) / Math.max(1, row.length));

export async function run(config: ActionTrainConfig, ctx: RunContext): Promise<ActionTrainResult> {
  const started = Date.now();
  const cpu0 = process.cpuUsage();
  await initBackend();
  const out = resolve(config.out ?? ctx.workDir ?? '.');
  mkdirSync(out, { recursive: true });
  ctx.progress({ fraction: 0, stage: 'loading clips' });
  const ds = await openVideoData(config.data, config);
  const trainClips = ds.train.clips.slice(0, config.limit ?? Infinity);
  if (!trainClips.length) throw new UserError('has no train clips', config.data);
  if (!ds.val.clips.length) throw new UserError('has no val clips to select on (raise --val-fraction)', config.data);
  const { coarseNames, coarseOf } = hierarchyOf(ds);

  const flowStarted = Date.now();
  const all = [...trainClips, ...ds.val.clips, ...ds.test.clips];
  const { items, stats } = await withFlow(ds, all, (done, total) => {
    if (done % 20 === 0 || done === total) ctx.progress({ fraction: (0.1 * done) / total, stage: `optical flow (${done}/${total})` });
  });
  const flowSeconds = (Date.now() - flowStarted) / 1000;
  const train = items.slice(0, trainClips.length);
  const val = items.slice(trainClips.length, trainClips.length + ds.val.clips.length);
  const test = items.slice(trainClips.length + ds.val.clips.length);

  const [h, w, c] = trainClips[0].shape;
  const arch: ActionArch = {
    frames: DEFAULT_FRAMES,
    height: h,
    width: w,
    rgbChannels: c,
    flowStack: config.flowStack,
    feature: FEATURE,
    hidden: HIDDEN,
    levels: config.levels,
    classes: ds.classes,
    coarseClasses: coarseNames.length,
    offsets: offsetsOf(config),
  };
  const model = buildActionModel(arch, config.seed);
  const vars = modelVariables(model);
  const opt = tf.train.adam(config.learningRate);
  const key = runKey(config);
  const restored = await restoreCheckpoint(out, key, model, opt);
  if (restored) ctx.log?.(`resuming after epoch ${restored.state.epoch} (checkpoint in ${join(out, CHECKPOINT)})`);
  const history: EpochRecord[] = restored?.state.history ?? [];
  let bestEpoch = restored?.state.bestEpoch ?? 0;
  let bestVal = restored?.state.bestVal ?? -1;
  let best = restored?.best ?? weightBytes(vars);
  const settings = { epochs: config.epochs, batchSize: config.batchSize, seed: config.seed, coarseOf };
  const trainStarted = Date.now();
  for (let epoch = restored?.state.epoch ?? 0; epoch < config.epochs; epoch++) {
    const t0 = Date.now();
    const loss = await trainEpoch(model, train, settings, epoch, opt, ctx, (f) =>
      ctx.progress({ fraction: 0.1 + (0.85 * (epoch + f)) / config.epochs, stage: `epoch ${epoch + 1}/${config.epochs}` }),
    );
    const v = scoresOn(model, 'val', val, coarseOf, coarseNames.length);
    const rec = { epoch: epoch + 1, loss, valTop1Fine: v.top1Fine, seconds: (Date.now() - t0) / 1000 };
    history.push(rec);
    // strictly better only: ties keep the earlier epoch
    if (v.top1Fine > bestVal) {
      bestVal = v.top1Fine;
      bestEpoch = epoch + 1;
      best = weightBytes(vars);
    }
    await saveCheckpoint(out, model, best, opt, { key, epoch: epoch + 1, history, bestEpoch, bestVal });
    ctx.progress({ fraction: 0.1 + (0.85 * (epoch + 1)) / config.epochs, stage: `epoch ${epoch + 1}/${config.epochs}`, metrics: { loss, valTop1Fine: v.top1Fine, valTop1Coarse: v.top1Coarse } });
  }
  const trainSeconds = (Date.now() - trainStarted) / 1000;
  opt.dispose();

  ctx.progress({ fraction: 0.96, stage: 'scoring the best epoch' });
  assignWeights(vars, best, join(out, CHECKPOINT, 'best.bin'));
  const meta: ActionMeta = { version: 1, arch, classNames: ds.classNames, coarseNames, coarseOf, seed: config.seed, config: { ...config, out: undefined } };
  saveActionRun(out, model, meta);
  const valScores = scoresOn(model, 'val', val, coarseOf, coarseNames.length);
  const testScores = scoresOn(model, 'test', test, coarseOf, coarseNames.length);
  const weights = offsetWeights(model);
  disposeActionModel(model);
  const ranEpochs = history.length - (restored?.state.epoch ?? 0);
  const result: ActionTrainResult = {
    data: config.data,
    seed: config.seed,
    runDir: out,
    fusion: config.fusion,
    levels: config.levels,
    bestEpoch,
    val: valScores,
    test: testScores,
    offsets: arch.offsets,
    offsetWeights: meanOverClasses(weights),
    history,
    timings: { flowSeconds, flowMsPerClip: stats.msPerClip, trainSeconds, secondsPerEpoch: ranEpochs > 0 ? trainSeconds / ranEpochs : 0 },
    config: { ...config, out: undefined },
    splits: { ...splitsOf(ds), nTrain: train.length },
    wallSeconds: (Date.now() - started) / 1000,
    cpuSeconds: ((u) => (u.user + u.system) / 1e6)(process.cpuUsage(cpu0)),
    backend: backendName(),
    recordPath: join(out, 'record.json'),
  };
  writeAtomic(result.recordPath, JSON.stringify(result, null, 1));
  ctx.progress({ fraction: 1, stage: 'done', metrics: { valTop1Fine: valScores.top1Fine, testTop1Fine: testScores.top1Fine, testTop1Coarse: testScores.top1Coarse } });
  return result;
}
