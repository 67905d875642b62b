/**
 * The headline rows of src/engine/quant/NOTES.md and docs/lowrank-experiments.md and the newest bench table of
 * docs/bench.md, generated from recorded results (results/headline/*.json, results/bench/*.json), never typed by hand.
 *
 *   node --import tsx scripts/experiments/headline.ts --add <result.json> --as <name> [--commit SHA]
 *       keeps a trimmed copy of a quant.ts / lowrank.ts result (spectra and episode lists dropped) as results/headline/<name>.json
 *   node --import tsx scripts/experiments/headline.ts [--check]
 *       rewrites the blocks between `<!-- headline:<table> -->` and `<!-- /headline:<table> -->` in both docs
 *       (--check: exit 1 when a doc is not what the records give)
 *
 * New experiments write result records instead (src/engine/results, scripts/experiments/ablations.ts) and
 * `layerlens report` builds docs/results/ from them; it reads the files kept here through an adapter
 * (src/engine/results/headline.ts), so these runs appear there too, with their record links.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const root = resolve(import.meta.dirname, '../..');
const recordsDir = join(root, 'results/headline');

type Rec = Record<string, any>;

const { values } = parseArgs({ options: { add: { type: 'string' }, as: { type: 'string' }, commit: { type: 'string' }, check: { type: 'boolean' } } });

if (values.add) {
  if (!values.as || !/^[a-z0-9][a-z0-9.+-]*$/.test(values.as)) throw new Error('--as <name> (lower-case letters, digits, . + -) is required with --add');
  const raw = JSON.parse(readFileSync(values.add, 'utf8'));
  // lowrank.ts writes an array of runs; quant.ts one result per file
  const rec: Rec = Array.isArray(raw) ? raw[0] : raw;
  for (const heavy of ['spectra', 'episodes', 'modelPath', 'recordPath']) delete rec[heavy];
  rec.measured = { commit: values.commit ?? null, source: values.as };
  mkdirSync(recordsDir, { recursive: true });
  writeFileSync(join(recordsDir, `${values.as}.json`), JSON.stringify(rec, null, 1) + '\n');
  process.exit(0);
}

const records = new Map<string, Rec>();
for (const f of readdirSync(recordsDir).filter((f) => f.endsWith('.json')).sort()) {
  records.set(f.replace(/\.json$/, ''), JSON.parse(readFileSync(join(recordsDir, f), 'utf8')));
}
const get = (name: string): Rec => {
  const r = records.get(name);
  if (!r) throw new Error(`results/headline/${name}.json is missing`);
  return r;
};
const pct = (x: number) => `${(x * 100).toFixed(2)} %`;
const pp = (x: number) => `${x <= 0 ? '−' : '+'}${Math.abs(x * 100).toFixed(2)} pp`;
const int = (x: number) => Math.round(x).toLocaleString('en-US');
const rows = (head: string[], body: string[][]) =>
  [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...body.map((r) => `| ${r.join(' | ')} |`)].join('\n');

function quantTable(): string {
  const runs: [string, string][] = [
    ['lenet-uniform-2b', 'uniform 2-bit + retraining'],
    ['lenet-uniform-3b', 'uniform 3-bit + retraining'],
    ['lenet-uniform-4b', 'uniform 4-bit + retraining'],
    ['lenet-dnq', '**DNQ (default β 0.03), distance order**'],
    ['lenet-dnq-beta0.08', 'DNQ β 0.08, distance order'],
    ['lenet-slq-4b', 'SLQ 4-bit (cluster-loss order)'],
    ['lenet-slq-4b-wlq', 'SLQ 4-bit (WLQ code order)'],
    ['lenet-mlq', 'MLQ ternary, one layer per group'],
    ['lenet-mlq-all-at-once', 'MLQ ternary, all layers at once'],
  ];
  const body = runs.map(([name, label]) => {
    const r = get(name);
    return [label, Object.values(r.policy as Record<string, number>).join('/'), pct(r.val.quantized), pct(r.quantized.top1), pp(r.quantized.top1 - r.baseline.top1), `${r.compressionRatio.toFixed(2)}×`, String(r.seeds?.seed ?? r.seed)];
  });
  const base = get('lenet-dnq');
  const s = base.splits;
  const steps = (order: string) =>
    (base.stepsByOrder[order] as { fraction: number; top1: number }[]).map((x) => `${x.fraction * 100} % → ${pct(x.top1)}`).join(', ');
  return [
    `LeNet-5 / MNIST (\`builtin:lenet5-mnist\`, float ${pct(base.baseline.top1)} on test, ${pct(base.val.baseline)} on val; ` +
      `${int(s.nTrain)} train / ${int(s.nVal)} val / ${int(s.nTest)} test, split seed ${s.splitSeed}, val seed ${s.valSeed}; ` +
      `DNQ episodes rewarded on ${base.search.evalSize} val images, seed ${base.search.evalSeed}; backend ${base.backend}):`,
    '',
    rows(['run', 'bits conv1/conv2/fc1/fc2/fc3', 'val top-1', 'test top-1', 'Δ test', 'compression', 'seed'], body),
    '',
    `DNQ's partition steps on its policy, val top-1 after each step's retraining: distance order ${steps('distance')}; ` +
      `magnitude order ${steps('magnitude')}.`,
  ].join('\n');
}

function trpTable(prefix: string, layerNames: string[]): string {
  const names = [...records.keys()].filter((k) => k.startsWith(prefix)).sort();
  if (names.length === 0) return `_No recorded runs (results/headline/${prefix}*.json)._`;
  const body = names.map((name) => {
    const r = get(name);
    const ranks = layerNames.map((l) => (r.ranks[l] === undefined ? 'whole' : String(r.ranks[l]))).join('/');
    return [
      String(r.seed),
      String(r.trp?.nuclear ?? '-'),
      `${pct(r.val.baseline)} / ${pct(r.val.decomposed)}`,
      pct(r.baseline.top1),
      pct(r.decomposed.top1),
      pp(r.decomposed.top1 - r.baseline.top1),
      pct(r.posthoc.top1),
      `${int(r.baseline.flops)} → ${int(r.decomposed.flops)}`,
      `${r.speedup.toFixed(2)}×`,
      ranks,
      `${r.wallSeconds.toFixed(0)} s`,
    ];
  });
  const any = get(names[0]);
  return [
    `${any.model} on ${any.data} (${int(any.splits.nTrain)} train / ${int(any.splits.nVal)} val / ${int(any.splits.nTest)} test; ` +
      `val figures on ${int(any.val.n)} val images, test on ${int(any.n)}; backend ${any.backend}):`,
    '',
    rows(['seed', 'λ', 'val: baseline / TRP', 'test baseline', 'test TRP (no fine-tune)', 'Δ test', 'post-hoc (same FLOPs)', 'FLOPs', 'speed-up', `ranks ${layerNames.join('/')}`, 'wall'], body),
  ].join('\n');
}

/** The newest `npm run bench -- --json` record in results/bench/: images/s per net and path, ratios to PyTorch. */
function benchTable(): string {
  const dir = join(root, 'results/bench');
  const newest = readdirSync(dir).filter((f) => /^\d{4}-.*\.json$/.test(f)).sort().at(-1);
  if (!newest) return '_No recorded bench run (results/bench/*.json)._';
  const b: Rec = JSON.parse(readFileSync(join(dir, newest), 'utf8'));
  const fmt = (x: number | undefined) => (x === undefined ? '—' : int(x));
  const gf = (x: number | undefined) => (x === undefined ? '' : ` (${x.toFixed(1)})`);
  const paths: [string, string][] = [['native', 'native'], ['wasm', 'wasm'], ['onnxruntime', 'ONNX Runtime'], ['torch', 'PyTorch']];
  const body: string[][] = [];
  for (const [net, byPath] of Object.entries(b.nets as Record<string, Record<string, Rec>>)) {
    for (const [key, label] of paths) {
      const r = byPath[key];
      if (!r) continue;
      const g = b.gflops?.[net]?.[key] ?? {};
      body.push([net, label, fmt(r.trainImgPerSec) + gf(g.train), fmt(r.inferImgPerSec) + gf(g.infer), fmt(r.trainImgPerCpuSec), fmt(r.inferImgPerCpuSec)]);
    }
    const q = b.ratios[net];
    body.push([net, '**best ÷ PyTorch**', `**${q.train.toFixed(2)}×**`, `**${q.infer.toFixed(2)}×**`, `${q.trainCpu.toFixed(2)}×`, `${q.inferCpu.toFixed(2)}×`]);
  }
  return [
    `\`${newest}\` (${b.date}; ${b.machine.cpus} × ${b.machine.model}, Node ${b.machine.node}, PyTorch ${b.torch}; batch ${b.batch}; medians). ` +
      'img/s wall-clock, in brackets GFLOP/s = img/s × 2 × the model\'s MACs:',
    '',
    rows(['net', 'path', 'train img/s (GFLOP/s)', 'infer img/s (GFLOP/s)', 'train img/CPU-s', 'infer img/CPU-s'], body),
  ].join('\n');
}

const tables: Record<string, () => string> = {
  bench: benchTable,
  'quant-lenet': quantTable,
  'trp-lenet': () => trpTable('trp-lenet-', ['conv1', 'conv2', 'fc1', 'fc2']),
  'trp-resnet8': () => trpTable('trp-resnet8-', ['s1b0_conv1', 's1b0_conv2', 's2b0_conv1', 's2b0_conv2', 's3b0_conv1', 's3b0_conv2']),
};

let stale = false;
for (const doc of ['src/engine/quant/NOTES.md', 'docs/lowrank-experiments.md', 'docs/bench.md']) {
  const file = join(root, doc);
  if (!existsSync(file)) continue;
  const text = readFileSync(file, 'utf8');
  const next = text.replace(/<!-- headline:([a-z0-9-]+) -->[\s\S]*?<!-- \/headline:\1 -->/g, (_m, name: string) => {
    const make = tables[name];
    if (!make) throw new Error(`${doc}: unknown headline table "${name}"`);
    return `<!-- headline:${name} -->\n${make()}\n<!-- /headline:${name} -->`;
  });
  if (next !== text) {
    stale = true;
    if (!values.check) writeFileSync(file, next);
  }
}
if (values.check && stale) {
  console.error('headline tables differ from results/headline: run node --import tsx scripts/experiments/headline.ts');
  process.exit(1);
}
