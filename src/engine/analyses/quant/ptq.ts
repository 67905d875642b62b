// Post-training quantization of any loaded model: every kernel (rank ≥ 2 main weight of a node) quantized at
// `bits` under one scheme, no retraining, so it works on tfjs layers, tfjs graph and ONNX models alike. The
// quantized model is the export plan's simulated model (export/plan.ts), so what is measured here is what
// export writes. Measured by output agreement with the float model on every output; top-1 too when labelled
// data is given. With `out`, the quantized model is written with its policy in its metadata and beside it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as tf from '../../backend/tf';
import { backendName, initBackend } from '../../backend';
import type { RunContext } from '../../core/context';
import { throwIfCancelled } from '../../core/context';
import { UserError } from '../../core/errors';
import { makeRng } from '../../core/random';
import { loadDataset } from '../../data';
import { loadModel, type LoadedModel } from '../../models/io';
import { agreementOf } from '../../models/agreement';
import { buildPlan, type ExportPlan, type ParsedPolicy } from '../../export/plan';
import { modelNodes } from '../../models/nodes';
import { writeLayersModel } from '../../formats/tfjs-layers';
import { writeTfjsExport } from '../../formats/tfjs-layers/export';
import { graphSource } from '../../formats/tfjs-graph';
import { encodeModel, exportOnnx } from '../../formats/onnx';
import { PtqConfig as Schema, type PtqLayer, type PtqResult } from '../../../shared/api-export';
import type { z } from 'zod';
import { concatArrays } from '../../core/arrays';

type PtqConfig = z.output<typeof Schema>;

/** The policy PTQ applies: every kernel of rank ≥ 2 not in `skip`, at the same bits and scheme. */
async function ptqPolicy(m: LoadedModel, c: Pick<PtqConfig, 'bits' | 'scheme' | 'granularity' | 'skip' | 'seed'>): Promise<ParsedPolicy> {
  const nodes = await modelNodes(m);
  const known = new Set(nodes.map((n) => n.name));
  for (const s of c.skip) if (!known.has(s)) throw new UserError(`ptq --skip: unknown layer "${s.slice(0, 80)}" (layers: ${[...known].slice(0, 12).join(', ')})`, m.path ?? m.ref);
  const layers: ParsedPolicy['layers'] = {};
  for (const n of nodes) {
    if (n.main < 0 || n.weights[n.main].shape.length < 2 || c.skip.includes(n.name)) continue;
    layers[n.name] = { bits: c.bits, method: c.scheme, granularity: c.granularity, symmetric: true };
  }
  if (!Object.keys(layers).length) throw new UserError('the model has no kernels to quantize', m.path ?? m.ref);
  return { version: 1, layers, provenance: { method: 'ptq', bits: c.bits, scheme: c.scheme, granularity: c.granularity, seed: c.seed, model: m.ref } };
}

/**
 * The inputs agreement is measured on: a split of `data` (test for the reported figures, val for the per-layer
 * map, which is a selection aid), else seeded uniform [0, 1) values (another seed for the map).
 */
async function inputsFor<S extends 'test' | 'val'>(m: LoadedModel, c: PtqConfig, split: S): Promise<{ x: Float32Array; y: Uint8Array | null; n: number; shape: number[]; data: string; split: S | 'random' }> {
  const shape = m.inputShape.slice(1);
  if (shape.some((d) => d === null)) throw new UserError('post-training quantization needs a model with a fixed input size', m.path ?? m.ref);
  const ishape = shape as number[];
  const per = ishape.reduce((a, b) => a * b, 1);
  if (c.data) {
    const ds = await loadDataset(c.data);
    if (ds.shape.join('x') !== ishape.join('x')) throw new UserError(`model expects input ${ishape.join('×')} but dataset ${c.data} gives ${ds.shape.join('×')}`);
    const part = ds[split];
    const n = Math.min(part.n, c.limit);
    return { x: part.x.subarray(0, n * per), y: part.y.subarray(0, n), n, shape: ishape, data: c.data, split };
  }
  const rng = makeRng(split === 'test' ? c.seed : c.seed + 1);
  return { x: Float32Array.from({ length: c.limit * per }, () => rng()), y: null, n: c.limit, shape: ishape, data: 'random', split: 'random' };
}

/** Every output of `run` over the inputs, per output name, row-major [n, …]. */
async function collect(run: (x: tf.Tensor) => tf.NamedTensorMap, x: Float32Array, n: number, shape: number[], batch: number, ctx?: RunContext, shapes?: Map<string, (number | null)[]>): Promise<Map<string, Float32Array[]>> {
  const per = shape.reduce((a, b) => a * b, 1);
  const out = new Map<string, Float32Array[]>();
  for (let s = 0; s < n; s += batch) {
    if (ctx) throwIfCancelled(ctx);
    const b = Math.min(batch, n - s);
    const xb = tf.tensor(x.subarray(s * per, (s + b) * per), [b, ...shape]);
    const ys = run(xb);
    for (const [k, t] of Object.entries(ys)) {
      out.set(k, [...(out.get(k) ?? []), Float32Array.from(t.dataSync() as Float32Array)]);
      // the shape as run (graph models often declare none), batch dimension free
      if (shapes && !shapes.has(k)) shapes.set(k, [null, ...t.shape.slice(1)]);
    }
    tf.dispose([xb, ...Object.values(ys)]);
  }
  return out;
}

const join32 = (parts: Float32Array[]) => concatArrays(Float32Array, parts);

function top1Of(v: Float32Array, y: Uint8Array, n: number): number {
  const k = v.length / n;
  let hit = 0;
  for (let r = 0; r < n; r++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (v[r * k + j] > v[r * k + best]) best = j;
    if (best === y[r]) hit++;
  }
  return hit / n;
}

const rel = (a: Float32Array, b: Float32Array) => {
  let d = 0;
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i] - b[i]) ** 2;
    s += a[i] ** 2;
  }
  return s > 0 ? Math.sqrt(d / s) : Math.sqrt(d);
};

/**
 * Writes the quantized model in the source's format, its policy in the metadata and in policy.json: tfjs models
 * as their simulated float weights (export then stores the codes), ONNX files as QDQ ONNX (deployable as is).
 */
async function writeQuantized(plan: ExportPlan, c: PtqConfig, out: string): Promise<string> {
  mkdirSync(out, { recursive: true });
  const policy = plan.policy!;
  writeFileSync(join(out, 'policy.json'), JSON.stringify(policy, null, 2));
  const metadata = { layerlens: { ...((plan.source.metadata?.layerlens as object | undefined) ?? {}), ptq: { ...c, out: undefined }, policy } };
  if (plan.model && plan.source.format === 'onnx') {
    const ex = exportOnnx(plan.model, plan.layers, 'qdq', { 'layerlens.metadata': JSON.stringify(metadata) }, plan.source.outputs.map((o) => o.name));
    const file = join(out, 'model.onnx');
    writeFileSync(file, encodeModel(ex.model));
    return file;
  }
  if (plan.model) return writeLayersModel(plan.model, out, metadata);
  const f = plan.source.graph ? graphSource(plan.source.graph) : undefined;
  if (!f) throw new UserError('cannot write this model back (no tfjs artifacts)', plan.source.path ?? plan.source.ref);
  await writeTfjsExport(plan, f.artifacts, out, 'float32', metadata);
  return join(out, 'model.json');
}

export async function run(config: z.input<typeof Schema>, ctx: RunContext): Promise<PtqResult> {
  const c = Schema.parse(config);
  await initBackend();
  ctx.progress({ fraction: 0, stage: 'loading model' });
  const m = await loadModel(c.model);
  try {
    const policy = await ptqPolicy(m, c);
    ctx.progress({ fraction: 0.1, stage: `quantizing ${Object.keys(policy.layers).length} kernels at ${c.bits} bits (${c.scheme}, ${c.granularity})` });
    const plan = await buildPlan(m, policy);
    try {
      const inp = await inputsFor(m, c, 'test');
      const fixed = m.inputShape[0];
      const batch = fixed ?? 32;
      if (fixed && inp.n % fixed !== 0) throw new UserError(`the model takes batches of exactly ${batch}; --limit ${inp.n} is not a multiple of it`, m.path ?? m.ref);
      ctx.progress({ fraction: 0.3, stage: 'running the float model' });
      const shapes = new Map<string, (number | null)[]>();
      const ref = await collect((x) => m.predictAll(x), inp.x, inp.n, inp.shape, batch, ctx, shapes);
      ctx.progress({ fraction: 0.6, stage: 'running the quantized model' });
      const got = await collect((x) => plan.run.predictAll(x), inp.x, inp.n, inp.shape, batch, ctx);
      const outputs = m.outputs.map((o) => agreementOf({ name: o.name, shape: shapes.get(o.name) ?? o.shape, reference: join32(ref.get(o.name) ?? []), candidate: join32(got.get(o.name) ?? []), n: inp.n }));
      const first = m.outputs[0]?.name;
      const top1 = inp.y && first ? { float: top1Of(join32(ref.get(first)!), inp.y, inp.n), quantized: top1Of(join32(got.get(first)!), inp.y, inp.n) } : null;
      const layers: PtqLayer[] = plan.layers.map((l) => ({
        name: l.name,
        kind: l.kind,
        params: l.weights.reduce((a, w) => a + w.values.length, 0),
        bits: l.bits,
        weightRelError: l.main >= 0 ? rel(l.weights[l.main].original, l.weights[l.main].values) : 0,
      }));
      let perLayerSplit: PtqResult['perLayerSplit'] = null;
      if (c.perLayer) {
        // a label-free sensitivity map: each kernel quantized alone, every output compared with the float model
        const quantized = plan.layers.filter((l) => l.q);
        const sel = await inputsFor(m, c, 'val');
        const selRef = await collect((x) => m.predictAll(x), sel.x, sel.n, sel.shape, batch, ctx);
        perLayerSplit = sel.split;
        for (const [i, l] of quantized.entries()) {
          throwIfCancelled(ctx);
          ctx.progress({ fraction: 0.6 + (0.3 * i) / quantized.length, stage: `layer ${l.name} alone` });
          const k = l.weights[l.main];
          const alone = await m.withWeights(new Map([[k.name, k.values]]));
          try {
            const y = await collect((x) => alone.predictAll(x), sel.x, sel.n, sel.shape, batch, ctx);
            const ag = m.outputs.map((o) => agreementOf({ name: o.name, shape: o.shape, reference: join32(selRef.get(o.name) ?? []), candidate: join32(y.get(o.name) ?? []), n: sel.n }));
            layers.find((x) => x.name === l.name)!.alone = { cosine: ag.reduce((s, a) => s + a.cosine, 0) / ag.length, relError: ag.reduce((s, a) => s + a.relError, 0) / ag.length };
          } finally {
            alone.dispose();
          }
        }
      }
      let fbits = 0;
      let qbits = 0;
      for (const l of plan.layers) {
        if (!l.q) continue;
        const n = l.weights[l.main].values.length;
        fbits += 32 * n;
        qbits += l.bits * n;
      }
      let modelPath: string | null = null;
      const out = c.out ? resolve(c.out) : null;
      if (out) {
        ctx.progress({ fraction: 0.9, stage: 'writing the quantized model' });
        modelPath = await writeQuantized(plan, c, out);
      }
      ctx.progress({ fraction: 1, stage: 'done', metrics: { minCosine: Math.min(...outputs.map((o) => o.cosine)) } });
      return { model: c.model, format: m.format, bits: c.bits, scheme: c.scheme, granularity: c.granularity, layers, outputs, n: inp.n, data: inp.data, split: inp.split, perLayerSplit, seed: c.seed, top1, compressionRatio: qbits ? fbits / qbits : 1, out, modelPath, backend: backendName() };
    } finally {
      plan.dispose();
    }
  } finally {
    m.dispose();
  }
}
