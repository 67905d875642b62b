// Low-rank experiments (issue 5): baseline vs TRP vs post-hoc SVD at the same FLOPs, both schemes, seeded.
// Run: node --import tsx scripts/experiments/lowrank.ts [lenet|resnet8|resnet8-pretrain|resnet8-scratch|resnet14|all] [--quick] [--json FILE]
//      [--scheme channel|spatial|channel,spatial]
//      [--set key=value ...]  (any LowrankConfig field, e.g. --set energy=0.95 --set period=5)
// Prints one row per run; writes every result (with spectra) to the JSON file when given.
import { writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { plainContext } from '../../src/engine/core/context';
import { run } from '../../src/engine/analyses/lowrank/run';
import * as train from '../../src/engine/analyses/train';
import { LowrankConfig, type LowrankResult } from '../../src/shared/api-lowrank';

const args = process.argv.slice(2);
const which = args.find((a) => !a.startsWith('--') && !args[args.indexOf(a) - 1]?.match(/^--(json|set|scheme)$/)) ?? 'all';
const quick = args.includes('--quick');
const jsonOut = args.includes('--json') ? args[args.indexOf('--json') + 1] : undefined;
const schemeArg = args.includes('--scheme') ? args[args.indexOf('--scheme') + 1] : undefined;
const overrides: Record<string, unknown> = {};
args.forEach((a, i) => {
  if (a !== '--set') return;
  const [k, v] = args[i + 1].split('=');
  overrides[k] = v === 'true' ? true : v === 'false' ? false : Number.isFinite(Number(v)) ? Number(v) : v;
});

// The settings behind the reported tables (docs/lowrank-experiments.md); everything is seeded. `lenet` and `resnet8`
// are the configurations that meet the issue's target (≤ ½ FLOPs at ≤ 1 pp drop, no fine-tuning after the cut);
// `resnet8-pretrain` and `resnet8-scratch` are rows of the earlier one-e sweep.
// A preset with `pretrain` first trains that zoo arch ordinarily (seeded) and hands the saved model to the lowrank
// job as its start: the baseline and the TRP net are then both fine-tuned from it with the same schedule (the
// authors' ImageNet protocol: TRP fine-tuning of a pretrained net), and the pre-training time counts in the wall.
type Preset = LowrankConfig & { pretrain?: Omit<train.TrainConfig, 'out'> };
// what every ResNet-8 / Fashion-MNIST preset shares: the 8,000-image subset, spatial TRP with strided convs selected
const resnet8Fashion = {
  data: 'fashion-mnist',
  method: 'trp',
  scheme: 'spatial',
  period: 5,
  nuclear: 3e-4,
  includeStrided: true,
  optimizer: 'adam',
  schedule: 'cosine',
  limit: quick ? 512 : 8000,
  evalLimit: 500,
  seed: 1,
} as const;
const presets: Record<string, Preset> = {
  // LeNet-5 fine-tuned from the builtin: spatial, conv1 included (28 % of the MACs), ranks from a 2× FLOPs budget
  // ramped in over the first 40 % of 10 epochs, λ = 1e-3 (measured: 2.00× at −0.50 / −0.45 / −0.45 pp, seeds 1–3)
  lenet: {
    model: 'builtin:lenet5-mnist',
    data: 'mnist',
    method: 'trp',
    scheme: 'spatial',
    speedup: 2,
    ramp: 0.4,
    period: 5,
    nuclear: 1e-3,
    epochs: quick ? 1 : 10,
    learningRate: 1e-3,
    optimizer: 'adam',
    schedule: 'cosine',
    includeFirst: true,
    seed: 1,
    ...(quick ? { limit: 1024 } : {}),
  },
  // ResNet-8 fine-tuned from builtin:resnet8-fashion (88.51 %): the baseline and the TRP net each trained 3 more
  // epochs on the first 8,000 Fashion-MNIST images (same seed and schedule), spatial scheme, strided convs selected,
  // ranks from a 2× FLOPs budget ramped in over the first 40 %; scored on the whole 10,000-image test split
  resnet8: {
    ...resnet8Fashion,
    model: 'builtin:resnet8-fashion',
    speedup: 2,
    ramp: 0.4,
    epochs: quick ? 1 : 3,
    learningRate: 1e-3,
    ...(quick ? { testLimit: 500 } : {}),
  },
  // The earlier start (energy-rule sweep): ResNet-8 trained 3 epochs on the 8,000-image subset inside the run, then
  // baseline and TRP fine-tuned 2 epochs from it with one e = 0.97 for every layer
  'resnet8-pretrain': {
    pretrain: {
      arch: 'resnet8',
      data: 'fashion-mnist',
      epochs: quick ? 1 : 3,
      seed: 1,
      optimizer: 'adam',
      learningRate: 2e-3,
      schedule: 'cosine',
      augment: 'none',
      batchSize: 64,
      limit: quick ? 512 : 8000,
      evalLimit: 500,
    },
    ...resnet8Fashion,
    model: 'arch:resnet8', // replaced by the pre-trained model
    energy: 0.97,
    epochs: quick ? 1 : 2,
    learningRate: 5e-4,
    testLimit: quick ? 500 : 2000,
  },
  // ResNet-8 from scratch: baseline and TRP each trained 3 epochs on the 8,000-image subset
  'resnet8-scratch': {
    ...resnet8Fashion,
    model: 'arch:resnet8',
    energy: 0.97,
    epochs: quick ? 1 : 3,
    learningRate: 2e-3,
    testLimit: quick ? 500 : 2000,
  },
  resnet14: {
    model: 'arch:resnet14',
    data: 'fashion-mnist',
    method: 'trp',
    energy: 0.95,
    period: 5,
    nuclear: 3e-4,
    epochs: quick ? 1 : 5,
    optimizer: 'adam',
    learningRate: 2e-3,
    schedule: 'cosine',
    limit: quick ? 512 : 5000,
    evalLimit: 1000,
    testLimit: quick ? 500 : 5000,
    seed: 1,
  },
};

const names = which === 'all' ? ['lenet', 'resnet8'] : which.split(',');
const rows: { name: string; scheme: string; r: LowrankResult; pre: { seconds: number; top1: number; cfg: Preset['pretrain'] } | null }[] = [];
const pct = (x: number) => (x * 100).toFixed(2).padStart(6);
const k = (x: number) => (x / 1e3).toFixed(0).padStart(7) + 'K';
for (const name of names) {
  const found = presets[name];
  if (!found) throw new Error(`unknown preset ${name} (have ${Object.keys(presets).join(', ')})`);
  const { pretrain, ...preset } = found;
  let pre: (typeof rows)[number]['pre'] = null;
  if (pretrain && overrides.model === undefined) {
    const t0 = Date.now();
    const out = mkdtempSync(join(tmpdir(), `ll-lowrank-${name}-pretrain-`));
    const r = await train.run({ ...pretrain, out }, plainContext(() => {}));
    pre = { seconds: (Date.now() - t0) / 1000, top1: r.top1, cfg: pretrain };
    preset.model = r.modelPath;
    process.stderr.write(`  [${name}] pre-trained ${pretrain.arch} in ${pre.seconds.toFixed(0)} s: top-1 ${(r.top1 * 100).toFixed(2)} % → ${r.modelPath}\n`);
  }
  // a preset that names its scheme runs that one unless --scheme says otherwise
  const schemes = (schemeArg ? schemeArg.split(',') : preset.scheme ? [preset.scheme] : ['channel', 'spatial']) as ('channel' | 'spatial')[];
  for (const scheme of schemes) {
    const cfg = LowrankConfig.parse({ ...preset, scheme, ...overrides, out: mkdtempSync(join(tmpdir(), `ll-lowrank-${name}-`)) });
    let last = 0;
    const r = await run(cfg, plainContext((p) => {
      if (Date.now() - last > 15_000 || p.metrics?.valTop1 !== undefined) {
        last = Date.now();
        process.stderr.write(`  [${name}/${scheme}] ${(p.fraction * 100).toFixed(0)}% ${p.stage ?? ''} ${p.metrics?.valTop1 !== undefined ? `val ${pct(p.metrics.valTop1)}` : ''}\n`);
      }
    }));
    rows.push({ name, scheme, r, pre });
    process.stderr.write(`  [${name}/${scheme}] done in ${r.wallSeconds.toFixed(0)} s → ${r.modelPath}\n`);
  }
}

console.log('');
console.log(`model     scheme   | baseline top1  FLOPs   | TRP top1  FLOPs    speed-up | post-hoc top1 (same FLOPs) | Δ TRP−base | seed  rule         m   λ       | wall`);
for (const { name, scheme, r, pre } of rows) {
  console.log(
    `${name.padEnd(9)} ${scheme.padEnd(8)} | ${pct(r.baseline.top1)} % ${k(r.baseline.flops)} | ${pct(r.decomposed.top1)} % ${k(r.decomposed.flops)} ${r.speedup.toFixed(2).padStart(6)}× | ${pct(r.posthoc.top1)} %` +
      `${' '.repeat(19)}| ${((r.decomposed.top1 - r.baseline.top1) * 100).toFixed(2).padStart(6)} pp | ${String(r.seed).padEnd(5)} ${(r.trp ? (r.trp.speedup ? `${r.trp.speedup}× ramp ${r.trp.ramp}` : `e ${r.trp.energy}`) : '-').padEnd(12)} ${String(r.trp?.period ?? '-').padEnd(3)} ${r.trp?.nuclear ?? '-'}  | ${r.wallSeconds.toFixed(0)} s`,
  );
  console.log(`          ranks: ${Object.entries(r.ranks).map(([l, v]) => `${l}=${v}`).join(' ')}`);
  if (pre) console.log(`          start: ${pre.cfg!.arch} pre-trained ${pre.cfg!.epochs} ep on ${pre.cfg!.limit ?? 'all'} images (seed ${pre.cfg!.seed}), ${pct(pre.top1)} % in ${pre.seconds.toFixed(0)} s; wall with pre-training ${(pre.seconds + r.wallSeconds).toFixed(0)} s`);
}
console.log(`(test images per score: ${rows.map((x) => x.r.n).join(', ')}; top-1 of baseline, TRP and post-hoc on the same images; no fine-tuning after any factorisation)`);
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(rows.map(({ name, r, pre }) => ({ name, pretrain: pre, ...r })), null, 1));
