/**
 * `parts mine` / `parts train`: pre-train (or reuse) the backbone as a digit classifier, extract region features,
 * mine patterns per class, learn each kept pattern's detector by MIL (cls or plain; skipped by `mineOnly`), fit the
 * global / parts / both classifiers (λ chosen on val), score val and test, write the run folder. Image labels
 * only: boxes and hidden parts are read by scoring (CorLoc, purity) and by nothing that trains.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { z } from 'zod';
import type { PartsTrainConfig as TrainSchema, PartsTrainResult } from '../../../shared/api-parts';
import type * as tf from '../../backend/tf';
import { backendName, initBackend } from '../../backend';
import type { RunContext } from '../../core/context';
import { UserError } from '../../core/errors';
import { loadDataset, splitsOf } from '../../data';
import { saveLayersModel } from '../../models/io';
import { DEFAULT_FEATURES, type FeatureSpec } from '../../parts/features';
import { DEFAULT_MINE } from '../../parts/mine';
import { DEFAULT_MIL } from '../../parts/mil';
import { fitParts, type PartsModel } from '../../parts/pipeline';
import { loadBackbone, PARTS_BACKBONE, writePartsMeta, type PartsMeta } from '../../parts/store';
import { buildBackbone, DEFAULT_ARCH, type Architecture } from '../../wsod/model';
import { canvasFor, DEFAULT_PRETRAIN, pretrainBackbone } from '../../wsod/pretrain';
import { hiddenKind, hiddenParts, openPartsData, patchOf, pixelsOf, regionsFor, responseMatrix, scoreSplit } from './common';

export type PartsTrainConfig = z.output<typeof TrainSchema>;

const PRETRAIN_FILE = 'pretrain.json';
/** test images in the view's detector × image matrix */
const MATRIX_IMAGES = 40;
/** the backbone of the weak-supervision issue, pooled to a 2×2 grid per region (a part is small) */
const ARCH: Architecture = { ...DEFAULT_ARCH, roiGrid: 2 };

/** What must match for a kept backbone to belong to this run. */
function backboneKey(c: PartsTrainConfig): string {
  return JSON.stringify({ seed: c.seed, epochs: c.pretrainEpochs, samples: c.pretrainSamples, source: c.pretrainSource ?? null, backbone: c.backbone ?? null });
}

export function hasPartsBackbone(out: string | undefined): boolean {
  return !!out && existsSync(join(out, PRETRAIN_FILE));
}

/** Mean over classes of the mining's purity figures. */
export function meanPurity(m: PartsModel): PartsTrainResult['mining']['purity'] {
  const rows = m.mining.map((c) => c.purity).filter((p): p is NonNullable<typeof p> => p !== null);
  if (!rows.length) return null;
  const avg = (k: keyof (typeof rows)[number]) => rows.reduce((s, r) => s + r[k], 0) / rows.length;
  return { spectral: avg('spectral'), kmeans: avg('kmeans'), partSpectral: avg('partSpectral'), partKmeans: avg('partKmeans') };
}

async function backboneFor(config: PartsTrainConfig, out: string, ctx: RunContext): Promise<{ backbone: tf.LayersModel; accuracy: number | null; seconds: number }> {
  const t0 = Date.now();
  const key = backboneKey(config);
  const file = join(out, PRETRAIN_FILE);
  const saved = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { key: string; accuracy: number | null }) : null;
  if (saved && saved.key === key && existsSync(join(out, PARTS_BACKBONE, 'model.json'))) {
    ctx.log?.(`reusing the backbone pre-trained earlier in ${out}`);
    return { backbone: await loadBackbone(out), accuracy: saved.accuracy, seconds: 0 };
  }
  let backbone: tf.LayersModel;
  let accuracy: number | null = null;
  if (config.backbone) {
    backbone = await loadBackbone(resolve(config.backbone));
  } else {
    backbone = buildBackbone(ARCH, 1, config.seed);
    if (config.pretrainEpochs > 0) {
      // every digit class is an object class here: body, parts and distractors are all digits
      const digits = await loadDataset(config.pretrainSource ?? 'mnist');
      if (digits.task !== 'classification') throw new UserError('pre-training needs a classification source');
      const p = await pretrainBackbone(backbone, ARCH, digits, { ...DEFAULT_PRETRAIN, samples: config.pretrainSamples, canvas: canvasFor(ARCH), classes: digits.classes, epochs: config.pretrainEpochs, seed: config.seed }, ctx, (f, metrics) =>
        ctx.progress({ fraction: 0.3 * f, stage: 'pre-training the backbone', metrics }),
      );
      accuracy = p.accuracy;
    }
  }
  await saveLayersModel(backbone, join(out, PARTS_BACKBONE));
  writeFileSync(file, JSON.stringify({ key, accuracy }));
  return { backbone, accuracy, seconds: (Date.now() - t0) / 1000 };
}

export async function run(config: PartsTrainConfig, ctx: RunContext): Promise<PartsTrainResult> {
  const started = Date.now();
  const cpu0 = process.cpuUsage();
  await initBackend();
  const out = resolve(config.out ?? ctx.workDir ?? '.');
  mkdirSync(out, { recursive: true });
  ctx.progress({ fraction: 0, stage: 'loading data' });
  const ds = await openPartsData(config.data, config);
  const train = ds.train.images.slice(0, config.limit ?? Infinity);
  const val = ds.val.images;
  const test = ds.test.images;
  if (!train.length) throw new UserError('has no train images', config.data);
  const hidden = hiddenParts(config.data);
  const timings: Record<string, number> = {};

  const bb = await backboneFor(config, out, ctx);
  timings.pretrain = bb.seconds;
  ctx.progress({ fraction: 0.3, stage: 'regions and features' });
  let t = Date.now();
  const spec: FeatureSpec = { ...DEFAULT_FEATURES, regions: { ...DEFAULT_FEATURES.regions, count: config.proposals } };
  const rTrain = regionsFor(bb.backbone, train, spec);
  const rVal = regionsFor(bb.backbone, val, spec);
  const rTest = regionsFor(bb.backbone, test, spec);
  timings.features = (Date.now() - t) / 1000;

  t = Date.now();
  const classes = ds.classes;
  const labels = (ims: typeof train) => ims.map((im) => im.labels);
  const size = { width: train[0].width, height: train[0].height };
  const model = await fitParts(
    { images: rTrain, labels: labels(train), ...size },
    { images: rVal, labels: labels(val), ...size },
    classes,
    {
      mine: { ...DEFAULT_MINE, seeds: config.seeds, clusters: config.clusters, patterns: config.patterns, affinity: config.affinity, seed: config.seed },
      mil: { ...DEFAULT_MIL, mode: config.mil, rounds: config.rounds, sparsity: config.sparsity, seed: config.seed },
      mineOnly: config.mineOnly,
      pyramid: config.pyramid,
      backgroundRows: 3000,
      ridge: 0.1,
    },
    hidden ? (i, box) => hiddenKind(hidden.get(train[i].id) ?? [], box) : null,
    ctx,
    (f, stage) => ctx.progress({ fraction: 0.4 + 0.5 * f, stage }),
  );
  timings.fit = (Date.now() - t) / 1000;

  ctx.progress({ fraction: 0.92, stage: 'scoring val and test' });
  t = Date.now();
  const pur = meanPurity(model);
  const own = pur ? (config.affinity === 'detector' ? pur.spectral : pur.kmeans) : null;
  const v = scoreSplit(model, 'val', val, rVal, config.pyramid, own);
  const te = scoreSplit(model, 'test', test, rTest, config.pyramid, own);
  timings.score = (Date.now() - t) / 1000;

  const meta: PartsMeta = {
    version: 1,
    classNames: ds.classNames,
    features: spec,
    ...size,
    pyramid: config.pyramid,
    data: resolve(config.data),
    config: { ...config, out: undefined },
    trainIds: train.map((im) => im.id),
    model,
    patches: model.mining.map((cm) => cm.seeds.map((sd) => patchOf(pixelsOf(train[sd.image]), sd.box))),
    matrix: responseMatrix(model, test.slice(0, MATRIX_IMAGES), rTest.slice(0, MATRIX_IMAGES)),
  };
  writePartsMeta(out, meta);
  const result: PartsTrainResult = {
    data: config.data,
    seed: config.seed,
    runDir: out,
    val: v,
    test: te,
    mining: { purity: pur, detectors: model.detectors.length },
    config: { ...config, out: undefined, pretrainAccuracy: bb.accuracy },
    splits: { ...splitsOf(ds), nTrain: train.length },
    timings,
    wallSeconds: (Date.now() - started) / 1000,
    cpuSeconds: ((c) => (c.user + c.system) / 1e6)(process.cpuUsage(cpu0)),
    backend: backendName(),
    recordPath: join(out, 'record.json'),
  };
  writeFileSync(result.recordPath, JSON.stringify(result, null, 2));
  ctx.progress({ fraction: 1, stage: 'done', metrics: { valCorloc: v.corloc, testCorloc: te.corloc, testTop1Both: te.top1Both } });
  return result;
}
