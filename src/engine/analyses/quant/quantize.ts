/**
 * `quantize`: uniform (all layers at b bits), DNQ (controller search + distance-ordered progressive quantizer),
 * SLQ (k-means clusters by loss) and MLQ (ternary, layer groups front to back with compensation).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { backendName } from '../../backend';
import type { RunContext } from '../../core/context';
import { throwIfCancelled } from '../../core/context';
import { UserError } from '../../core/errors';
import { splitsOf } from '../../data';
import { saveLayersModel } from '../../models/io';
import { Controller, reward } from '../../quant/controller';
import { compressionRatio, modelCompression, specFor, toPolicy, type CodebookChoice } from '../../quant/policy';
import { progressive, type Order, type StepRecord } from '../../quant/progressive';
import { dequantize, quantize, type QuantSpec, type QuantizedTensor } from '../../quant/quantizers';
import { emptyFreeze, Evaluator, seededSubset, writeKernel, type RetrainOptions } from '../../quant/session';
import { QuantizeConfig as Schema, type EpisodeRecord, type QuantizeResult, type StepRow } from '../../../shared/api-quant';
import { layerIndex, prepare, restore, totalParams, type Prepared } from './common';

export type QuantizeConfig = z.output<typeof Schema>;

const EVAL_SEED_OFFSET = 7;

function codebookOf(c: QuantizeConfig): CodebookChoice {
  if (c.method === 'slq') return { method: 'kmeans', granularity: c.granularity, symmetric: true };
  if (c.method === 'mlq') return { method: c.mlqCodebook, granularity: c.granularity, symmetric: true };
  if (c.method === 'uniform') return { method: 'uniform', granularity: c.granularity, symmetric: true };
  return { method: c.codebook, granularity: c.granularity, symmetric: true };
}

function checkConfig(c: QuantizeConfig): void {
  if (Math.abs(c.fractions[c.fractions.length - 1] - 1) > 1e-9) throw new UserError(`quantize --fractions: the last fraction must be 1, got ${c.fractions.join(',')}`);
  for (let i = 1; i < c.fractions.length; i++) {
    if (c.fractions[i] <= c.fractions[i - 1]) throw new UserError(`quantize --fractions must increase, got ${c.fractions.join(',')}`);
  }
  if (c.method === 'dnq' && c.episodes === 0 && !c.policy) throw new UserError('quantize --method dnq needs --episodes > 0 or a fixed policy');
}

/** The sub-job kind that scores DNQ policies for a search running elsewhere (see `scorePolicy`). */
export const POLICY_BATCH = 'dnq-policy';

/** Every layer's kernel dequantized at every bit-width the search can pick, computed once. */
function dequantizedKernels(p: Prepared, c: QuantizeConfig, cb: CodebookChoice, pinned: (number | null)[]): Map<number, Float32Array>[] {
  const allBits = [...new Set([...c.bitChoices, ...pinned.filter((b): b is number => b !== null && b < 32)])];
  return p.layers.map((l, i) => new Map(allBits.map((b) => [b, dequantize(quantize(p.original[i], l.shape, specFor(b, cb, c.seed)))])));
}

// a queue thread scores many policies of one search: the model, eval subset and kernels stay loaded between them
let scorer: { key: string; p: Prepared; ev: Evaluator; deq: Map<number, Float32Array>[] } | undefined;

/**
 * One DNQ policy's episode reward input (top-1 on the search's seeded val subset), computed as the search itself
 * does, so a policy scored by a sub-job on another worker gives the number the search would have got.
 */
export async function scorePolicy(config: QuantizeConfig, bits: number[]): Promise<number> {
  const key = JSON.stringify([config.model, config.data, config.seed, config.episodeEvalSize, config.metric, config.evaluator, codebookOf(config), config.bitChoices, config.pinned]);
  if (scorer?.key !== key) {
    scorer?.ev.dispose();
    scorer?.p.dispose();
    scorer = undefined;
    const p = await prepare(config.model, config.data);
    const pinned = p.layers.map((l) => config.pinned[l.name] ?? null);
    const ev = new Evaluator(p.model, p.data.val, p.data.shape, seededSubset(p.data.val.n, config.episodeEvalSize, config.seed + EVAL_SEED_OFFSET), {
      metric: config.metric,
      evaluator: config.evaluator,
    });
    scorer = { key, p, ev, deq: dequantizedKernels(p, config, codebookOf(config), pinned) };
  }
  const { p, ev, deq } = scorer;
  if (bits.length !== p.layers.length) throw new UserError(`dnq policy: ${bits.length} bit-widths for ${p.layers.length} layers`);
  bits.forEach((b, i) => writeKernel(p.layers[i], b >= 32 ? p.original[i] : deq[i].get(b)!));
  return ev.score();
}

interface SearchOut {
  episodes: EpisodeRecord[];
  best: Record<string, number>;
  uniformReferences: NonNullable<QuantizeResult['uniformReferences']>;
  search: NonNullable<QuantizeResult['search']>;
}

/** DNQ Module A over precomputed per-layer quantized kernels: an episode is a few writes and one forward pass. */
async function search(p: Prepared, c: QuantizeConfig, cb: CodebookChoice, ctx: RunContext, from: number, to: number): Promise<SearchOut> {
  const { layers, data } = p;
  const idx = layerIndex(layers, Object.keys(c.pinned), 'quantize --pinned');
  const pinned = layers.map((l) => c.pinned[l.name] ?? null);
  const evalSeed = c.seed + EVAL_SEED_OFFSET;
  // episode rewards (and so the chosen policy) read val, never test
  const ev = new Evaluator(p.model, data.val, data.shape, seededSubset(data.val.n, c.episodeEvalSize, evalSeed), { metric: c.metric, evaluator: c.evaluator });
  const t0 = Date.now();
  const ctrl = new Controller(
    {
      policy: c.controller,
      hidden: c.hidden,
      bits: c.bitChoices,
      reward: c.reward,
      lambda: c.lambda,
      beta: c.beta,
      crTarget: c.crTarget,
      samplesPerUpdate: c.samplesPerUpdate,
      baselineDecay: c.baselineDecay,
      learningRate: c.controllerLr,
      seed: c.seed,
    },
    layers.map((l) => ({ size: l.size, kind: l.kind })),
    pinned,
  );
  try {
    const deq = dequantizedKernels(p, c, cb, pinned);
    const specsOf = (bits: number[]) => bits.map((b) => (b >= 32 ? null : specFor(b, cb, c.seed)));
    const cache = new Map<string, number>();
    let evaluated = 0;
    const scoreHere = async (bits: number[]) => {
      bits.forEach((b, i) => writeKernel(layers[i], b >= 32 ? p.original[i] : deq[i].get(b)!));
      return ev.score();
    };
    // a batch of policies, each unseen one scored once: here in order, or as sub-jobs on the queue's other workers
    const evalPolicies = async (batch: number[][]): Promise<number[]> => {
      const fresh = [...new Map(batch.filter((b) => !cache.has(b.join(','))).map((b) => [b.join(','), b])).values()];
      let scores: number[] | undefined;
      if (fresh.length > 0 && ctx.fanOut) {
        const parts = await ctx.fanOut(POLICY_BATCH, fresh.map((bits) => ({ bits })));
        scores = parts as number[] | undefined;
      }
      if (!scores) {
        scores = [];
        for (const bits of fresh) scores.push(await scoreHere(bits));
      }
      fresh.forEach((bits, i) => cache.set(bits.join(','), scores[i]));
      evaluated += fresh.length;
      return batch.map((b) => cache.get(b.join(','))!);
    };
    const uniformReferences: { bits: number; top1: number; compressionRatio: number }[] = [];
    const refBits = c.bitChoices.map((b) => layers.map((_, i) => pinned[i] ?? b));
    const refTop1 = await evalPolicies(refBits);
    for (const [j, b] of c.bitChoices.entries()) {
      const bits = refBits[j];
      const top1 = refTop1[j];
      const cr = compressionRatio(layers, specsOf(bits));
      ctx.progress({ fraction: from, stage: `uniform ${b}-bit reference`, metrics: { refBits: b, refTop1: top1, refCr: cr } });
      uniformReferences.push({ bits: b, top1, compressionRatio: cr });
    }
    const episodes: EpisodeRecord[] = [];
    let best = { reward: -Infinity, bits: [] as number[], episode: 0 };
    while (episodes.length < c.episodes) {
      throwIfCancelled(ctx);
      const m = Math.min(c.samplesPerUpdate, c.episodes - episodes.length);
      const samples = Array.from({ length: m }, () => ctrl.sample());
      const rewards: number[] = [];
      const recs: EpisodeRecord[] = [];
      const batch = samples.map((a) => a.map((k, i) => pinned[i] ?? c.bitChoices[k]));
      const top1s = await evalPolicies(batch);
      for (const [j, bits] of batch.entries()) {
        const top1 = top1s[j];
        const cr = compressionRatio(layers, specsOf(bits));
        const r = reward(c, top1, cr);
        rewards.push(r);
        const rec: EpisodeRecord = { episode: episodes.length + recs.length + 1, policy: Object.fromEntries(layers.map((l, i) => [l.name, bits[i]])), top1, compressionRatio: cr, reward: r, baseline: 0 };
        recs.push(rec);
        if (r > best.reward) best = { reward: r, bits, episode: rec.episode };
      }
      const B = ctrl.update(samples, rewards);
      for (const rec of recs) {
        rec.baseline = B;
        episodes.push(rec);
        ctx.progress({
          fraction: from + ((to - from) * episodes.length) / c.episodes,
          stage: `episode ${episodes.length}/${c.episodes}`,
          metrics: { episode: rec.episode, reward: rec.reward, top1: rec.top1, cr: rec.compressionRatio, baseline: B, bestReward: best.reward },
        });
      }
      await new Promise((r) => setImmediate(r));
    }
    void idx;
    const seconds = (Date.now() - t0) / 1000;
    return {
      episodes,
      best: Object.fromEntries(layers.map((l, i) => [l.name, best.bits[i]])),
      uniformReferences,
      search: { episodes: episodes.length, evaluated, seconds, episodesPerMinute: (episodes.length * 60) / Math.max(seconds, 1e-3), evalSize: ev.n, evalSeed, bestEpisode: best.episode, split: 'val', evaluator: ev.by.evaluator },
    };
  } finally {
    ctrl.dispose();
    ev.dispose();
    restore(p);
  }
}

const toRows = (s: StepRecord[]): StepRow[] => s.map((r) => ({ fraction: r.fraction, top1: r.top1, top1Quantized: r.top1Quantized }));

export async function run(config: QuantizeConfig, ctx: RunContext): Promise<QuantizeResult> {
  checkConfig(config);
  const t0 = Date.now();
  ctx.progress({ fraction: 0, stage: 'loading' });
  const p = await prepare(config.model, config.data);
  try {
    const { layers, data, model } = p;
    const cb = codebookOf(config);
    const first = (n: number) => (config.evalLimit ? Uint32Array.from({ length: Math.min(config.evalLimit, n) }, (_, i) => i) : undefined);
    // steps (what SLQ/MLQ/DNQ choices see) on val; the reported baseline and result on test
    const valEv = new Evaluator(model, data.val, data.shape, first(data.val.n), { metric: config.metric, evaluator: config.evaluator });
    const full = new Evaluator(model, data.test, data.shape, first(data.test.n), { metric: config.metric, evaluator: config.evaluator });
    try {
      const baseline = await full.score();
      const valBaseline = await valEv.score();
      ctx.progress({ fraction: 0.02, stage: 'baseline', metrics: { baselineTop1: baseline, valBaselineTop1: valBaseline } });

      // per-layer bits
      let bitsOf: number[];
      let found: SearchOut | null = null;
      if (config.method === 'dnq') {
        if (config.policy) {
          layerIndex(layers, Object.keys(config.policy), 'quantize --policy');
          const missing = layers.filter((l) => config.policy![l.name] === undefined).map((l) => l.name);
          if (missing.length) throw new UserError(`quantize --policy: no bits for ${missing.join(', ')}`);
          bitsOf = layers.map((l) => config.policy![l.name]);
        } else {
          found = await search(p, config, cb, ctx, 0.03, 0.5);
          bitsOf = layers.map((l) => found!.best[l.name]);
        }
      } else if (config.method === 'mlq') bitsOf = layers.map(() => 2);
      else bitsOf = layers.map(() => config.bits);
      const specs: (QuantSpec | null)[] = bitsOf.map((b) => (b >= 32 ? null : specFor(b, cb, config.seed)));

      const retrainOpts: RetrainOptions = {
        epochs: config.retrainEpochs,
        learningRate: config.learningRate,
        batchSize: config.batchSize,
        seed: config.seed,
        limit: config.trainLimit,
      };
      const from = found ? 0.5 : 0.03;
      const orders: Order[] =
        config.method === 'slq'
          ? [config.slqOrder]
          : config.method === 'dnq' && config.compareOrders
            ? [config.order === 'distance' ? 'magnitude' : 'distance', config.order]
            : [config.order];
      const groups: number[][] =
        config.method === 'mlq' && config.mlqGroupSize > 0
          ? Array.from({ length: Math.ceil(layers.length / config.mlqGroupSize) }, (_, g) =>
              layers.map((_, i) => i).slice(g * config.mlqGroupSize, (g + 1) * config.mlqGroupSize),
            )
          : [layers.map((_, i) => i).filter((i) => specs[i] !== null)];
      const stepsByOrder: Record<string, StepRow[]> = {};
      let quantized = new Map<string, QuantizedTensor>();
      let steps: StepRow[] = [];
      const totalSteps = orders.length * groups.length * config.fractions.length;
      let stepNo = 0;
      for (const order of orders) {
        restore(p);
        const freeze = emptyFreeze(layers);
        const all: StepRow[] = [];
        quantized = new Map();
        for (const g of groups) {
          // parameters are fitted on the weights as they are when the group's turn comes (MLQ: after compensation)
          const targets = g
            .filter((i) => specs[i] !== null)
            .map((i) => {
              const w = Float32Array.from(layers[i].kernel.read().dataSync() as Float32Array);
              return { layer: layers[i], params: quantize(w, layers[i].shape, specs[i]!) };
            });
          const r = await progressive(
            { model, data, layers, freeze, evaluator: valEv },
            targets,
            config.fractions,
            order,
            retrainOpts,
            ctx,
            (s) => {
              stepNo++;
              all.push({ fraction: s.fraction, top1: s.top1, top1Quantized: s.top1Quantized });
              ctx.progress({
                fraction: from + ((0.97 - from) * stepNo) / totalSteps,
                stage: `${order}: ${(s.fraction * 100).toFixed(1)} % quantized`,
                metrics: { step: stepNo, fraction: s.fraction, stepTop1: s.top1, stepTop1Quantized: s.top1Quantized },
              });
            },
            (t, d, n) => {
              if (d % 25 === 0) ctx.progress({ fraction: from + ((0.97 - from) * (stepNo + d / n)) / totalSteps, stage: `${order}: retraining step ${t + 1}` });
            },
          );
          for (const [k, v] of r.quantized) quantized.set(k, v);
        }
        stepsByOrder[order] = all;
        steps = all;
      }
      // the model now holds the last order's result, which is the requested one
      const top1 = await full.score();
      const valTop1 = await valEv.score();
      const cr = compressionRatio(layers, specs);
      const mcr = modelCompression(totalParams(model), layers, specs);
      const policy = Object.fromEntries(layers.map((l, i) => [l.name, bitsOf[i]]));
      const result: QuantizeResult = {
        method: config.method,
        metric: full.metric,
        model: config.model,
        data: config.data,
        policy,
        layers: layers.map((l, i) => ({ name: l.name, params: l.size, bits: bitsOf[i], method: specs[i]?.method ?? 'float', granularity: specs[i]?.granularity ?? '-' })),
        baseline: { top1: baseline, n: full.n, split: 'test' },
        quantized: { top1, n: full.n, split: 'test' },
        val: { baseline: valBaseline, quantized: valTop1, n: valEv.n, split: 'val' },
        splits: splitsOf(data),
        compressionRatio: cr,
        modelCompressionRatio: mcr,
        steps: toRows(steps),
        ...(Object.keys(stepsByOrder).length > 1 ? { stepsByOrder } : {}),
        episodes: found?.episodes ?? [],
        ...(found ? { uniformReferences: found.uniformReferences, search: found.search } : {}),
        seeds: { seed: config.seed, retrainSeed: config.seed, controllerSeed: config.seed, episodeEvalSeed: config.seed + EVAL_SEED_OFFSET, splitSeed: data.splitSeed, valSeed: data.valSeed },
        backend: backendName(),
        ...full.by,
        seconds: (Date.now() - t0) / 1000,
      };
      if (config.out) {
        const out = resolve(config.out);
        mkdirSync(out, { recursive: true });
        const provenance = { method: config.method, model: config.model, data: config.data, seed: config.seed, top1, split: 'test', baseline, valTop1, compressionRatio: cr, splits: result.splits };
        writeFileSync(join(out, 'policy.json'), JSON.stringify(toPolicy(layers.map((l) => l.name), specs, provenance), null, 2));
        await saveLayersModel(model, out, { layerlens: { quantize: { ...config, out: undefined }, top1, n: full.n, split: 'test', compressionRatio: cr, splits: result.splits } });
        const params = Object.fromEntries(
          [...quantized].map(([k, q]) => [k, { spec: q.spec, shape: q.shape, levels: q.levels, scales: Array.from(q.scales), zeroPoints: Array.from(q.zeroPoints), codebook: q.codebook ? Array.from(q.codebook) : undefined }]),
        );
        result.out = out;
        writeFileSync(join(out, 'quantize.json'), JSON.stringify({ config: { ...config, out: undefined }, result, params }, null, 2));
      }
      ctx.progress({ fraction: 1, stage: 'done', metrics: { top1, cr } });
      return result;
    } finally {
      full.dispose();
      valEv.dispose();
    }
  } finally {
    p.dispose();
  }
}
