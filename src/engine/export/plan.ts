// What every export target writes from: the model's weighted layers, each kernel quantized under the
// per-layer policy (issue 4's quantizers), and the *simulated* model whose kernels are the dequantized
// values. Every target is verified against that simulated model.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as tf from '../backend/tf';
import { UserError } from '../core/errors';
import type { LoadedModel } from '../models/io';
import { layersCosts, prod } from '../models/flops';
import { dequantize, quantize, storageBits, type QuantizedTensor, type QuantSpec } from '../quant/quantizers';
import { Policy as PolicySchema } from '../../shared/common';
import { flat } from '../formats/tfjs-weights';

export interface ParsedLayerPolicy {
  bits: number;
  method: QuantSpec['method'];
  granularity: QuantSpec['granularity'];
  symmetric: boolean;
}
export interface ParsedPolicy {
  version: 1;
  layers: Record<string, ParsedLayerPolicy>;
  provenance?: Record<string, unknown>;
}

export interface PlanWeight {
  /** tfjs weight name, e.g. conv1/kernel */
  name: string;
  shape: number[];
  /** simulated values (dequantized for a quantized kernel), tfjs layout */
  values: Float32Array;
  /** the original float values */
  original: Float32Array;
}

export interface PlanLayer {
  name: string;
  kind: string;
  weights: PlanWeight[];
  /** index of the kernel in `weights`, -1 when none */
  main: number;
  /** 32 when the layer stays float */
  bits: number;
  spec?: QuantSpec;
  q?: QuantizedTensor;
}

export interface ExportPlan {
  source: LoadedModel;
  /** the simulated model (owns its own weights; dispose with the plan) */
  model: tf.LayersModel;
  layers: PlanLayer[];
  policy?: ParsedPolicy;
  dispose(): void;
}

/** Reads a policy.json (issue 4's format), one-line errors naming the file. */
export function readPolicy(path: string): ParsedPolicy {
  const file = resolve(path);
  if (!existsSync(file)) throw new UserError('policy file not found', file);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError(`policy is not valid JSON (${flat(e, 120)})`, file);
  }
  const r = PolicySchema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new UserError(`not a LayerLens policy: ${i.path.join('.') || '(root)'}: ${i.message}`, file);
  }
  return r.data as ParsedPolicy;
}

export function parsePolicy(p: unknown, where = 'policy'): ParsedPolicy {
  const r = PolicySchema.safeParse(p);
  if (!r.success) throw new UserError(`invalid policy: ${r.error.issues[0].path.join('.')}: ${r.error.issues[0].message}`, where);
  return r.data as ParsedPolicy;
}

/** Builds the plan; the caller keeps ownership of `source`. */
export async function buildPlan(source: LoadedModel, policy?: ParsedPolicy): Promise<ExportPlan> {
  if (!source.layers) throw new UserError('export needs a layers model (a TensorFlow.js graph model has no layer topology to re-export)', source.path ?? source.ref);
  const costs = layersCosts(source.layers);
  const known = new Set(costs.map((c) => c.name));
  for (const name of Object.keys(policy?.layers ?? {})) {
    if (!known.has(name)) throw new UserError(`policy names layer "${name}" which the model does not have (layers: ${[...known].slice(0, 12).join(', ')})`);
  }
  const layers: PlanLayer[] = [];
  for (const c of costs) {
    if (!c.weights.length) continue;
    const weights: PlanWeight[] = c.weights.map((w) => {
      const v = w.value().dataSync() as Float32Array;
      return { name: w.name, shape: [...w.shape], values: Float32Array.from(v), original: Float32Array.from(v) };
    });
    const layer: PlanLayer = { name: c.name, kind: c.kind, weights, main: c.main, bits: 32 };
    const lp = policy?.layers[c.name];
    if (lp && lp.bits < 32 && c.main >= 0) {
      const k = weights[c.main];
      // per-channel on the LAST axis: tfjs kernels are [kh,kw,in,out] / [in,out], so that is the output channel
      const spec: QuantSpec = { bits: lp.bits, method: lp.method, granularity: lp.granularity, symmetric: lp.symmetric };
      if (lp.bits > 16) throw new UserError(`policy for ${c.name}: ${lp.bits} bits — export stores 1–16-bit codes or float (32)`);
      const q = quantize(k.original, k.shape, spec);
      k.values = dequantize(q);
      layer.q = q;
      layer.spec = spec;
      layer.bits = storageBits(spec);
    }
    layers.push(layer);
  }
  // the simulated model: a copy of the source with the dequantized kernels
  const model = await cloneWithWeights(source.layers, layers);
  return { source, model, layers, policy, dispose: () => model.dispose() };
}

/** Topology + weight specs of a layers model, as tfjs would save them. */
export async function saveArtifacts(m: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await m.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) };
    }),
  );
  if (!artifacts) throw new Error('model.save produced no artifacts');
  return artifacts;
}

/** A new LayersModel with the same topology and the plan's (simulated) weights, all float32. */
async function cloneWithWeights(m: tf.LayersModel, layers: PlanLayer[]): Promise<tf.LayersModel> {
  const a = await saveArtifacts(m);
  const byName = new Map<string, Float32Array>();
  for (const l of layers) for (const w of l.weights) byName.set(w.name, w.values);
  const specs = a.weightSpecs ?? [];
  const data = a.weightData ? new Uint8Array(tf.io.CompositeArrayBuffer.join(a.weightData)) : new Uint8Array(0);
  const parts: Uint8Array[] = [];
  let o = 0;
  for (const s of specs) {
    const n = s.shape.reduce((x, y) => x * y, 1);
    const bytes = n * (s.dtype === 'float32' || s.dtype === 'int32' ? 4 : 1);
    const v = byName.get(s.name);
    parts.push(v && s.dtype === 'float32' ? new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength)) : data.slice(o, o + bytes));
    o += bytes;
  }
  const joined = new Uint8Array(parts.reduce((x, p) => x + p.byteLength, 0));
  let k = 0;
  for (const p of parts) {
    joined.set(p, k);
    k += p.byteLength;
  }
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: a.modelTopology, weightSpecs: specs, weightData: joined.buffer, format: a.format }), { strict: true });
}

/** Elements of a weight. */
export const size = (w: { shape: number[] }) => prod(w.shape);

/** The layer a tfjs weight name belongs to ("conv1/kernel" → "conv1"; nested "outer/inner/kernel" → "outer/inner"). */
export function layerOfWeight(name: string): string {
  const i = name.lastIndexOf('/');
  return i > 0 ? name.slice(0, i) : name;
}
