// Bounded, seeded fuzzing of every file format LayerLens opens (outside `npm test`):
//   node --import tsx scripts/fuzz.ts [--cases N] [--seed S] [--timeout MS] [--workers W] [--keep DIR] [--only I] [--from I]
// Valid files of each format (tests/bad-input/corpus.ts builds them) are mutated: bit flips, truncation, byte
// insertion and overwrites, JSON field mutations (types, shapes, dtypes, offsets) and ONNX protobuf field
// mutations. Each case is opened in a worker process through the code path the CLI uses (inspect's run for
// models, the dataset loader for image folders) under a per-case timeout, and classified as
//   ok | user-error (one line naming the file) | bad-message (a UserError that is multi-line or names no file)
//   | crash (any other exception — the CLI's "internal error" — or the worker died) | hang (timeout).
// Prints a table per format and class; exits 1 if any case crashed or hung. Case i draws its mutation from
// seed·1_000_003 + i alone, so `--only i` replays one case (`--from i --cases n --workers 1` a run of them in one
// worker, for damage that only shows after earlier cases).
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { makeRng } from '../src/engine/core/random';

const FORMATS = ['tfjs-layers', 'tfjs-graph', 'onnx', 'packed', 'dataset'] as const;
type Format = (typeof FORMATS)[number];
const CLASSES = ['ok', 'user-error', 'bad-message', 'crash', 'hang'] as const;
type Klass = (typeof CLASSES)[number];

interface Job {
  id: number;
  format: Format;
  /** what the worker opens: a model path or a dataset folder */
  target: string;
  /** the folder every file of the case lives in: a good message names a path inside it */
  dir: string;
}
interface Outcome {
  id: number;
  klass: Klass;
  message: string;
}

// ---------------------------------------------------------------- worker: open one target, report the class
async function worker(): Promise<void> {
  const { UserError } = await import('../src/engine/core/errors');
  const { run: inspect } = await import('../src/engine/analyses/inspect');
  const { loadDataset } = await import('../src/engine/data');
  const { plainContext } = await import('../src/engine/core/context');
  const { initBackend } = await import('../src/engine/backend');
  // the backend's notice about a missing native addon is not part of any case
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((s: string | Uint8Array) => (/^LayerLens: no native backend/.test(String(s)) ? true : write(s))) as typeof process.stderr.write;
  await initBackend();
  let current = -1;
  // anything that escapes the awaited promise (a late rejection inside a library) is a crash of that case
  const escaped = (e: unknown) => {
    process.send!({ id: current, klass: 'crash', message: `unhandled: ${String(e instanceof Error ? e.message : e).split('\n')[0]}` } satisfies Outcome);
    process.exit(70);
  };
  process.on('unhandledRejection', escaped);
  process.on('uncaughtException', escaped);
  process.on('message', async (job: Job) => {
    current = job.id;
    let out: Outcome;
    try {
      if (job.format === 'dataset') await loadDataset(job.target);
      else await inspect({ model: job.target }, plainContext());
      out = { id: job.id, klass: 'ok', message: '' };
    } catch (e) {
      const msg = String(e instanceof Error ? e.message : e);
      if (e instanceof UserError) out = { id: job.id, klass: !msg.includes('\n') && msg.includes(job.dir) ? 'user-error' : 'bad-message', message: msg };
      else out = { id: job.id, klass: 'crash', message: `${e instanceof Error ? e.name : typeof e}: ${msg.split('\n')[0]}` };
    }
    process.send!(out);
  });
  process.send!({ ready: true });
}

// ---------------------------------------------------------------- mutations
type Rng = () => number;
const int = (rng: Rng, n: number) => Math.floor(rng() * n);
const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[int(rng, xs.length)];

/** Byte-level damage: the kinds a disk, a download or a careless tool does. */
function mutateBytes(rng: Rng, src: Uint8Array): { bytes: Uint8Array; how: string } {
  const b = Buffer.from(src);
  const kind = int(rng, 6);
  if (kind === 0 || b.length === 0) {
    const n = 1 + int(rng, 8);
    for (let i = 0; i < n && b.length; i++) b[int(rng, b.length)] ^= 1 << int(rng, 8);
    return { bytes: b, how: `flip ${n} bits` };
  }
  if (kind === 1) {
    const at = int(rng, b.length);
    return { bytes: b.subarray(0, at), how: `truncate to ${at}` };
  }
  if (kind === 2) {
    const at = int(rng, b.length + 1);
    const ins = Buffer.from(Array.from({ length: 1 + int(rng, 16) }, () => int(rng, 256)));
    return { bytes: Buffer.concat([b.subarray(0, at), ins, b.subarray(at)]), how: `insert ${ins.length} bytes at ${at}` };
  }
  if (kind === 3) {
    const at = int(rng, b.length);
    const n = Math.min(b.length - at, 1 + int(rng, 64));
    const v = pick(rng, [0x00, 0xff, -1]);
    for (let i = at; i < at + n; i++) b[i] = v < 0 ? int(rng, 256) : v;
    return { bytes: b, how: `overwrite ${n} bytes at ${at}` };
  }
  if (kind === 4) {
    const at = int(rng, b.length);
    const n = Math.min(b.length - at, 1 + int(rng, 256));
    return { bytes: Buffer.concat([b.subarray(0, at + n), b.subarray(at, at + n), b.subarray(at + n)]), how: `duplicate ${n} bytes at ${at}` };
  }
  const at = int(rng, b.length);
  const n = Math.min(b.length - at, 1 + int(rng, 256));
  return { bytes: Buffer.concat([b.subarray(0, at), b.subarray(at + n)]), how: `delete ${n} bytes at ${at}` };
}

type JsonV = null | boolean | number | string | JsonV[] | { [k: string]: JsonV };
/** Every path into a JSON value (arrays of numbers count once, as a shape-like leaf). */
function paths(v: JsonV, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(at);
  if (Array.isArray(v)) {
    if (!v.every((x) => typeof x === 'number')) v.forEach((x, i) => paths(x, [...at, i], out));
  } else if (v && typeof v === 'object') for (const k of Object.keys(v)) paths(v[k], [...at, k], out);
  return out;
}
const DTYPES = ['float32', 'float16', 'int32', 'int8', 'uint8', 'uint16', 'bool', 'string', 'complex64', 'float64', '', 'DT_FLOAT', 'DT_INT32'];
const ODD: JsonV[] = [null, true, false, 0, -1, 1.5, 2 ** 31, 2 ** 53 + 2, -(2 ** 31), 1e300, 'NaN', '', 'x'.repeat(1000), [], {}, [[]], [2 ** 31, 2 ** 31], [-1], [0]];

/** JSON field damage: a value of another type, a shape that lies, a dtype, an offset, a deleted key. */
function mutateJson(rng: Rng, root: JsonV, prefer?: RegExp): string {
  const all = paths(root).filter((p) => p.length > 0);
  const wanted = prefer ? all.filter((p) => prefer.test(String(p[p.length - 1]))) : [];
  const p = wanted.length && rng() < 0.6 ? pick(rng, wanted) : pick(rng, all);
  let parent = root as Record<string | number, JsonV>;
  for (const k of p.slice(0, -1)) parent = parent[k] as Record<string | number, JsonV>;
  const key = p[p.length - 1];
  const old = parent[key];
  const r = int(rng, 6);
  if (Array.isArray(old) && old.every((x) => typeof x === 'number') && r < 4) {
    const a = [...(old as number[])];
    if (r === 0 && a.length) a[int(rng, a.length)] = pick(rng, [0, 1, -1, 2 ** 31, 2 ** 32 + 1, 7, 1e9, a[0] + 1]);
    else if (r === 1) a.splice(int(rng, a.length + 1), 0, pick(rng, [1, 2, 2 ** 31]));
    else if (r === 2 && a.length) a.splice(int(rng, a.length), 1);
    else a.reverse();
    parent[key] = a;
    return `${p.join('.')}: [${old}] → [${a}]`;
  }
  if (typeof old === 'string' && /dtype/i.test(String(key)) && r < 4) {
    parent[key] = pick(rng, DTYPES);
    return `${p.join('.')}: ${old} → ${parent[key]}`;
  }
  if (r === 4 && !Array.isArray(parent)) {
    delete parent[key];
    return `${p.join('.')}: deleted`;
  }
  parent[key] = pick(rng, ODD);
  return `${p.join('.')}: → ${JSON.stringify(parent[key]).slice(0, 40)}`;
}

// ---------------------------------------------------------------- case generation
interface Bases {
  layersJson: string;
  layersBin: Buffer;
  graphDir: string;
  onnx: Uint8Array[];
  packed: { header: JsonV; payload: Buffer };
  packedBytes: (header: unknown, payload: Uint8Array, text?: string) => Buffer;
  folder: string;
  images: { png: Buffer; jpg: Buffer };
  decodeOnnx: (b: Uint8Array) => Record<string, unknown>;
  encodeOnnx: (m: Record<string, unknown>) => Uint8Array;
}

/** ONNX protobuf field damage: dims, data types, raw data length, node wiring, op types, attributes. */
function mutateOnnx(rng: Rng, m: Record<string, any>): string {
  const g = m.graph;
  const inits = g.initializer as Record<string, any>[];
  const nodes = g.node as Record<string, any>[];
  const r = int(rng, 8);
  if (r === 0) {
    const t = pick(rng, inits);
    const d = [...t.dims];
    d[int(rng, Math.max(1, d.length))] = pick(rng, [0, 1, 2 ** 31, -1, 1e6]);
    t.dims = d;
    return `initializer ${t.name} dims → [${d}]`;
  }
  if (r === 1) {
    const t = pick(rng, inits);
    t.dataType = pick(rng, [0, 2, 3, 6, 7, 8, 9, 10, 11, 16, 21, 22, 999]);
    return `initializer ${t.name} dataType → ${t.dataType}`;
  }
  if (r === 2) {
    const t = pick(rng, inits);
    const raw = t.rawData as Uint8Array;
    t.rawData = raw.subarray(0, int(rng, raw.length));
    return `initializer ${t.name} rawData cut to ${t.rawData.length}`;
  }
  if (r === 3) {
    const n = pick(rng, nodes);
    const i = int(rng, Math.max(1, n.input.length));
    const src = pick(rng, [...nodes.flatMap((x) => x.output as string[]), 'nosuch', '']);
    n.input[i] = src;
    return `node ${n.name} input ${i} → ${src}`;
  }
  if (r === 4) {
    const n = pick(rng, nodes);
    const op = pick(rng, ['Conv', 'Gemm', 'Relu', 'Add', 'Reshape', 'MatMul', 'Softmax', 'Flatten', 'Loop', 'If', 'Frobnicate', '']);
    const was = n.opType;
    n.opType = op;
    return `node ${n.name} op ${was} → ${op}`;
  }
  if (r === 5) {
    const n = pick(rng, nodes.filter((x) => (x.attribute ?? []).length) as Record<string, any>[]);
    if (!n) return 'no attribute to change';
    const a = pick(rng, n.attribute as Record<string, any>[]);
    if (a.ints?.length) a.ints = a.ints.map(() => pick(rng, [0, -1, 2 ** 31, 1, 3]));
    else if (a.i !== undefined) a.i = pick(rng, [0, -1, 2 ** 31, 5]);
    else if (a.f !== undefined) a.f = pick(rng, [NaN, Infinity, -1, 0]);
    return `node ${n.name} attribute ${a.name} changed`;
  }
  if (r === 6) {
    const inp = g.input[0];
    const dims = inp.type?.tensorType?.shape?.dim ?? [];
    if (dims.length) dims[int(rng, dims.length)] = pick(rng, [{ dimValue: 0 }, { dimValue: 2 ** 31 }, { dimValue: -3 }, { dimParam: 'n' }, { dimValue: 100000 }]);
    return `input dims changed`;
  }
  const t = pick(rng, inits);
  if (t.dataType === 1 && t.rawData?.length >= 4) {
    const raw = Buffer.from(t.rawData);
    raw.writeFloatLE(pick(rng, [NaN, Infinity, -Infinity, 3e38]), 4 * int(rng, raw.length >> 2));
    t.rawData = raw;
    return `initializer ${t.name} gets a non-finite value`;
  }
  return 'no change';
}

function makeCase(id: number, seed: number, root: string, b: Bases): Job & { how: string } {
  const rng = makeRng(seed * 1_000_003 + id);
  const format = FORMATS[id % FORMATS.length];
  const dir = join(root, `case-${id}`);
  mkdirSync(dir, { recursive: true });
  let how: string;
  if (format === 'tfjs-layers' || format === 'tfjs-graph') {
    const json = format === 'tfjs-layers' ? b.layersJson : readFileSync(join(b.graphDir, 'model.json'), 'utf8');
    const bin = format === 'tfjs-layers' ? b.layersBin : readFileSync(join(b.graphDir, 'weights.bin'));
    let j = json;
    let w: Uint8Array = bin;
    const r = rng();
    if (r < 0.55) {
      const v = JSON.parse(json) as JsonV;
      how = `model.json ${mutateJson(rng, v, /shape|dtype|paths|size|name|input|op|class_name|inbound_nodes|quantization|scale|min/)}`;
      j = JSON.stringify(v);
    } else if (r < 0.7) {
      const m = mutateBytes(rng, Buffer.from(json));
      how = `model.json bytes: ${m.how}`;
      j = Buffer.from(m.bytes).toString('latin1');
    } else {
      const m = mutateBytes(rng, bin);
      how = `weights.bin: ${m.how}`;
      w = m.bytes;
    }
    writeFileSync(join(dir, 'model.json'), j, 'latin1');
    writeFileSync(join(dir, 'weights.bin'), w);
    return { id, format, target: join(dir, 'model.json'), dir, how };
  }
  if (format === 'onnx') {
    const base = pick(rng, b.onnx);
    let bytes: Uint8Array;
    if (rng() < 0.5) {
      const m = mutateBytes(rng, base);
      bytes = m.bytes;
      how = m.how;
    } else {
      const m = b.decodeOnnx(base);
      how = mutateOnnx(rng, m);
      bytes = b.encodeOnnx(m);
    }
    writeFileSync(join(dir, 'model.onnx'), bytes);
    return { id, format, target: join(dir, 'model.onnx'), dir, how };
  }
  if (format === 'packed') {
    let bytes: Uint8Array;
    const r = rng();
    if (r < 0.3) {
      const m = mutateBytes(rng, b.packedBytes(b.packed.header, b.packed.payload));
      bytes = m.bytes;
      how = m.how;
    } else if (r < 0.8) {
      // header fields, CRC recomputed so the damage reaches the reader's field checks
      const h = structuredClone(b.packed.header);
      how = `header ${mutateJson(rng, h, /shape|data|scales|zeroPoints|codebook|bits|codeOffset|kind|levels|channels|name|weightOrder|class_name/)}`;
      bytes = b.packedBytes(h, b.packed.payload);
    } else {
      const m = mutateBytes(rng, b.packed.payload);
      how = `payload (CRC recomputed): ${m.how}`;
      bytes = b.packedBytes(b.packed.header, m.bytes);
    }
    writeFileSync(join(dir, 'model.llpk'), bytes);
    return { id, format, target: join(dir, 'model.llpk'), dir, how };
  }
  // dataset: a copy of the two-class folder with one PNG or JPEG damaged
  cpSync(b.folder, dir, { recursive: true });
  const png = rng() < 0.5;
  const m = mutateBytes(rng, png ? b.images.png : b.images.jpg);
  const file = join(dir, 'b', png ? 'x.png' : 'x.jpg');
  writeFileSync(file, m.bytes);
  return { id, format, target: dir, dir, how: `${png ? 'PNG' : 'JPEG'}: ${m.how}` };
}

// ---------------------------------------------------------------- parent: generate, dispatch, classify
class Worker {
  proc!: ChildProcess;
  ready!: Promise<void>;
  done = 0;
  constructor(private readonly script: string) {
    this.spawn();
  }
  spawn(): void {
    this.proc = fork(this.script, ['--worker'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    this.proc.stderr!.resume(); // what a case prints is not the classification; keep the pipe drained
    this.done = 0;
    this.ready = new Promise((r) => this.proc.once('message', () => r()));
  }
  kill(): void {
    this.proc.kill('SIGKILL');
  }
  async run(job: Job, timeoutMs: number): Promise<Outcome> {
    await this.ready;
    const p = this.proc;
    const out = await new Promise<Outcome>((resolveOut) => {
      const timer = setTimeout(() => finish({ id: job.id, klass: 'hang', message: `no answer in ${timeoutMs} ms` }), timeoutMs);
      const onMsg = (m: Outcome) => m.id === job.id && finish(m);
      const onExit = (code: number | null, signal: string | null) => finish({ id: job.id, klass: 'crash', message: `worker died (exit ${code}, signal ${signal})` });
      function finish(o: Outcome) {
        clearTimeout(timer);
        p.off('message', onMsg);
        p.off('exit', onExit);
        resolveOut(o);
      }
      p.on('message', onMsg);
      p.on('exit', onExit);
      p.send(job);
    });
    this.done++;
    // a hung or dead worker is replaced; a long-lived one is recycled so leaks from one case cannot sink later ones
    if (out.klass === 'hang' || out.klass === 'crash' || p.exitCode !== null || this.done >= 150) {
      if (p.exitCode === null) this.kill();
      this.spawn();
    }
    return out;
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      cases: { type: 'string', default: '1000' },
      seed: { type: 'string', default: '1' },
      timeout: { type: 'string', default: '30000' },
      workers: { type: 'string', default: '2' },
      keep: { type: 'string' },
      only: { type: 'string' },
      from: { type: 'string', default: '0' },
      json: { type: 'boolean', default: false },
    },
  });
  const n = Number(values.cases);
  const seed = Number(values.seed);
  const timeoutMs = Number(values.timeout);
  const nWorkers = Math.max(1, Number(values.workers));
  if (!(Number.isInteger(n) && n > 0 && Number.isInteger(seed) && timeoutMs > 0)) {
    process.stderr.write('fuzz: --cases and --seed must be integers, --timeout a positive number of ms\n');
    return 2;
  }
  const corpus = await import('../tests/bad-input/corpus');
  const { torchStyleCnn, tf2onnxStyle } = await import('../tests/engine/formats/onnx-fixtures');
  const { writeGraphModel } = await import('../tests/engine/formats/fixtures');
  const { decodeModel, encodeModel } = await import('../src/engine/formats/onnx');
  const root = mkdtempSync(join(tmpdir(), 'll-fuzz-'));
  const lenet = resolve(fileURLToPath(import.meta.url), '../../resources/models/lenet5-mnist');
  const folder = join(root, 'folder');
  for (const c of ['a', 'b']) {
    mkdirSync(join(folder, c), { recursive: true });
    writeFileSync(join(folder, c, 'i0.png'), corpus.grayPng(28, 1));
    writeFileSync(join(folder, c, 'i1.jpg'), corpus.grayJpeg(28, 2));
  }
  const bases: Bases = {
    layersJson: readFileSync(join(lenet, 'model.json'), 'utf8'),
    layersBin: readFileSync(join(lenet, 'weights.bin')),
    graphDir: join(root, 'graph'),
    onnx: [torchStyleCnn(), tf2onnxStyle()],
    packed: corpus.lenetPacked() as unknown as Bases['packed'],
    packedBytes: corpus.packedBytes,
    folder,
    images: { png: corpus.grayPng(28, 3), jpg: corpus.grayJpeg(28, 4) },
    decodeOnnx: (b) => decodeModel(b, 'fuzz base') as unknown as Record<string, unknown>,
    encodeOnnx: (m) => encodeModel(m),
  };
  writeGraphModel(bases.graphDir);

  const from = Number(values.from);
  const ids = values.only !== undefined ? [Number(values.only)] : Array.from({ length: n }, (_, i) => from + i);
  const counts = new Map<Format, Map<Klass, number>>(FORMATS.map((f) => [f, new Map(CLASSES.map((k) => [k, 0]))]));
  const notable: (Outcome & { format: Format; how: string })[] = [];
  const script = fileURLToPath(import.meta.url);
  const workers = Array.from({ length: Math.min(nWorkers, ids.length) }, () => new Worker(script));
  const t0 = Date.now();
  let next = 0;
  let finished = 0;
  await Promise.all(
    workers.map(async (w) => {
      while (next < ids.length) {
        const id = ids[next++];
        const job = makeCase(id, seed, root, bases);
        const o = await w.run(job, timeoutMs);
        counts.get(job.format)!.set(o.klass, counts.get(job.format)!.get(o.klass)! + 1);
        if (o.klass !== 'ok' && o.klass !== 'user-error') {
          notable.push({ ...o, format: job.format, how: job.how });
          if (values.keep) cpSync(job.dir, join(resolve(values.keep), `case-${id}`), { recursive: true });
        }
        if (++finished % 100 === 0) process.stderr.write(`fuzz: ${finished}/${ids.length} cases, ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
        rmSync(job.dir, { recursive: true, force: true });
      }
    }),
  );
  for (const w of workers) w.kill();
  rmSync(root, { recursive: true, force: true });

  const seconds = (Date.now() - t0) / 1000;
  const total = (k: Klass) => FORMATS.reduce((a, f) => a + counts.get(f)!.get(k)!, 0);
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ seed, cases: ids.length, seconds, counts: Object.fromEntries([...counts].map(([f, m]) => [f, Object.fromEntries(m)])), notable })}\n`);
  } else {
    const pad = (s: string | number, w: number) => String(s).padStart(w);
    const lines = [`seed ${seed}, ${ids.length} cases, per-case timeout ${timeoutMs} ms, ${nWorkers} workers, ${seconds.toFixed(0)} s`, '', `${'format'.padEnd(12)}${CLASSES.map((k) => pad(k, 12)).join('')}${pad('total', 8)}`];
    for (const f of FORMATS) {
      const m = counts.get(f)!;
      lines.push(`${f.padEnd(12)}${CLASSES.map((k) => pad(m.get(k)!, 12)).join('')}${pad([...m.values()].reduce((a, b) => a + b, 0), 8)}`);
    }
    lines.push(`${'all'.padEnd(12)}${CLASSES.map((k) => pad(total(k), 12)).join('')}${pad(ids.length, 8)}`);
    for (const o of notable.sort((a, b) => a.id - b.id).slice(0, 40)) lines.push(`  case ${o.id} (${o.format}; ${o.how}): ${o.klass}: ${o.message.replace(/\s+/g, ' ').slice(0, 200)}`);
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  return total('crash') + total('hang') > 0 ? 1 : 0;
}

if (process.argv.includes('--worker')) await worker();
else process.exitCode = await main();
