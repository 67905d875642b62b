/**
 * `wsod train`: pre-train the backbone as a classifier on the source's digits, then train the WSDDN + refinement
 * head on the benchmark's image labels (all at once, or the Zigzag curriculum; masking optional), checkpointing
 * every epoch. The run folder gets backbone/ and head/ (tfjs layers), wsod.json, detections-{val,test}.json (COCO
 * results), rankings.json (train split, final detector) and record.json.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { z } from 'zod';
import type { WsodTrainConfig as TrainSchema, WsodTrainResult } from '../../../shared/api-wsod';
import * as tf from '../../backend/tf';
import { backendName, initBackend } from '../../backend';
import type { RunContext } from '../../core/context';
import { UserError } from '../../core/errors';
import { loadDataset, splitsOf, type DetectionDataset } from '../../data';
import { concatArrays } from '../../core/arrays';
import { loadModel, saveLayersModel } from '../../models/io';
import { BACKBONE_DIR, saveDetector, withPixels, type Detector, type DetectorMeta } from '../../wsod/detector';
import { buildBackbone, buildHead, DEFAULT_ARCH, featureMaps, type Architecture } from '../../wsod/model';
import { canvasFor, DEFAULT_PRETRAIN, pretrainBackbone } from '../../wsod/pretrain';
import { DEFAULT_PROPOSALS } from '../../wsod/proposals';
import { DEFAULT_TAUS } from '../../wsod/meas';
import { trainHead, type HeadTrainSettings, type HeadTrainState } from '../../wsod/train';
import { evaluateOn, openDetectionData, writeDetections } from './eval';
import { buildRankings, gridOf } from './rank';

export type WsodTrainConfig = z.output<typeof TrainSchema>;

const CHECKPOINT = 'checkpoint';
const PRETRAIN_FILE = 'pretrain.json';
const PRETRAIN_DIR = 'pretrain';

async function layersModel(file: string): Promise<tf.LayersModel> {
  const m = await loadModel(file);
  if (!m.layers) throw new UserError('is not a tfjs layers model', file);
  return m.layers;
}

/** The settings that must match for a checkpoint to belong to this run. */
function runKey(c: WsodTrainConfig): string {
  const { out: _out, ...rest } = c;
  return JSON.stringify(rest, Object.keys(rest).sort());
}

const BEST_DIR = 'best-head';
/** what best-val selection maximises: val mAP@0.5 and CorLoc alike */
const valScore = (h: { valMAP50: number; valCorloc: number }) => (h.valMAP50 + h.valCorloc) / 2;

/** The epoch (1-based) with the best val score so far; the first on ties. */
function bestEpoch(st: HeadTrainState): number {
  let best = st.history[0];
  for (const h of st.history) if (valScore(h) > valScore(best)) best = h;
  return best?.epoch ?? 0;
}
const isBestEpoch = (st: HeadTrainState) => bestEpoch(st) === st.epoch;

async function saveAtomically(model: tf.LayersModel, dir: string): Promise<void> {
  const next = `${dir}.next`;
  rmSync(next, { recursive: true, force: true });
  await saveLayersModel(model, next);
  rmSync(dir, { recursive: true, force: true });
  renameSync(next, dir);
}

export function hasWsodCheckpoint(out: string | undefined): boolean {
  return !!out && existsSync(join(out, CHECKPOINT, 'state.json'));
}

function writeAtomic(file: string, data: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

async function saveCheckpoint(out: string, det: Detector, opt: tf.Optimizer, key: string, state: HeadTrainState): Promise<void> {
  // written beside the live one, then swapped: a kill mid-write leaves the previous checkpoint intact
  const dir = join(out, CHECKPOINT);
  const next = `${dir}.next`;
  rmSync(next, { recursive: true, force: true });
  mkdirSync(next, { recursive: true });
  await saveLayersModel(det.head, join(next, 'head'));
  const weights = await opt.getWeights();
  const buf = concatArrays(Float32Array, weights.map((w) => w.tensor.dataSync() as Float32Array));
  writeFileSync(join(next, 'optimizer.bin'), new Uint8Array(buf.buffer));
  writeFileSync(join(next, 'state.json'), JSON.stringify({ key, state, optimizer: weights.map((w) => ({ name: w.name, shape: w.tensor.shape })) }));
  rmSync(dir, { recursive: true, force: true });
  renameSync(next, dir);
}

async function restoreCheckpoint(out: string, key: string, opt: tf.Optimizer): Promise<{ head: tf.LayersModel; state: HeadTrainState } | null> {
  const dir = join(out, CHECKPOINT);
  const file = join(dir, 'state.json');
  if (!existsSync(file)) return null;
  let saved: { key: string; state: HeadTrainState; optimizer: { name: string; shape: number[] }[] };
  try {
    saved = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new UserError('checkpoint state is not valid JSON; delete the checkpoint folder to start over', file);
  }
  if (saved.key !== key) throw new UserError('holds a checkpoint of a different wsod run; choose another --out folder', out);
  const loaded = await loadModel(join(dir, 'head', 'model.json'));
  if (!loaded.layers) throw new UserError('checkpoint head is not a layers model', dir);
  const raw = readFileSync(join(dir, 'optimizer.bin'));
  const floats = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
  let o = 0;
  const named = saved.optimizer.map((w) => {
    const size = w.shape.reduce((a, b) => a * b, 1);
    const t = tf.tensor(floats.slice(o, o + size), w.shape);
    o += size;
    return { name: w.name, tensor: t };
  });
  if (o !== floats.length) throw new UserError('optimizer state is truncated', join(dir, 'optimizer.bin'));
  await opt.setWeights(named);
  return { head: loaded.layers, state: saved.state };
}

/** The pre-training source: the one asked for, else the one whose first class names the data has, else mnist. */
async function pretrainSource(config: WsodTrainConfig, ds: DetectionDataset): Promise<'mnist' | 'fashion-mnist'> {
  if (config.pretrainSource) return config.pretrainSource;
  const fashion = await loadDataset('fashion-mnist');
  return ds.classNames.every((n, i) => fashion.classNames[i] === n) ? 'fashion-mnist' : 'mnist';
}

function archOf(config: WsodTrainConfig): Architecture {
  return {
    ...DEFAULT_ARCH,
    refineStages: config.refineStages ?? DEFAULT_ARCH.refineStages,
    roiGrid: config.roiGrid ?? DEFAULT_ARCH.roiGrid,
    fc: config.fc ?? DEFAULT_ARCH.fc,
  };
}

export async function run(config: WsodTrainConfig, ctx: RunContext): Promise<WsodTrainResult> {
  const started = Date.now();
  const cpu0 = process.cpuUsage();
  await initBackend();
  const out = resolve(config.out ?? ctx.workDir ?? '.');
  mkdirSync(out, { recursive: true });
  ctx.progress({ fraction: 0, stage: 'loading data' });
  const ds = await openDetectionData(config.data, config);
  const train = ds.train.images.slice(0, config.limit ?? Infinity).map(withPixels);
  const val = ds.val.images.map(withPixels);
  const test = ds.test.images.map(withPixels);
  if (!train.length) throw new UserError('has no train images', config.data);
  const C = ds.classes;
  const arch = archOf(config);
  const channels = train[0].channels;
  const key = runKey(config);
  const keepBest = config.keep === 'best-val';

  // a folder holding another run's checkpoint is refused before anything in it is overwritten
  const stateFile = join(out, CHECKPOINT, 'state.json');
  if (existsSync(stateFile)) {
    let other = true;
    try {
      other = (JSON.parse(readFileSync(stateFile, 'utf8')) as { key?: string }).key !== key;
    } catch {
      throw new UserError('checkpoint state is not valid JSON; delete the checkpoint folder to start over', stateFile);
    }
    if (other) throw new UserError('holds a checkpoint of a different wsod run; choose another --out folder', out);
  }

  // 1. backbone (and the head's fc): pre-trained once per run folder, kept across resumes
  let backbone: tf.LayersModel;
  let fcInit: tf.Tensor[] | null = null;
  let pretrain: { source: string; epochs: number; accuracy: number | null };
  const pretrainFile = join(out, PRETRAIN_FILE);
  const saved = existsSync(pretrainFile) ? (JSON.parse(readFileSync(pretrainFile, 'utf8')) as { key: string; pretrain: typeof pretrain }) : null;
  if (saved && saved.key === key && existsSync(join(out, BACKBONE_DIR, 'model.json'))) {
    backbone = await layersModel(join(out, BACKBONE_DIR, 'model.json'));
    if (existsSync(join(out, PRETRAIN_DIR, 'model.json'))) fcInit = (await layersModel(join(out, PRETRAIN_DIR, 'model.json'))).getLayer('fc').getWeights();
    pretrain = saved.pretrain;
  } else {
    backbone = buildBackbone(arch, channels, config.seed);
    const source = await pretrainSource(config, ds);
    let accuracy: number | null = null;
    if (config.pretrainEpochs > 0) {
      if (channels !== 1) throw new UserError(`backbone pre-training reads grayscale digits; the data has ${channels} channels (use pretrainEpochs 0)`, config.data);
      const digits = await loadDataset(source);
      const p = await pretrainBackbone(backbone, arch, digits, { ...DEFAULT_PRETRAIN, samples: config.pretrainSamples ?? DEFAULT_PRETRAIN.samples, canvas: canvasFor(arch), classes: C, epochs: config.pretrainEpochs, seed: config.seed }, ctx, (f, metrics) =>
        ctx.progress({ fraction: 0.2 * f, stage: 'pre-training the backbone', metrics }),
      );
      accuracy = p.accuracy;
      fcInit = p.classifier.getLayer('fc').getWeights();
      await saveLayersModel(p.classifier, join(out, PRETRAIN_DIR));
    }
    pretrain = { source, epochs: config.pretrainEpochs, accuracy };
    await saveLayersModel(backbone, join(out, BACKBONE_DIR));
    writeAtomic(pretrainFile, JSON.stringify({ key, pretrain }));
  }

  // 2. head on the frozen backbone's features
  const meta: DetectorMeta = {
    version: 1,
    classNames: ds.classNames,
    arch,
    proposals: { ...DEFAULT_PROPOSALS, count: config.proposals },
    nmsIoU: 0.4,
    perClass: 10,
    config: { ...config, out: undefined },
    pretrain,
    splits: splitsOf(ds),
  };
  const opt = tf.train.adam(config.learningRate);
  const restored = await restoreCheckpoint(out, key, opt);
  const det: Detector = { backbone, head: restored?.head ?? buildHead(arch, C, config.seed), meta };
  // WSDDN's fc6/fc7 come from the ImageNet classifier; ours from the pre-training classifier
  if (!restored && fcInit) det.head.getLayer('fc').setWeights(fcInit);
  if (restored) ctx.log?.(`resuming from epoch ${restored.state.epoch} (checkpoint in ${join(out, CHECKPOINT)})`);
  ctx.progress({ fraction: 0.2, stage: 'features and proposals' });
  const maps = featureMaps(backbone, train);
  const settings: HeadTrainSettings = {
    epochs: config.epochs,
    curriculum: config.curriculum,
    masking: config.masking,
    maskProb: config.maskProb,
    maskRegion: config.maskRegion,
    groups: config.groups,
    rerank: config.rerank,
    learningRate: config.learningRate,
    batchSize: config.batchSize,
    seed: config.seed,
    stage0Share: config.stage0Share ?? 0.25,
    stageBudget: config.stageBudget ?? 'epochs',
    energyGrid: gridOf(train[0]),
    taus: DEFAULT_TAUS,
    pseudoIoU: 0.5,
  };
  const state = await trainHead(
    det,
    train,
    settings,
    {
      maps,
      evaluateVal: () => {
        const s = evaluateOn(det, 'val', val).scores;
        return { mAP50: s.mAP50, corloc: s.corloc };
      },
      checkpoint: async (st, o) => {
        // the best-val head is saved before the checkpoint that records its epoch, so a resume finds both
        if (keepBest && isBestEpoch(st)) await saveAtomically(det.head, join(out, BEST_DIR));
        await saveCheckpoint(out, det, o, key, st);
      },
      report: (f, stage, metrics) => ctx.progress({ fraction: 0.22 + 0.68 * f, stage, metrics }),
    },
    ctx,
    opt,
    restored?.state,
  );
  opt.dispose();
  let kept = state.epoch;
  if (keepBest && existsSync(join(out, BEST_DIR, 'model.json'))) {
    const best = await layersModel(join(out, BEST_DIR, 'model.json'));
    det.head.setWeights(best.getWeights());
    kept = bestEpoch(state);
  }

  // 3. the run folder: models, detections, rankings, record
  ctx.progress({ fraction: 0.92, stage: 'evaluating' });
  await saveDetector(det, out);
  const v = evaluateOn(det, 'val', val);
  const t = evaluateOn(det, 'test', test);
  await writeDetections(join(out, 'detections-val.json'), val, v.dets, ds.classNames);
  await writeDetections(join(out, 'detections-test.json'), test, t.dets, ds.classNames);
  ctx.progress({ fraction: 0.96, stage: 'ranking the train images' });
  const rankings = buildRankings(det, out, 'train', train, config.groups, state.ranksByStage.length ? state.ranksByStage : undefined);
  writeAtomic(join(out, 'rankings.json'), JSON.stringify(rankings));
  const result: WsodTrainResult = {
    data: config.data,
    seed: config.seed,
    runDir: out,
    val: v.scores,
    test: t.scores,
    correlation: { iou: rankings.spearmanIoU, difficulty: rankings.spearmanDifficulty },
    stages: state.stages,
    config: { ...config, out: undefined, pretrain, history: state.history, keptEpoch: kept },
    splits: { ...splitsOf(ds), nTrain: train.length },
    wallSeconds: (Date.now() - started) / 1000,
    cpuSeconds: ((c) => (c.user + c.system) / 1e6)(process.cpuUsage(cpu0)),
    backend: backendName(),
    recordPath: join(out, 'record.json'),
  };
  writeAtomic(result.recordPath, JSON.stringify(result, null, 2));
  ctx.progress({ fraction: 1, stage: 'done', metrics: { valMAP50: v.scores.mAP50, valCorloc: v.scores.corloc, testMAP50: t.scores.mAP50, testCorloc: t.scores.corloc } });
  return result;
}
