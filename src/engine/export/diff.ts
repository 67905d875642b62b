// Model diff: two models side by side, layer by layer (float vs compressed, or any two with matching layer
// names). A layer of A that B replaced by a low-rank pair (B's layers named A's name plus a suffix) is
// compared with the pair multiplied out.
import { extname } from 'node:path';
import { backendName, initBackend } from '../backend';
import type { RunContext } from '../core/context';
import { plainContext, throwIfCancelled } from '../core/context';
import { loadDataset } from '../data';
import { entryBytes, readTfjsFile } from '../formats/tfjs-weights';
import { constSources, constantValues, readOnnxFile, tensorPayloadBytes } from '../formats/onnx';
import { prod, type LayerCost } from '../models/flops';
import { modelNodes } from '../models/nodes';
import { carriedPolicy } from './plan';
import { loadModel, type LoadedModel } from '../models/io';
import { checkInputShape, top1 } from '../analyses/eval';
import type { DiffConfig, DiffLayer, DiffResult, DiffSide } from '../../shared/api-export';

interface Side {
  m: LoadedModel;
  costs: LayerCost[];
  bytes: Map<string, number>;
  bits: Map<string, number>;
  kernels: Map<string, { shape: number[]; values: Float32Array }>;
}

const safeName = (s: string) => s.replace(/[^A-Za-z0-9_]/g, '_').replace(/^_+/, '') || 'node';

/** Bytes each layer's weights take in the file as stored (manifest dtypes, ONNX containers). */
function storedBytes(m: LoadedModel, costs: LayerCost[]): Map<string, number> {
  const out = new Map<string, number>();
  const path = m.path;
  if (path && extname(path).toLowerCase() === '.onnx') {
    const f = readOnnxFile(path);
    const inits = new Map((f.model.graph?.initializer ?? []).map((t) => [t.name ?? '', t]));
    const consts = constantValues(f.model, f.file);
    const sources = constSources(f.model);
    for (const n of f.model.graph?.node ?? []) {
      if (consts.has(n.output?.[0] ?? '')) continue; // weight decoding (DequantizeLinear, codebook Gather)
      const srcs = new Set((n.input ?? []).flatMap((i) => [...(sources.get(i) ?? [])]));
      let b = 0;
      for (const s of srcs) b += inits.has(s) ? tensorPayloadBytes(inits.get(s)!) : 0;
      if (b) out.set(safeName(n.name ?? ''), b);
    }
    return out;
  }
  if (path && extname(path).toLowerCase() === '.json') {
    const f = readTfjsFile(path);
    const owner = new Map<string, string>();
    for (const c of costs) for (const w of c.weights) owner.set(w.name, c.name);
    for (const e of f.specs) {
      // a kernel stored as codes × per-channel scales (formats/tfjs-graph/qdq.ts) belongs to its kernel's layer
      const layer = owner.get(e.name) ?? owner.get(e.name.replace(/\/ll_(codes|scales)$/, '')) ?? e.name.split('/')[0];
      out.set(layer, (out.get(layer) ?? 0) + (entryBytes(e) ?? 0));
    }
    return out;
  }
  for (const c of costs) out.set(c.name, 4 * c.params);
  return out;
}

/** Bits per layer: the model's recorded policy (export metadata or issue 4's policy.json beside it), else distinct levels per output channel. */
function layerBits(m: LoadedModel, kernels: Side['kernels']): Map<string, number> {
  const out = new Map<string, number>();
  let policy: Record<string, { bits: number }> | undefined;
  try {
    policy = carriedPolicy(m)?.policy.layers;
  } catch {
    policy = undefined; // a broken policy beside the model: read the bits from the weights instead
  }
  for (const [name, k] of kernels) {
    if (policy?.[name]) {
      out.set(name, policy[name].bits);
      continue;
    }
    const ch = k.shape[k.shape.length - 1] ?? 1;
    const perChannel = k.values.length / ch;
    let most = 0;
    for (let c = 0; c < ch; c++) {
      const seen = new Set<number>();
      for (let i = c; i < k.values.length && seen.size <= 4096; i += ch) seen.add(k.values[i]);
      most = Math.max(most, seen.size);
    }
    // a quantized kernel repeats its levels; one whose channels hold mostly distinct values reads as float
    out.set(name, most > 4096 || most > perChannel / 2 ? 32 : Math.max(1, Math.ceil(Math.log2(Math.max(2, most)))));
  }
  return out;
}

async function open(ref: string): Promise<Side> {
  const m = await loadModel(ref);
  const costs = (await modelNodes(m)).filter((c) => c.weights.length > 0);
  const kernels = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const c of costs) if (c.main >= 0) kernels.set(c.name, { shape: c.weights[c.main].shape, values: c.weights[c.main].value().dataSync() as Float32Array });
  return { m, costs, kernels, bytes: storedBytes(m, costs), bits: layerBits(m, kernels) };
}

/** K1 [..., r] × K2 [(1,1,) r, out] → the full kernel, when B's pair is a factorisation of A's shape. */
function multiplyPair(k1: { shape: number[]; values: Float32Array }, k2: { shape: number[]; values: Float32Array }, want: number[]): Float32Array | null {
  const r = k1.shape[k1.shape.length - 1];
  const out = k2.shape[k2.shape.length - 1];
  if (prod(k2.shape) !== r * out || prod(want) !== (k1.values.length / r) * out) return null;
  const rows = k1.values.length / r;
  const y = new Float32Array(rows * out);
  for (let i = 0; i < rows; i++) {for (let k = 0; k < r; k++) {
    const a = k1.values[i * r + k];
    if (a !== 0) for (let j = 0; j < out; j++) y[i * out + j] += a * k2.values[k * out + j];
  }}
  return y;
}

function errors(a: Float32Array, b: Float32Array | null): { max: number | null; rel: number | null } {
  if (!b || a.length !== b.length) return { max: null, rel: null };
  let m = 0;
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    m = Math.max(m, Math.abs(d));
    num += d * d;
    den += a[i] * a[i];
  }
  return { max: m, rel: den > 0 ? Math.sqrt(num / den) : 0 };
}

export async function run(config: DiffConfig, ctx: RunContext = plainContext()): Promise<DiffResult> {
  await initBackend();
  ctx.progress({ fraction: 0, stage: 'loading A' });
  const A = await open(config.a);
  try {
    ctx.progress({ fraction: 0.1, stage: 'loading B' });
    const B = await open(config.b);
    try {
      const bByName = new Map(B.costs.map((c) => [c.name, c]));
      const used = new Set<string>();
      const layers: DiffLayer[] = [];
      const onlyA: string[] = [];
      for (const a of A.costs) {
        let matched = bByName.has(a.name) ? [bByName.get(a.name)!] : B.costs.filter((c) => c.name.startsWith(`${a.name}_`) || c.name.startsWith(`${a.name}/`));
        matched = matched.filter((c) => !used.has(c.name));
        if (!matched.length) {
          onlyA.push(a.name);
          continue;
        }
        matched.forEach((c) => used.add(c.name));
        const ka = A.kernels.get(a.name);
        let kb: Float32Array | null = null;
        let rankB: number | null = null;
        if (matched.length === 1) kb = B.kernels.get(matched[0].name)?.values ?? null;
        else if (matched.length === 2 && ka) {
          const k1 = B.kernels.get(matched[0].name);
          const k2 = B.kernels.get(matched[1].name);
          if (k1 && k2) {
            rankB = k1.shape[k1.shape.length - 1];
            kb = multiplyPair(k1, k2, ka.shape);
          }
        }
        const e = ka ? errors(ka.values, kb) : { max: null, rel: null };
        const sum = (f: (c: LayerCost) => number) => matched.reduce((s, c) => s + f(c), 0);
        layers.push({
          name: a.name,
          kind: a.kind,
          matched: matched.map((c) => c.name),
          bitsA: A.bits.get(a.name) ?? null,
          bitsB: matched.length === 1 ? (B.bits.get(matched[0].name) ?? null) : Math.max(...matched.map((c) => B.bits.get(c.name) ?? 32)),
          rankA: null,
          rankB,
          paramsA: a.params,
          paramsB: sum((c) => c.params),
          flopsA: a.flops,
          flopsB: sum((c) => c.flops),
          bytesA: A.bytes.get(a.name) ?? 4 * a.params,
          bytesB: sum((c) => B.bytes.get(c.name) ?? 4 * c.params),
          maxAbsError: e.max,
          relError: e.rel,
        });
      }
      const onlyB = B.costs.map((c) => c.name).filter((n) => !used.has(n));
      let n = 0;
      const side = async (s: Side, ref: string, from: number): Promise<DiffSide> => {
        let t: number | null = null;
        if (config.data) {
          throwIfCancelled(ctx);
          const ds = await loadDataset(config.data);
          checkInputShape(s.m, ds.shape, config.data);
          const r = await top1((x) => s.m.predict(x), ds.test, ds.shape, { limit: config.limit, ctx, from, to: from + 0.4, predictAsync: s.m.predictAsync ? (x) => s.m.predictAsync!(x) : undefined });
          t = r.top1;
          n = r.n;
        }
        return {
          ref,
          format: s.m.format,
          params: s.costs.reduce((x, c) => x + c.params, 0),
          flops: s.costs.reduce((x, c) => x + c.flops, 0),
          bytes: s.costs.reduce((x, c) => x + (s.bytes.get(c.name) ?? 4 * c.params), 0),
          top1: t,
        };
      };
      const a = await side(A, config.a, 0.2);
      const b = await side(B, config.b, 0.6);
      ctx.progress({ fraction: 1, stage: 'done' });
      return { a, b, layers, onlyA, onlyB, data: config.data ?? null, n, split: config.data ? 'test' : null, backend: backendName() };
    } finally {
      B.m.dispose();
    }
  } finally {
    A.m.dispose();
  }
}
