// Export = write a target from the plan, reload it with the runtime that would consume it, and compare it with
// the simulated model: per-layer max-abs weight error, output agreement and top-1 on the evaluation split,
// plus the bytes really written (per layer, in total, gzipped).
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tf from '../backend/tf';
import { backendName, initBackend } from '../backend';
import type { RunContext } from '../core/context';
import { plainContext, throwIfCancelled } from '../core/context';
import { UserError } from '../core/errors';
import { makeRng } from '../core/random';
import { loadDataset } from '../data';
import { loadModel, type LoadedModel } from '../models/io';
import { buildPlan, readPolicy, type ExportPlan, type ParsedPolicy } from './plan';
import { writeTfjsExport, type TfjsDtype } from '../formats/tfjs-export';
import { exportOnnx } from '../formats/onnx-export';
import { constantValues, encodeModel, readOnnxFile, tensorPayloadBytes } from '../formats/onnx';
import { aimetEncodings, applyEncoding, readAimetEncodings } from '../formats/aimet';
import { packedModel, writePacked } from '../formats/packed';
import { readLayersModel } from '../formats/tfjs-layers';
import { ortSession, ortPredict } from './ort';
import type { ExportConfig, ExportFormat, ExportLayerReport, ExportReport, ExportResult, ExportVerify } from '../../shared/api-export';

const VERSION = '0.1.0';

/** The evaluation inputs and the simulated model's outputs on them, computed once for every target. */
export interface EvalSet {
  x: Float32Array;
  y: Uint8Array | null;
  n: number;
  shape: number[];
  data: string;
  simulated: Float32Array;
  classes: number;
}

export interface ExportSession {
  source: LoadedModel;
  plan: ExportPlan;
  policyPath: string | null;
  evalSet: EvalSet;
  dispose(): void;
}

const gz = (b: Uint8Array) => gzipSync(b, { level: 9 }).byteLength;
const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.byteLength, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
};

/** Runs a predictor over the eval inputs in batches; returns all outputs, row-major [n, classes]. */
async function predictAll(x: Float32Array, n: number, shape: number[], predict: (xb: Float32Array, b: number) => Promise<Float32Array>, ctx?: RunContext): Promise<Float32Array> {
  const per = shape.reduce((a, b) => a * b, 1);
  const outs: Float32Array[] = [];
  for (let s = 0; s < n; s += 256) {
    if (ctx) throwIfCancelled(ctx);
    const e = Math.min(n, s + 256);
    outs.push(await predict(x.subarray(s * per, e * per), e - s));
  }
  const all = new Float32Array(outs.reduce((a, o) => a + o.length, 0));
  let o = 0;
  for (const p of outs) {
    all.set(p, o);
    o += p.length;
  }
  return all;
}

export function tfPredictor(model: tf.LayersModel, shape: number[]): (xb: Float32Array, b: number) => Promise<Float32Array> {
  return async (xb, b) => {
    const y = tf.tidy(() => {
      const out = model.predict(tf.tensor(xb, [b, ...shape])) as tf.Tensor;
      return out.reshape([b, -1]);
    });
    const d = (await y.data()) as Float32Array;
    y.dispose();
    return d;
  };
}

const argmax = (v: Float32Array, row: number, k: number) => {
  let best = 0;
  for (let j = 1; j < k; j++) if (v[row * k + j] > v[row * k + best]) best = j;
  return best;
};

export function compareOutputs(ev: EvalSet, reloaded: Float32Array): Pick<ExportVerify, 'top1Simulated' | 'top1Reloaded' | 'agreement' | 'maxOutputDiff'> {
  const k = ev.classes;
  let agree = 0;
  let hitS = 0;
  let hitR = 0;
  let maxDiff = 0;
  for (let i = 0; i < ev.n; i++) {
    const a = argmax(ev.simulated, i, k);
    const b = argmax(reloaded, i, k);
    if (a === b) agree++;
    if (ev.y) {
      if (a === ev.y[i]) hitS++;
      if (b === ev.y[i]) hitR++;
    }
    for (let j = 0; j < k; j++) maxDiff = Math.max(maxDiff, Math.abs(ev.simulated[i * k + j] - reloaded[i * k + j]));
  }
  return {
    top1Simulated: ev.y ? hitS / ev.n : null,
    top1Reloaded: ev.y ? hitR / ev.n : null,
    agreement: ev.n ? agree / ev.n : 1,
    maxOutputDiff: maxDiff,
  };
}

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

function trainedOn(meta: Record<string, unknown> | undefined): string | undefined {
  const ll = meta?.layerlens as { train?: { data?: unknown }; data?: unknown } | undefined;
  const d = ll?.train?.data ?? ll?.data;
  return typeof d === 'string' ? d : undefined;
}

/** Loads the model, builds the plan, evaluates the simulated model once. */
export async function openSession(cfg: { model: string; policy?: string | ParsedPolicy; data?: string; limit?: number }, ctx: RunContext = plainContext()): Promise<ExportSession> {
  await initBackend();
  ctx.progress({ fraction: 0, stage: 'loading model' });
  const source = await loadModel(cfg.model);
  try {
    const policy = typeof cfg.policy === 'string' ? readPolicy(cfg.policy) : cfg.policy;
    ctx.progress({ fraction: 0.03, stage: 'quantizing under the policy' });
    const plan = await buildPlan(source, policy);
    const shape = source.inputShape.slice(1);
    if (shape.some((d) => d === null)) throw new UserError('export needs a model with a fixed input size', source.path ?? source.ref);
    const ishape = shape as number[];
    // the dataset to verify on: asked for, else the one the model was trained on, else the policy's
    const fromPolicy = typeof policy?.provenance?.data === 'string' ? policy.provenance.data : undefined;
    const dataRef = cfg.data ?? trainedOn(source.metadata) ?? fromPolicy;
    let x: Float32Array;
    let y: Uint8Array | null = null;
    let n: number;
    if (dataRef) {
      ctx.progress({ fraction: 0.05, stage: 'loading data' });
      const ds = await loadDataset(dataRef);
      if (ds.shape.join('x') !== ishape.join('x')) throw new UserError(`model expects input ${ishape.join('×')} but dataset ${dataRef} gives ${ds.shape.join('×')}`);
      n = Math.min(ds.test.n, cfg.limit ?? ds.test.n);
      const per = ishape.reduce((a, b) => a * b, 1);
      x = ds.test.x.subarray(0, n * per);
      y = ds.test.y.subarray(0, n);
    } else {
      // no labelled data known: agreement on seeded random inputs still checks the written file
      n = Math.min(cfg.limit ?? 64, 256);
      const rng = makeRng(7);
      x = Float32Array.from({ length: n * ishape.reduce((a, b) => a * b, 1) }, () => rng());
    }
    ctx.progress({ fraction: 0.08, stage: 'evaluating the simulated model' });
    const simulated = await predictAll(x, n, ishape, tfPredictor(plan.model, ishape), ctx);
    const classes = n ? simulated.length / n : 1;
    return {
      source,
      plan,
      policyPath: typeof cfg.policy === 'string' ? resolve(cfg.policy) : null,
      evalSet: { x, y, n, shape: ishape, data: dataRef ?? 'random', simulated, classes },
      dispose: () => {
        plan.dispose();
        source.dispose();
      },
    };
  } catch (e) {
    source.dispose();
    throw e;
  }
}

function metadataFor(s: ExportSession, format: ExportFormat, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    layerlens: {
      export: { format, tool: `layerlens ${VERSION}`, source: s.source.ref, createdAt: new Date().toISOString(), ...extra },
      policy: s.plan.policy ?? null,
      provenance: s.plan.policy?.provenance ?? null,
      source: s.source.metadata?.layerlens ?? null,
    },
  };
}

interface Partial {
  files: string[];
  bytes: Map<string, number>;
  data: Map<string, Uint8Array[]>;
  storage: Map<string, string>;
  flags: Map<string, string[]>;
  errors: Map<string, number>;
  reloaded: Float32Array;
  runtime: string;
}

async function writeTfjs(s: ExportSession, dir: string, dtype: TfjsDtype, ctx: RunContext): Promise<Partial> {
  const r = await writeTfjsExport(s.plan, dir, dtype, metadataFor(s, 'tfjs', { tfjsDtype: dtype }));
  ctx.progress({ fraction: 0.5, stage: 'reloading with tf.loadLayersModel' });
  const { model } = await readLayersModel(join(dir, 'model.json'));
  try {
    const errors = new Map<string, number>();
    const got = new Map(model.weights.map((w) => [w.originalName, w.read().dataSync() as Float32Array]));
    for (const l of s.plan.layers) errors.set(l.name, Math.max(0, ...l.weights.map((w) => maxAbs(w.values, got.get(w.name) ?? []))));
    const reloaded = await predictAll(s.evalSet.x, s.evalSet.n, s.evalSet.shape, tfPredictor(model, s.evalSet.shape), ctx);
    const bytes = new Map<string, number>();
    const data = new Map<string, Uint8Array[]>();
    for (const w of r.weights) {
      bytes.set(w.layer, (bytes.get(w.layer) ?? 0) + w.bytes);
      data.set(w.layer, [...(data.get(w.layer) ?? []), w.data]);
    }
    return { files: r.files, bytes, data, storage: r.storage, flags: r.flags, errors, reloaded, runtime: 'tf.loadLayersModel' };
  } finally {
    model.dispose();
  }
}

async function writeOnnxTarget(s: ExportSession, dir: string, format: 'onnx' | 'aimet', ctx: RunContext): Promise<Partial> {
  const mode = format === 'onnx' ? 'qdq' : 'float';
  const meta = metadataFor(s, format);
  const ex = exportOnnx(s.plan.model, s.plan.layers, mode, { 'layerlens.metadata': JSON.stringify(meta) });
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'model.onnx');
  writeFileSync(file, encodeModel(ex.model));
  const files = [file];
  const flags = ex.flags;
  const flag = (l: string, f: string) => flags.set(l, [...(flags.get(l) ?? []), f]);
  let encodingsFile: string | null = null;
  if (format === 'aimet') {
    const kernelOf = new Map<string, string>();
    for (const l of s.plan.layers) if (l.main >= 0) kernelOf.set(l.name, l.weights[l.main].name.replace(/[^A-Za-z0-9_./-]/g, '_'));
    const enc = aimetEncodings(s.plan.layers, (l) => kernelOf.get(l), flag);
    encodingsFile = join(dir, 'model.encodings');
    writeFileSync(encodingsFile, JSON.stringify(enc, null, 1));
    files.push(encodingsFile);
    for (const l of s.plan.layers) if (l.q) ex.storage.set(l.name, l.q.codebook ? 'float32 (no encoding)' : `float32 + ${l.bits}-bit encoding`);
  }

  // reload: the protobuf package for the weights, ONNX Runtime for the outputs
  ctx.progress({ fraction: 0.5, stage: 'reloading with ONNX Runtime' });
  const back = readOnnxFile(file);
  const consts = constantValues(back.model, file);
  const encs = encodingsFile ? new Map(readAimetEncodings(encodingsFile).param_encodings.map((e) => [e.name, e])) : new Map();
  const errors = new Map<string, number>();
  for (const e of ex.expected) {
    const got = consts.get(e.tensor);
    let v: Float32Array | undefined = got?.values;
    const enc = encs.get(e.tensor);
    if (v && enc) v = applyEncoding(v, enc);
    errors.set(e.layer, Math.max(errors.get(e.layer) ?? 0, v ? maxAbs(e.values, v) : Infinity));
  }
  const session = await ortSession(back.bytes, file);
  const reloaded = await predictAll(s.evalSet.x, s.evalSet.n, s.evalSet.shape, (xb, b) => ortPredict(session, xb, [b, ...s.evalSet.shape]), ctx);
  await session.release();

  const byName = new Map((back.model.graph?.initializer ?? []).map((t) => [t.name ?? '', t]));
  const bytes = new Map<string, number>();
  const data = new Map<string, Uint8Array[]>();
  for (const [layer, names] of ex.inits) {
    for (const n of names) {
      const t = byName.get(n);
      if (!t) continue;
      bytes.set(layer, (bytes.get(layer) ?? 0) + tensorPayloadBytes(t));
      data.set(layer, [...(data.get(layer) ?? []), t.rawData ?? new Uint8Array(0)]);
    }
  }
  return { files, bytes, data, storage: ex.storage, flags, errors, reloaded, runtime: 'onnxruntime-node' };
}

async function writePackedTarget(s: ExportSession, dir: string, ctx: RunContext): Promise<Partial> {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'model.llpk');
  const w = await writePacked(s.plan, file, metadataFor(s, 'packed'));
  ctx.progress({ fraction: 0.5, stage: 'reloading with the packed reader' });
  const { model, tensors } = await packedModel(file);
  try {
    const byName = new Map(tensors.map((t) => [t.entry.name, t]));
    const errors = new Map<string, number>();
    const flags = new Map<string, string[]>();
    const storage = new Map<string, string>();
    for (const l of s.plan.layers) {
      let e = 0;
      l.weights.forEach((wt, i) => {
        const t = byName.get(wt.name);
        e = Math.max(e, t ? maxAbs(wt.values, t.values) : Infinity);
        // exact round trip: the codes themselves must come back
        if (i === l.main && l.q && t?.q && maxAbs(l.q.codes, t.q.codes) !== 0) e = Infinity;
      });
      errors.set(l.name, e);
      if (l.main >= 0) storage.set(l.name, l.q ? `${byName.get(l.weights[l.main].name)?.entry.bits ?? l.bits}-bit ${l.q.codebook ? 'codebook' : 'affine'}` : 'float32');
    }
    const reloaded = await predictAll(s.evalSet.x, s.evalSet.n, s.evalSet.shape, tfPredictor(model, s.evalSet.shape), ctx);
    return { files: [w.file], bytes: w.layerBytes, data: w.layerData, storage, flags, errors, reloaded, runtime: 'layerlens packed reader' };
  } finally {
    model.dispose();
  }
}

/** Writes one target into `dir`, reloads and verifies it. */
export async function exportTarget(s: ExportSession, format: ExportFormat, dir: string, opts: { tfjsDtype?: TfjsDtype } = {}, ctx: RunContext = plainContext()): Promise<ExportReport> {
  const out = resolve(dir);
  let p: Partial;
  if (format === 'tfjs') p = await writeTfjs(s, out, opts.tfjsDtype ?? (s.plan.policy ? 'policy' : 'float32'), ctx);
  else if (format === 'onnx' || format === 'aimet') p = await writeOnnxTarget(s, out, format, ctx);
  else p = await writePackedTarget(s, out, ctx);
  const cmp = compareOutputs(s.evalSet, p.reloaded);
  const layers: ExportLayerReport[] = s.plan.layers.map((l) => ({
    name: l.name,
    kind: l.kind,
    bits: l.bits,
    params: l.weights.reduce((a, w) => a + w.values.length, 0),
    bytes: p.bytes.get(l.name) ?? 0,
    gzipBytes: gz(concat(p.data.get(l.name) ?? [])),
    storage: p.storage.get(l.name) ?? 'float32',
    flags: p.flags.get(l.name) ?? [],
    maxAbsError: p.errors.get(l.name) ?? 0,
  }));
  const bytes = p.files.reduce((a, f) => a + statSync(f).size, 0);
  const gzipBytes = p.files.reduce((a, f) => a + gz(new Uint8Array(readFileSync(f))), 0);
  return {
    format,
    files: p.files,
    bytes,
    gzipBytes,
    float32Bytes: layers.reduce((a, l) => a + 4 * l.params, 0),
    layers,
    verify: {
      maxAbsError: Math.max(0, ...layers.map((l) => l.maxAbsError)),
      ...cmp,
      n: s.evalSet.n,
      data: s.evalSet.data,
      runtime: p.runtime,
    },
  };
}

/** The export job: every requested target, each verified. One format → `out` itself; several → out/<format>/. */
export async function run(config: ExportConfig & { out: string }, ctx: RunContext): Promise<ExportResult> {
  const s = await openSession({ model: config.model, policy: config.policy, data: config.data, limit: config.limit }, ctx);
  try {
    const reports: ExportReport[] = [];
    const out = resolve(config.out);
    for (const [i, f] of config.formats.entries()) {
      throwIfCancelled(ctx);
      const sub = ctx.progress;
      const scaled: RunContext = { ...ctx, progress: (p) => sub({ ...p, fraction: 0.1 + (0.9 * (i + p.fraction)) / config.formats.length, stage: `${f}: ${p.stage ?? ''}` }) };
      scaled.progress({ fraction: 0, stage: 'writing' });
      const dir = config.formats.length === 1 ? out : join(out, f);
      if (config.formats.length > 1) rmSync(dir, { recursive: true, force: true });
      const r = await exportTarget(s, f, dir, { tfjsDtype: config.tfjsDtype }, scaled);
      reports.push(r);
      ctx.progress({ fraction: 0.1 + (0.9 * (i + 1)) / config.formats.length, stage: `${f} verified`, metrics: { [`${f}Bytes`]: r.bytes } });
    }
    return { model: config.model, policy: s.policyPath, out, reports, backend: backendName() };
  } finally {
    s.dispose();
  }
}
