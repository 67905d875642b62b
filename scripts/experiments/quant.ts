/**
 * The quantization lab's full measurements (issue 4), too slow for CI:
 *   node --import tsx scripts/experiments/quant.ts [--out DIR] [--skip-resnet] [--episodes N]
 * Prints a markdown table and writes every result as JSON under --out (default /tmp/layerlens-quant).
 */
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { plainContext } from '../../src/engine/core/context';
import * as sens from '../../src/engine/analyses/quant/sensitivity';
import * as quant from '../../src/engine/analyses/quant/quantize';
import * as train from '../../src/engine/analyses/train';
import { QuantizeConfig, SensitivityConfig, type QuantizeResult } from '../../src/shared/api-quant';
import { TrainConfig } from '../../src/shared/api';

const { values } = parseArgs({ options: { out: { type: 'string' }, 'skip-resnet': { type: 'boolean' }, 'skip-lenet': { type: 'boolean' }, episodes: { type: 'string' } } });
const outDir = resolve(values.out ?? '/tmp/layerlens-quant');
mkdirSync(outDir, { recursive: true });
const episodes = Number(values.episodes ?? 300);
const ctx = plainContext();
const pct = (x: number) => (x * 100).toFixed(2);
const rows: string[] = [];
const row = (net: string, name: string, r: QuantizeResult, note = '') => {
  const drop = (r.baseline.top1 - r.quantized.top1) * 100;
  const line = `| ${net} | ${name} | ${Object.values(r.policy).join('/')} | ${pct(r.quantized.top1)} | ${drop.toFixed(2)} | ${r.compressionRatio.toFixed(2)}× | ${r.seconds.toFixed(0)} s | ${note} |`;
  rows.push(line);
  console.log(line);
};
const save = (name: string, r: unknown) => writeFileSync(join(outDir, `${name}.json`), JSON.stringify(r, null, 2));

async function suite(net: string, model: string, data: string, opts: { trainLimit?: number; evalLimit?: number; retrainEpochs: number; episodes: number; evalSize: number; uniformBits: number[]; mlqGroupSize: number }) {
  const base = { model, data, seed: 1, retrainEpochs: opts.retrainEpochs, trainLimit: opts.trainLimit, evalLimit: opts.evalLimit };
  const t0 = Date.now();
  const s = await sens.run(SensitivityConfig.parse({ model, data, subsets: 4, limit: opts.evalLimit, autoGroup: true }), ctx);
  save(`${net}-sensitivity`, s);
  console.log(`\n${net} sensitivity (kmeans per-tensor, top-1 %, ${s.n} images, ${((Date.now() - t0) / 1000).toFixed(1)} s; baseline ${pct(s.baseline)}):`);
  for (const l of s.layers) console.log(`  ${l.name.padEnd(28)} ${Object.entries(l.bits).map(([b, v]) => `${b}b ${pct(v)}±${pct(l.spread?.[b]?.std ?? 0)}`).join('  ')}`);

  const results: Record<string, QuantizeResult> = {};
  const go = async (name: string, cfg: Record<string, unknown>, note = '') => {
    const r = await quant.run(QuantizeConfig.parse({ ...base, ...cfg }), ctx);
    results[name] = r;
    save(`${net}-${name}`, r);
    row(net, name, r, note);
    return r;
  };
  console.log('\n| net | run | bits per layer | top-1 % | drop pp | CR | time | note |\n|---|---|---|---|---|---|---|---|');
  for (const b of opts.uniformBits) await go(`uniform-${b}b+retrain`, { method: 'uniform', bits: b, granularity: 'per-channel' }, 'uniform per-channel, distance order');
  const d = await go('dnq', { method: 'dnq', episodes: opts.episodes, episodeEvalSize: opts.evalSize }, 'kmeans per-tensor, distance order; magnitude below');
  for (const [order, steps] of Object.entries(d.stepsByOrder ?? {})) {
    console.log(`|  | dnq ${order} steps | ${steps.map((x) => `${x.fraction}: ${pct(x.top1Quantized)}→${pct(x.top1)}`).join(', ')} | | | | | |`);
  }
  if (d.search) console.log(`|  | dnq search | ${d.search.episodes} episodes, ${d.search.evaluated} distinct, ${d.search.episodesPerMinute.toFixed(0)}/min, eval ${d.search.evalSize} imgs seed ${d.search.evalSeed} | | | | ${d.search.seconds.toFixed(0)} s | best ep ${d.search.bestEpisode} |`);
  // a gentler compression pressure lands near uniform 3-bit's ratio, where the two can be compared
  await go('dnq-beta0.08', { method: 'dnq', episodes: opts.episodes, episodeEvalSize: opts.evalSize, beta: 0.08 }, 'β 0.08 (more compression); magnitude order on the same policy in the JSON');
  await go('slq-4b', { method: 'slq', bits: 4 }, 'cluster-loss order');
  await go('slq-4b-wlq-order', { method: 'slq', bits: 4, slqOrder: 'cluster-magnitude' }, 'WLQ code order');
  await go('mlq-ternary', { method: 'mlq', fractions: [0.5, 1], mlqGroupSize: opts.mlqGroupSize }, `kmeans 3 centroids, ${opts.mlqGroupSize} layer(s) per group`);
  await go('mlq-ternary-all-at-once', { method: 'mlq', fractions: [0.5, 1], mlqGroupSize: 0 }, 'no layer compensation');
  // the DNQ claim: at ≥ its compression, uniform+retrain is not more accurate
  const beaten = Object.entries(results)
    .filter(([k, r]) => k.startsWith('uniform') && r.compressionRatio <= d.compressionRatio)
    .map(([k, r]) => `${k} (${r.compressionRatio.toFixed(2)}×, ${pct(r.quantized.top1)} %): DNQ ${d.quantized.top1 >= r.quantized.top1 ? '≥' : '<'}`);
  console.log(`\n${net}: DNQ ${d.compressionRatio.toFixed(2)}× ${pct(d.quantized.top1)} % vs uniform at ≤ its CR: ${beaten.join('; ') || 'none'}`);
  return results;
}

if (!values['skip-lenet']) await suite('lenet5-mnist', 'builtin:lenet5-mnist', 'mnist', { retrainEpochs: 2, episodes, evalSize: 500, uniformBits: [2, 3, 4], mlqGroupSize: 1 });

if (!values['skip-resnet']) {
  const r8 = join(outDir, 'resnet8-fashion');
  if (!existsSync(join(r8, 'model.json'))) {
    const t = Date.now();
    const tr = await train.run(TrainConfig.parse({ arch: 'resnet8', data: 'fashion-mnist', epochs: 3, limit: 12000, evalLimit: 2000, seed: 1, schedule: 'cosine' }) as train.TrainConfig, { ...ctx, workDir: r8 } as never);
    console.log(`\ntrained resnet8 on 12,000 fashion-mnist images, 3 epochs, seed 1: top-1 ${pct(tr.top1)} % on ${tr.n} (${((Date.now() - t) / 1000).toFixed(0)} s)`);
  }
  // retraining a ResNet on wasm costs ~10× LeNet's: fewer images per step and 3 layers per MLQ group
  await suite('resnet8-fashion', r8, 'fashion-mnist', { trainLimit: 4000, evalLimit: 2000, retrainEpochs: 1, episodes: Math.min(episodes, 150), evalSize: 300, uniformBits: [3, 4], mlqGroupSize: 3 });
}
console.log(`\nJSON results: ${outDir}`);
