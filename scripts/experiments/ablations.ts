/**
 * The ablations of issue 15, one command per table, 3 seeds each, one result record per run (results/…):
 *
 *   node --import tsx scripts/experiments/ablations.ts <table> [--net lenet|resnet8|resnet20] [--seeds 1,2,3]
 *        [--records DIR] [--rows REGEX] [--plan] [--quick]
 *
 *   dnq     DNQ's RL policy against uniform policies with the same quantizer (k-means per tensor), the same
 *           partition steps and retraining budget; the DNQ policy again in magnitude order (distance vs magnitude,
 *           val top-1 after every partition step in each record's curves)
 *   slq     SLQ (k-means, cluster-loss order) against INQ (powers of two, magnitude order) at 4 and 3 bits
 *   mlq     MLQ ternary with incremental layer compensation against all layers at once
 *   trp     TRP with and without the nuclear norm; post-hoc SVD at TRP's ranks with fine-tuning for the same total
 *           epochs; the FLOPs-budget rule (2×) beside the energy rule over a sweep of e for both schemes; every TRP
 *           record also holds post-hoc SVD at the same ranks without fine-tuning
 *
 * Resumable: a row × seed whose record exists is skipped, so a killed sweep continues where it stopped. The
 * expected wall time is printed first (from the timings of records already written for the table, else from
 * the per-net estimate below). Reported figures are on test; val figures are in every record for selection.
 * Run it with `nice -n 19` on a shared machine. With the default records folder, docs/results/ is regenerated
 * after every record (what `layerlens report` does).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import { plainContext } from '../../src/engine/core/context';
import * as quant from '../../src/engine/analyses/quant/quantize';
import { prepare } from '../../src/engine/analyses/quant/common';
import { loadModel } from '../../src/engine/models/io';
import { needsLayers } from '../../src/engine/models/model';
import { decomposeModel, modelFlops } from '../../src/engine/lowrank/decompose';
import { run as lowrankRun } from '../../src/engine/analyses/lowrank/run';
import * as train from '../../src/engine/analyses/train';
import { QuantizeConfig, type QuantizeResult } from '../../src/shared/api-quant';
import { LowrankConfig, type LowrankResult } from '../../src/shared/api-lowrank';
import { TrainConfig } from '../../src/shared/api';
import type { ResultRecord } from '../../src/shared/api-report';
import { hasRecord, readRecord, readRecords, recordFile, recordName, writeRecord } from '../../src/engine/results/records';
import { lowrankMetrics, quantCurves, quantMetrics } from '../../src/engine/results/from-results';
import { regenerate } from '../../src/engine/analyses/report';

const root = resolve(import.meta.dirname, '../..');
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { net: { type: 'string', default: 'lenet' }, seeds: { type: 'string', default: '1,2,3' }, records: { type: 'string' }, plan: { type: 'boolean' }, quick: { type: 'boolean' }, rows: { type: 'string' } },
});
const table = positionals[0];
const defaultRecords = join(root, 'results');
const recordsDir = resolve(values.records ?? defaultRecords);
const seeds = values.seeds!.split(',').map(Number);

interface Net {
  model: string | (() => Promise<string>);
  data: string;
  /** quantize: retraining epochs per partition step, images per retraining epoch, evaluated images */
  quant: { retrainEpochs: number; trainLimit?: number; evalLimit?: number; episodes: number; episodeEvalSize: number; mlqGroupSize: number };
  trp: Partial<LowrankConfig>;
  /** rough seconds per run on 2 shared cores (native backend), measured: the plan uses them until records exist */
  estimate: { quant: number; dnq: number; trp: number };
}

/** Train a zoo net once (seeded) and keep it under the OS temp folder: the start of the ResNet-20 rows. */
const pretrained = (arch: 'resnet20', data: string) => async () => {
  const out = join(tmpdir(), `layerlens-ablations-${arch}-${data}`);
  if (!existsSync(join(out, 'model.json'))) {
    const r = await train.run(TrainConfig.parse({ arch, data, epochs: 10, seed: 1, optimizer: 'adam', learningRate: 2e-3, schedule: 'cosine', out }) as train.TrainConfig, plainContext());
    console.log(`pre-trained ${arch} on ${data}: val top-1 ${(r.top1 * 100).toFixed(2)} % → ${r.modelPath}`);
  }
  return out;
};

const nets: Record<string, Net> = {
  lenet: {
    model: 'builtin:lenet5-mnist',
    data: 'mnist',
    quant: { retrainEpochs: 2, episodes: 300, episodeEvalSize: 500, mlqGroupSize: 1 },
    trp: { scheme: 'spatial', speedup: 2, ramp: 0.4, period: 5, nuclear: 1e-3, epochs: 10, learningRate: 1e-3, optimizer: 'adam', schedule: 'cosine', includeFirst: true },
    estimate: { quant: 45, dnq: 70, trp: 300 },
  },
  resnet8: {
    model: 'builtin:resnet8-fashion',
    data: 'fashion-mnist',
    quant: { retrainEpochs: 1, trainLimit: 4000, evalLimit: 2000, episodes: 150, episodeEvalSize: 300, mlqGroupSize: 3 },
    trp: { scheme: 'spatial', speedup: 2, ramp: 0.4, period: 5, nuclear: 3e-4, epochs: 3, learningRate: 1e-3, optimizer: 'adam', schedule: 'cosine', includeStrided: true, limit: 8000, evalLimit: 500 },
    estimate: { quant: 900, dnq: 1200, trp: 1400 },
  },
  resnet20: {
    model: pretrained('resnet20', 'fashion-mnist'),
    data: 'fashion-mnist',
    quant: { retrainEpochs: 1, trainLimit: 4000, evalLimit: 2000, episodes: 150, episodeEvalSize: 300, mlqGroupSize: 6 },
    trp: { scheme: 'spatial', speedup: 2, ramp: 0.4, period: 5, nuclear: 3e-4, epochs: 3, learningRate: 1e-3, optimizer: 'adam', schedule: 'cosine', includeStrided: true, limit: 8000, evalLimit: 500 },
    estimate: { quant: 2500, dnq: 3500, trp: 4000 },
  },
};
const found = nets[values.net!];
if (!found) throw new Error(`--net: one of ${Object.keys(nets).join(', ')}`);
// --quick: a smoke run of the same code on a few hundred images (tests; never into the repo's results/)
if (values.quick && !values.records) throw new Error('--quick writes only to a --records folder of its own');
const net: Net = values.quick
  ? {
      ...found,
      quant: { ...found.quant, retrainEpochs: 1, trainLimit: 256, evalLimit: 300, episodes: 8, episodeEvalSize: 100 },
      trp: { ...found.trp, epochs: 2, limit: 256, evalLimit: 200, testLimit: 300 },
      estimate: { quant: 20, dnq: 30, trp: 40 },
    }
  : found;

/** One row of a table: its label, the run of one seed (which may read earlier records of the same seed). */
interface Row {
  row: string;
  cost: keyof Net['estimate'];
  run(seed: number): Promise<Omit<ResultRecord, 'schema' | 'version' | 'commit' | 'createdAt' | 'experiment' | 'table' | 'row' | 'seed'>>;
}

const experiment = `ablation-${values.net}`;
const TRP_NU = `TRP+Nu, ${net.trp.speedup}× FLOPs budget`;
const tableName = `${table}-${values.net}`;
const modelRef = async () => (typeof net.model === 'string' ? net.model : net.model());
const ctx = plainContext();

async function quantRow(seed: number, cfg: Partial<QuantizeConfig>) {
  const model = await modelRef();
  const config = QuantizeConfig.parse({ model, data: net.data, seed, retrainEpochs: net.quant.retrainEpochs, trainLimit: net.quant.trainLimit, evalLimit: net.quant.evalLimit, ...cfg });
  const r: QuantizeResult = await quant.run(config, ctx);
  return {
    config: { ...config, model: typeof net.model === 'string' ? model : `arch:resnet20 pre-trained (seed 1), ${model}`, policy: r.policy },
    splits: r.splits,
    metrics: quantMetrics(r),
    curves: quantCurves(r, config.order),
    timings: { seconds: r.seconds, ...(r.search ? { searchSeconds: r.search.seconds } : {}) },
    backend: r.backend,
  };
}

async function lowrankRow(seed: number, cfg: Partial<LowrankConfig>) {
  const model = await modelRef();
  const config = LowrankConfig.parse({ model, data: net.data, method: 'trp', seed, ...net.trp, ...cfg, out: mkdtempSync(join(tmpdir(), `ll-ablation-${tableName}-`)) });
  const r: LowrankResult = await lowrankRun(config, ctx);
  const { out: _out, ...kept } = config;
  return {
    config: { ...kept, ranks: r.ranks, posthocRanks: r.posthoc.ranks },
    splits: r.splits,
    metrics: lowrankMetrics(r),
    timings: { seconds: r.wallSeconds },
    backend: r.backend,
  };
}

/**
 * Post-hoc SVD **with** fine-tuning at the same FLOPs and the same total epochs as TRP: the start fine-tuned
 * normally for E − F epochs, cut at the ranks TRP+Nu reached for this seed (same FLOPs), then F epochs of
 * fine-tuning of the factorised net (same optimizer, learning rate and schedule, restarted), scored on test.
 */
async function posthocFinetuneRow(seed: number) {
  const trp = readRecord(recordFile(recordsDir, recordName({ experiment, table: tableName, row: TRP_NU, seed })));
  const ranks = trp.config.ranks as Record<string, number>;
  const model = await modelRef();
  const cfg = LowrankConfig.parse({ model, data: net.data, method: 'trp', seed, ...net.trp });
  const total = cfg.epochs;
  const fineTune = Math.max(1, Math.round(total * 0.3));
  const start = await loadModel(model);
  const arch = (((start.metadata?.layerlens as { train?: { arch?: string } } | undefined)?.train?.arch ?? 'lenet5') as train.TrainConfig['arch']);
  start.dispose();
  const tcfg = { arch, data: net.data, seed, optimizer: cfg.optimizer, learningRate: cfg.learningRate, schedule: cfg.schedule, augment: cfg.augment, batchSize: cfg.batchSize, limit: cfg.limit, evalLimit: cfg.evalLimit };
  const t0 = Date.now();
  const tmp = mkdtempSync(join(tmpdir(), `ll-ablation-${tableName}-posthoc-`));
  const base = await train.run({ ...tcfg, epochs: total - fineTune, out: join(tmp, 'baseline') } as train.TrainConfig, ctx, { initModel: async () => needsLayers(await loadModel(model), 'post-hoc') });
  const baseModel = needsLayers(await loadModel(base.modelPath), 'post-hoc');
  const dec = await decomposeModel(baseModel, cfg.scheme, ranks, { svdMethod: cfg.svd });
  const speedup = modelFlops(baseModel) / dec.flopsAfter;
  baseModel.dispose();
  const ft = await train.run({ ...tcfg, epochs: fineTune, out: join(tmp, 'finetuned') } as train.TrainConfig, ctx, { initModel: async () => dec.model });
  return {
    config: { model, data: net.data, seed, scheme: cfg.scheme, ranks, baselineEpochs: total - fineTune, fineTuneEpochs: fineTune, optimizer: cfg.optimizer, learningRate: cfg.learningRate, schedule: cfg.schedule, limit: cfg.limit, ranksFrom: TRP_NU },
    splits: ft.splits,
    metrics: {
      val: { top1: ft.history.at(-1)!.valTop1, baselineTop1: base.history.at(-1)!.valTop1 },
      test: { top1: ft.top1, baselineTop1: base.top1 },
      model: { speedup, flops: dec.flopsAfter },
    },
    timings: { seconds: (Date.now() - t0) / 1000 },
    backend: ft.backend,
  };
}

/** The policy DNQ found for this seed (the magnitude-order row re-runs it). */
function dnqPolicy(seed: number): Record<string, number> {
  const file = recordFile(recordsDir, recordName({ experiment, table: tableName, row: 'DNQ policy, distance order', seed }));
  if (!existsSync(file)) throw new Error(`the magnitude-order row needs the DNQ row of seed ${seed} first (${file})`);
  return readRecord(file).config.policy as Record<string, number>;
}
const tables: Record<string, Row[]> = {
  dnq: [
    // compareOrders off: the magnitude row below runs the same policy as its own record with its own test figure
    { row: 'DNQ policy, distance order', cost: 'dnq', run: (s) => quantRow(s, { method: 'dnq', codebook: 'kmeans', episodes: net.quant.episodes, episodeEvalSize: net.quant.episodeEvalSize, order: 'distance', compareOrders: false }) },
    { row: 'DNQ policy, magnitude order', cost: 'quant', run: (s) => quantRow(s, { method: 'dnq', codebook: 'kmeans', episodes: 0, policy: dnqPolicy(s), order: 'magnitude', compareOrders: false }) },
    ...[2, 3, 4].map((b): Row => ({
      row: `uniform ${b}-bit (k-means), distance order`,
      cost: 'quant',
      run: async (s) => quantRow(s, { method: 'dnq', codebook: 'kmeans', episodes: 0, policy: await layerBits(b), order: 'distance', compareOrders: false }),
    })),
  ],
  slq: [4, 3].flatMap((b): Row[] => [
    { row: `SLQ ${b}-bit (k-means, cluster-loss order)`, cost: 'quant', run: (s) => quantRow(s, { method: 'slq', bits: b, slqOrder: 'cluster-loss' }) },
    // INQ: powers of two, largest magnitudes first, the same partition steps and retraining
    { row: `INQ ${b}-bit (powers of two, magnitude order)`, cost: 'quant', run: async (s) => quantRow(s, { method: 'dnq', codebook: 'pow2', episodes: 0, policy: await layerBits(b), order: 'magnitude', compareOrders: false }) },
  ]),
  mlq: [
    { row: 'MLQ ternary, incremental layer compensation', cost: 'quant', run: (s) => quantRow(s, { method: 'mlq', fractions: [0.5, 1], mlqGroupSize: net.quant.mlqGroupSize }) },
    { row: 'MLQ ternary, all layers at once', cost: 'quant', run: (s) => quantRow(s, { method: 'mlq', fractions: [0.5, 1], mlqGroupSize: 0 }) },
  ],
  trp: [
    { row: TRP_NU, cost: 'trp', run: (s) => lowrankRow(s, {}) },
    { row: 'post-hoc SVD at TRP+Nu\'s ranks + fine-tuning, same total epochs', cost: 'trp', run: (s) => posthocFinetuneRow(s) },
    { row: `TRP without Nu, ${net.trp.speedup}× FLOPs budget`, cost: 'trp', run: (s) => lowrankRow(s, { nuclear: 0 }) },
    ...(['channel', 'spatial'] as const).flatMap((scheme) =>
      [0.9, 0.95, 0.99].map((e): Row => ({ row: `TRP+Nu ${scheme}, energy e ${e}`, cost: 'trp', run: (s) => lowrankRow(s, { scheme, speedup: undefined, ramp: 0, energy: e }) })),
    ),
  ],
};

/** Every quantized layer (the kernels quantize sees) at b bits: a uniform policy over the model's own layer names. */
async function layerBits(bits: number): Promise<Record<string, number>> {
  const p = await prepare(await modelRef(), net.data);
  try {
    return Object.fromEntries(p.layers.map((l) => [l.name, bits]));
  } finally {
    p.dispose();
  }
}

const all = tables[table];
// --rows: only the rows whose label matches (e.g. the key rows of a long table first, every seed)
const rows = all && values.rows ? all.filter((r) => new RegExp(values.rows!).test(r.row)) : all;
if (!rows) {
  console.error(`usage: ablations.ts <${Object.keys(tables).join('|')}> [--net ${Object.keys(nets).join('|')}] [--seeds 1,2,3] [--records DIR] [--plan]`);
  process.exit(2);
}

// ---- the plan and its expected wall time ----
const todo = rows.flatMap((r) => seeds.filter((seed) => !hasRecord(recordsDir, { experiment, table: tableName, row: r.row, seed })).map((seed) => ({ r, seed })));
const done = existsSync(recordsDir) ? readRecords(recordsDir).filter((x) => x.record.table === tableName) : [];
const measured = (row: Row): number | undefined => {
  const t = done.filter((x) => x.record.row === row.row).map((x) => x.record.timings.seconds);
  return t.length ? t.reduce((a, b) => a + b, 0) / t.length : undefined;
};
const expected = todo.reduce((sum, { r }) => sum + (measured(r) ?? net.estimate[r.cost]), 0);
console.log(`${tableName}: ${rows.length} rows × ${seeds.length} seeds; ${done.length} records present, ${todo.length} runs left; expected wall ≈ ${(expected / 60).toFixed(0)} min (${done.length ? 'from the timings recorded so far' : 'estimate'})`);
for (const { r, seed } of todo) console.log(`  to run: ${r.row}, seed ${seed} (~${((measured(r) ?? net.estimate[r.cost]) / 60).toFixed(0)} min)`);
if (values.plan) process.exit(0);

// seeds in the outer loop: a killed sweep has whole seeds done, and a row that needs an earlier row's record of
// the same seed (the magnitude order re-runs DNQ's policy) finds it
for (const seed of seeds) {
  for (const r of rows) {
    const key = { experiment, table: tableName, row: r.row, seed };
    if (hasRecord(recordsDir, key)) continue;
    const t0 = Date.now();
    console.log(`[${new Date().toISOString()}] ${r.row}, seed ${seed} …`);
    const out = await r.run(seed);
    const name = writeRecord(recordsDir, { ...key, ...out, commit: undefined });
    console.log(`  → ${name} (${((Date.now() - t0) / 1000).toFixed(0)} s): test ${JSON.stringify(out.metrics.test)}`);
    // the repo's docs follow its records at once, so the tree never holds a record the docs do not show
    // (a report that cannot be built — e.g. code edited under a long sweep — must not stop the sweep: the record is kept)
    if (recordsDir === defaultRecords) {
      try {
        regenerate(recordsDir, join(root, 'docs/results'));
      } catch (e) {
        console.error(`  docs not regenerated (${(e as Error).message}); run npx layerlens report`);
      }
    }
  }
}
