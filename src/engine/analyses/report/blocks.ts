/**
 * The marker blocks of the repo's prose docs — `<!-- headline:<table> -->` … `<!-- /headline:<table> -->` in
 * src/engine/quant/NOTES.md, docs/lowrank-experiments.md, docs/bench.md and docs/formats.md — filled from the runs kept under
 * results/headline/ (trimmed quantize / lowrank results) and results/bench/ (bench records). `layerlens report`
 * regenerates them beside docs/results/ and `--check` fails when one is stale: one generator for every table.
 * A block `<!-- headline:report-<table> -->` holds that table of the report (docs/results/<table>.md) itself.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import type { ReportResult } from '../../../shared/api-report';
import { UserError } from '../../core/errors';
import { tableLines } from './markdown';

/** the docs (relative to the repo root) whose marker blocks this fills */
const BLOCK_DOCS = ['src/engine/quant/NOTES.md', 'docs/lowrank-experiments.md', 'docs/bench.md', 'docs/formats.md'];

type Rec = Record<string, any>;
type Get = (name: string) => Rec;

function readJson(file: string): Rec {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Rec;
  } catch (e) {
    throw new UserError(e instanceof SyntaxError ? `not valid JSON (${e.message})` : `cannot read (${(e as Error).message})`, file);
  }
}

const pct = (x: number) => `${(x * 100).toFixed(2)} %`;
const pp = (x: number) => `${x <= 0 ? '−' : '+'}${Math.abs(x * 100).toFixed(2)} pp`;
const int = (x: number) => Math.round(x).toLocaleString('en-US');
const rows = (head: string[], body: string[][]) =>
  [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...body.map((r) => `| ${r.join(' | ')} |`)].join('\n');

function quantTable(get: Get): string {
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

function trpTable(records: Map<string, Rec>, get: Get, prefix: string, layerNames: string[]): string {
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
function benchTable(dir: string): string {
  const newest = (existsSync(dir) ? readdirSync(dir) : []).filter((f) => /^\d{4}-.*\.json$/.test(f)).sort().at(-1);
  if (!newest) return '_No recorded bench run (results/bench/*.json)._';
  const b: Rec = readJson(join(dir, newest));
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

/** The newest before/after workload record in results/bench/ (`workloads-<date>.json`): wall time per path. */
function workloadsTable(dir: string): string {
  const newest = (existsSync(dir) ? readdirSync(dir) : []).filter((f) => /^workloads-.*\.json$/.test(f)).sort().at(-1);
  if (!newest) return '_No recorded workload run (results/bench/workloads-*.json)._';
  const w: Rec = readJson(join(dir, newest));
  const figure = (k: string, v: number) => (/top1/i.test(k) ? pct(v) : /ratio/i.test(k) ? `${v.toFixed(2)}×` : String(v));
  const body: string[][] = [];
  for (const [name, byPath] of Object.entries(w.workloads as Record<string, Rec>)) {
    const paths = Object.entries(byPath).filter(([k]) => k !== 'command') as [string, Rec][];
    const first = paths[0]?.[1].wallSeconds as number | undefined;
    for (const [path, r] of paths) {
      const figures = Object.entries(r).filter(([k]) => k !== 'wallSeconds').map(([k, v]) => `${k} ${figure(k, v as number)}`).join(', ');
      const speed = first && r.wallSeconds !== first ? ` (${(first / r.wallSeconds).toFixed(1)}× the first)` : '';
      body.push([name, path, `${(r.wallSeconds as number).toFixed(0)} s${speed}`, figures]);
    }
    body.push([name, 'command', `\`${String(byPath.command)}\``, '']);
  }
  return [`\`${newest}\` (${w.date}; ${w.machine}):`, '', rows(['workload', 'path', 'wall', 'figures'], body)].join('\n');
}

/** table name → its markdown, from the records folder's headline/ and bench/ runs */
function blockTables(recordsDir: string): Record<string, () => string> {
  const headlineDir = join(recordsDir, 'headline');
  const records = new Map<string, Rec>();
  if (existsSync(headlineDir)) {
    for (const f of readdirSync(headlineDir).filter((f) => f.endsWith('.json')).sort()) records.set(f.replace(/\.json$/, ''), readJson(join(headlineDir, f)));
  }
  const get: Get = (name) => {
    const r = records.get(name);
    if (!r) throw new UserError('is missing (a marker block needs it)', join(headlineDir, `${name}.json`));
    return r;
  };
  return {
    bench: () => benchTable(join(recordsDir, 'bench')),
    workloads: () => workloadsTable(join(recordsDir, 'bench')),
    'quant-lenet': () => quantTable(get),
    'trp-lenet': () => trpTable(records, get, 'trp-lenet-', ['conv1', 'conv2', 'fc1', 'fc2']),
    'trp-resnet8': () => trpTable(records, get, 'trp-resnet8-', ['s1b0_conv1', 's1b0_conv2', 's2b0_conv1', 's2b0_conv2', 's3b0_conv1', 's3b0_conv2']),
  };
}

/**
 * Rewrite the marker blocks of the docs under `repoRoot` from `recordsDir` (docs that do not exist are passed
 * over); with check, write nothing. Returns the docs that changed (or would), relative to the repo root.
 */
export function writeBlocks(repoRoot: string, recordsDir: string, report: ReportResult, opts: { check?: boolean } = {}): string[] {
  const tables = blockTables(recordsDir);
  const changed: string[] = [];
  for (const doc of BLOCK_DOCS) {
    const file = join(repoRoot, doc);
    if (!existsSync(file)) continue;
    const text = readFileSync(file, 'utf8');
    const next = text.replace(/<!-- headline:([a-z0-9-]+) -->[\s\S]*?<!-- \/headline:\1 -->/g, (_m, name: string) => {
      const fromReport = name.startsWith('report-') ? report.tables.find((t) => t.name === name.slice('report-'.length)) : undefined;
      const link = (record: string) => relative(dirname(file), join(report.recordsDir, `${record}.json`)).split(sep).join('/');
      const make = fromReport ? () => tableLines(fromReport, link).join('\n') : tables[name];
      if (!make) throw new UserError(`unknown marker block "headline:${name}" (known: ${Object.keys(tables).join(', ')}, report-<table>)`, file);
      return `<!-- headline:${name} -->\n${make()}\n<!-- /headline:${name} -->`;
    });
    if (next === text) continue;
    changed.push(relative(repoRoot, file).split(sep).join('/'));
    if (!opts.check) writeFileSync(file, next);
  }
  return changed;
}
