// The lowrank job: post-hoc SVD factorisation, or TRP training + factorisation with a baseline trained on the
// same schedule and a post-hoc factorisation of that baseline at the same FLOPs. No fine-tuning after any cut.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as tf from '../../backend/tf';
import { backendName, initBackend } from '../../backend';
import type { RunContext } from '../../core/context';
import { throwIfCancelled } from '../../core/context';
import { UserError } from '../../core/errors';
import { loadDataset, splitsOf } from '../../data';
import { loadModel, needsLayers, saveLayersModel } from '../../models/io';
import { top1 } from '../eval';
import * as train from '../train';
import { candidates, decomposeModel, modelFlops, selectLayers } from '../../lowrank/decompose';
import { selectRank } from '../../lowrank/rank';
import { planRanks, type RankPlanRule } from '../../lowrank/plan';
import { modelSpectra } from '../../lowrank/spectrum';
import { TrpProjector } from '../../lowrank/trp';
import type { Scheme } from '../../lowrank/reshape';
import { Archs, type Arch } from '../../../shared/api';
import type { LayerSpectrum, LowrankConfigParsed, LowrankLive, LowrankResult } from '../../../shared/api-lowrank';

export type LowrankConfig = LowrankConfigParsed;

export const LIVE_FILE = 'lowrank-live.json';
/** the two trainings' folders under `out` (each holds its per-epoch checkpoint: a killed job resumes from them) */
export const BASELINE_DIR = 'baseline';
export const TRP_DIR = 'trp-trained';

/** The live record a killed run of this job left behind (its rank map so far), if any. */
function priorLive(file: string): LowrankLive | null {
  try {
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as LowrankLive) : null;
  } catch {
    return null;
  }
}

function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

/** A context whose fractions land in [from, to] of the parent's; metrics pass through with extra fields. */
function slice(ctx: RunContext, from: number, to: number, extra: (m: Record<string, number>) => Record<string, number> = (m) => m): RunContext {
  return {
    ...ctx,
    progress: (p) => ctx.progress({ ...p, fraction: from + (to - from) * p.fraction, metrics: p.metrics ? extra(p.metrics) : undefined }),
  };
}

const archOf = (ref: string): Arch | null => {
  const name = ref.startsWith('arch:') ? ref.slice(5) : null;
  if (name === null) return null;
  if (!(Archs as readonly string[]).includes(name)) throw new UserError(`unknown architecture "${name}" (have: ${Archs.join(', ')})`);
  return name as Arch;
};

/** Where a loaded model came from, for the train config it needs (the zoo arch it was trained as, if known). */
function recordedArch(meta: Record<string, unknown> | undefined): Arch {
  const a = ((meta?.layerlens as { train?: { arch?: string } } | undefined)?.train?.arch ?? '') as Arch;
  return (Archs as readonly string[]).includes(a) ? a : 'lenet5';
}

/** Ranks of the selected layers under a rule, from spectra already computed. */
function ranksOf(model: tf.LayersModel, spectra: LayerSpectrum[], only: string[], rule: RankPlanRule, scheme: Scheme): Record<string, number> {
  const cands = new Map(candidates(model, scheme).map((c) => [c.name, c]));
  const picked = spectra.filter((s) => only.includes(s.name) && cands.has(s.name));
  return planRanks(picked.map((s) => ({ candidate: cands.get(s.name)!, s: s.singularValues })), rule, scheme, modelFlops(model));
}

export async function run(config: LowrankConfig, ctx: RunContext): Promise<LowrankResult> {
  const t0 = Date.now();
  await initBackend();
  const out = resolve(config.out ?? ctx.workDir ?? '.');
  mkdirSync(out, { recursive: true });
  const liveDir = ctx.workDir ?? out;
  mkdirSync(liveDir, { recursive: true });
  const liveFile = join(liveDir, LIVE_FILE);
  ctx.progress({ fraction: 0, stage: 'loading data' });
  const data = await loadDataset(config.data);
  const arch = archOf(config.model);
  // training projections: one energy e, or the FLOPs budget when a target speed-up is given
  const trainRule: RankPlanRule = config.speedup ? { kind: 'speedup', speedup: config.speedup } : { kind: 'energy', energy: config.energy };
  const rule: RankPlanRule = config.cut === 'threshold' ? { kind: 'threshold', tau: config.tau } : trainRule;
  const evalOpts = { limit: config.testLimit, ctx };
  const prior = config.method === 'trp' ? priorLive(liveFile) : null;
  const live: LowrankLive = { phase: 'baseline', energy: config.energy, ...(config.speedup ? { speedup: config.speedup } : {}), scheme: config.scheme, spectra: [], rankHistory: prior?.scheme === config.scheme ? prior.rankHistory : [], updatedAt: Date.now() };
  const pushLive = (patch: Partial<LowrankLive>) => {
    Object.assign(live, patch, { updatedAt: Date.now() });
    writeAtomic(liveFile, JSON.stringify(live));
  };
  pushLive({});

  let baseline: tf.LayersModel | null = null;
  let trained: tf.LayersModel | null = null;
  let projector: TrpProjector | null = null;
  let layerNames: string[] = [];
  // a resumed run keeps the rank map of the epochs done before it was killed
  const rankHistory: LowrankResult['rankHistory'] = prior?.scheme === config.scheme ? [...prior.rankHistory] : [];
  try {
    if (config.method === 'svd') {
      if (arch) throw new UserError('method svd factorises an existing model: give a model file or builtin:…, not arch:…');
      baseline = needsLayers(await loadModel(config.model), 'low-rank factorisation');
      layerNames = selectLayers(candidates(baseline, config.scheme), config).map((c) => c.name);
    } else {
      // TRP: a baseline and a TRP net from the same start, seed and schedule
      const initFrom = async (): Promise<tf.LayersModel | undefined> => {
        if (arch) return undefined;
        return needsLayers(await loadModel(config.model), 'TRP');
      };
      let trainArch: Arch = arch ?? 'lenet5';
      if (!arch) {
        const probe = await loadModel(config.model);
        trainArch = recordedArch(probe.metadata);
        probe.dispose();
      }
      const tcfg: train.TrainConfig = {
        arch: trainArch,
        data: config.data,
        epochs: config.epochs,
        seed: config.seed,
        optimizer: config.optimizer,
        learningRate: config.learningRate,
        schedule: config.schedule,
        augment: config.augment,
        batchSize: config.batchSize,
        limit: config.limit,
        evalLimit: config.evalLimit,
      };
      const initHook = arch ? {} : { initModel: async () => (await initFrom())! };
      const baseOut = join(out, BASELINE_DIR);
      const r1 = await train.run({ ...tcfg, out: baseOut }, slice(ctx, 0.02, 0.42, (m) => ({ ...m, phase: 0 })), initHook);
      throwIfCancelled(ctx);

      // layer selection needs the model's geometry: take it from the baseline
      const probe = (await loadModel(r1.modelPath)).layers!;
      layerNames = selectLayers(candidates(probe, config.scheme), config).map((c) => c.name);
      probe.dispose();
      if (layerNames.length === 0) throw new UserError('no layer to factorise: the model has no selectable Conv2D/Dense layer (see --layers)');

      const stepsPerEpoch = Math.ceil(Math.min(data.train.n, config.limit ?? data.train.n) / config.batchSize);
      projector = new TrpProjector({
        scheme: config.scheme,
        energy: config.energy,
        rule: trainRule,
        ramp: config.ramp,
        totalSteps: stepsPerEpoch * config.epochs,
        period: config.period,
        nuclear: config.nuclear,
        layers: layerNames,
        svdMethod: config.svd,
        fullSubgradient: config.fullSubgradient,
      });
      const p = projector;
      const trpHooks: train.TrainHooks = {
        ...initHook,
        ...p.hooks(),
        beforeStep: (step, model) => {
          if (step === 0) pushLive({ phase: 'trp', spectra: modelSpectra(model, config.scheme, { only: layerNames, method: config.svd }) });
          p.hooks().beforeStep!(step, model);
        },
        afterEpoch: (epoch, model) => {
          const spectra = modelSpectra(model, config.scheme, { only: layerNames, method: config.svd });
          const ranks = ranksOf(model, spectra, layerNames, p.ruleAt(stepsPerEpoch * (epoch + 1)), config.scheme);
          const at = rankHistory.findIndex((h) => h.epoch >= epoch + 1);
          if (at >= 0) rankHistory.splice(at); // a resumed epoch replaces what a killed run wrote for it
          rankHistory.push({ epoch: epoch + 1, ranks });
          pushLive({ phase: 'trp', spectra, rankHistory });
          return Object.fromEntries(Object.entries(ranks).map(([k, v]) => [`rank:${k}`, v]));
        },
      };
      const steps0 = stepsPerEpoch * config.epochs; // the baseline's steps: TRP's steps are charted after them
      const r2 = await train.run(
        { ...tcfg, out: join(out, TRP_DIR) },
        slice(ctx, 0.42, 0.84, (m) => ({ ...m, phase: 1, ...(typeof m.step === 'number' ? { step: m.step + steps0 } : {}) })),
        trpHooks,
      );
      throwIfCancelled(ctx);
      baseline = (await loadModel(r1.modelPath)).layers!;
      trained = (await loadModel(r2.modelPath)).layers!;
    }

    // ---- factorise, no fine-tuning ----
    const base = baseline;
    pushLive({ phase: 'decompose' });
    ctx.progress({ fraction: 0.85, stage: 'spectra' });
    const baseSpectra = modelSpectra(base, config.scheme, { method: config.svd });
    const trpSpectra: LayerSpectrum[] | undefined = trained ? modelSpectra(trained, config.scheme, { method: config.svd }) : undefined;
    const cutFrom = trpSpectra ?? baseSpectra;
    const ranks = ranksOf(trained ?? base, cutFrom, layerNames, rule, config.scheme);

    const target = trained ?? baseline;
    ctx.progress({ fraction: 0.87, stage: 'factorising' });
    const dec = await decomposeModel(target, config.scheme, ranks, { svdMethod: config.svd });
    // post-hoc: the normally trained net cut at the same ranks (same FLOPs), or at its own energy cut
    const posthocRanks =
      config.posthoc === 'same-ranks'
        ? ranks
        : Object.fromEntries(baseSpectra.filter((s) => layerNames.includes(s.name)).map((s) => [s.name, selectRank(s.singularValues, { kind: 'energy', energy: config.energy })]));
    const post = trained ? await decomposeModel(base, config.scheme, posthocRanks, { svdMethod: config.svd }) : null;
    try {
      const shape = data.shape;
      ctx.progress({ fraction: 0.88, stage: 'evaluating baseline' });
      const b = await top1((x) => base.predict(x) as tf.Tensor, data.test, shape, { ...evalOpts, from: 0.88, to: 0.91 });
      ctx.progress({ fraction: 0.91, stage: 'evaluating factorised' });
      const d = await top1((x) => dec.model.predict(x) as tf.Tensor, data.test, shape, { ...evalOpts, from: 0.91, to: 0.94 });
      const p = post ? await top1((x) => post.model.predict(x) as tf.Tensor, data.test, shape, { ...evalOpts, from: 0.94, to: 0.96 }) : d;
      // the same three on val: settings (β, λ, e, speed-up) are chosen on these, the test figures are only reported
      ctx.progress({ fraction: 0.96, stage: 'evaluating on val' });
      const valOpts = { limit: config.evalLimit, ctx };
      const bv = await top1((x) => base.predict(x) as tf.Tensor, data.val, shape, valOpts);
      const dv = await top1((x) => dec.model.predict(x) as tf.Tensor, data.val, shape, valOpts);
      const pv = post ? await top1((x) => post.model.predict(x) as tf.Tensor, data.val, shape, valOpts) : dv;
      const modelPath = await saveLayersModel(dec.model, out, {
        layerlens: { lowrank: { method: config.method, scheme: config.scheme, ranks, seed: config.seed, source: config.model, data: config.data }, top1: d.top1, n: d.n, split: 'test', splitSeed: data.splitSeed, splits: splitsOf(data) },
      });
      const baseFlops = modelFlops(base);
      const result: LowrankResult = {
        method: config.method,
        scheme: config.scheme,
        seed: config.seed,
        data: config.data,
        model: config.model,
        baseline: { top1: b.top1, flops: baseFlops, params: base.countParams() },
        decomposed: { top1: d.top1, flops: dec.flopsAfter, params: dec.paramsAfter },
        posthoc: { top1: p.top1, flops: post ? post.flopsAfter : dec.flopsAfter, params: post ? post.paramsAfter : dec.paramsAfter, ranks: posthocRanks },
        speedup: baseFlops / dec.flopsAfter,
        ranks,
        layers: dec.layers,
        n: d.n,
        split: 'test',
        val: { baseline: bv.top1, decomposed: dv.top1, posthoc: pv.top1, n: dv.n, split: 'val' },
        splits: splitsOf(data),
        spectra: { baseline: baseSpectra, ...(trpSpectra ? { trp: trpSpectra } : {}) },
        ...(projector
          ? { trp: { energy: config.energy, ...(config.speedup ? { speedup: config.speedup } : {}), ramp: config.ramp, period: config.period, nuclear: config.nuclear, projections: projector.projectionsPlanned(), projectSeconds: projector.projectMs / 1000 } }
          : {}),
        rankHistory,
        ...(config.speedup && config.cut !== 'threshold' && baseFlops / dec.flopsAfter < config.speedup * (1 - 1e-9)
          ? { notes: [`the ${config.speedup}× budget is out of reach for the selected layers: rank 1 everywhere gives ${(baseFlops / dec.flopsAfter).toFixed(2)}×`] }
          : {}),
        wallSeconds: (Date.now() - t0) / 1000,
        backend: backendName(),
        modelPath,
        recordPath: join(out, 'lowrank.json'),
      };
      writeAtomic(result.recordPath, JSON.stringify({ config: { ...config, out: undefined }, result }, null, 2));
      ctx.progress({ fraction: 1, stage: 'done', metrics: { top1: d.top1, baselineTop1: b.top1, posthocTop1: p.top1, speedup: result.speedup } });
      return result;
    } finally {
      dec.model.dispose();
      post?.model.dispose();
    }
  } finally {
    projector?.dispose();
    (baseline as tf.LayersModel | null)?.dispose();
    (trained as tf.LayersModel | null)?.dispose();
  }
}
