// What every export target writes from: the model's weighted layers, each kernel quantized under the
// per-layer policy (issue 4's quantizers), and the *simulated* model whose kernels are the dequantized
// values. Every target is verified against that simulated model.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import * as tf from '../backend/tf';
import { UserError } from '../core/errors';
import { layersRunnable, layersWithWeights, type LoadedModel, type Runnable } from '../models/model';
import { modelNodes } from '../models/nodes';
import { dequantize, quantize, storageBits, type QuantizedTensor, type QuantSpec } from '../quant/quantizers';
import { Policy as PolicySchema } from '../../shared/common';
import { flat } from '../formats/tfjs-weights';

interface ParsedLayerPolicy {
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

interface PlanWeight {
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
  /** the simulated model, every output (owns its own weights; dispose with the plan) */
  run: Runnable;
  /** the simulated model as a tfjs layers model, when the source has one (layers-based targets write from it) */
  model?: tf.LayersModel;
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

function parsePolicy(p: unknown, where = 'policy'): ParsedPolicy {
  const r = PolicySchema.safeParse(p);
  if (!r.success) throw new UserError(`invalid policy: ${r.error.issues[0].path.join('.')}: ${r.error.issues[0].message}`, where);
  return r.data as ParsedPolicy;
}

/** The layers model behind a plan, or one line saying that `target` writes layer topologies only. */
export function planLayersModel(plan: ExportPlan, target: string): tf.LayersModel {
  if (plan.model) return plan.model;
  throw new UserError(`${target} is written from a layer topology; this ${plan.source.format} model has none (export it as tfjs, which keeps its graph)`, plan.source.path ?? plan.source.ref);
}

/**
 * The policy a quantized model carries: its metadata's `layerlens.policy` (what ptq and export write), else a
 * policy.json beside the file (what quantize writes). Export uses it unless given another or told 'none'.
 */
export function carriedPolicy(m: LoadedModel): { policy: ParsedPolicy; from: string } | null {
  const ll = m.metadata?.layerlens as { policy?: unknown } | undefined;
  if (ll?.policy && typeof ll.policy === 'object') return { policy: parsePolicy(ll.policy, m.path ?? m.ref), from: m.path ?? m.ref };
  if (m.path) {
    const beside = join(dirname(m.path), 'policy.json');
    if (existsSync(beside)) return { policy: readPolicy(beside), from: beside };
  }
  return null;
}

/** Builds the plan; the caller keeps ownership of `source`. */
export async function buildPlan(source: LoadedModel, policy?: ParsedPolicy): Promise<ExportPlan> {
  const costs = await modelNodes(source);
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
      // per-channel on the output channel: the LAST axis of tfjs kernels [kh,kw,in,out] / [in,out]; a depthwise
      // kernel [kh,kw,in,mult] has one output channel per input channel, so axis 2 (mult is usually 1)
      const depthwise = /depthwise/i.test(c.kind) && k.shape.length === 4;
      const spec: QuantSpec = { bits: lp.bits, method: lp.method, granularity: lp.granularity, symmetric: lp.symmetric, ...(depthwise ? { axis: 2 } : {}) };
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
  const values = new Map<string, Float32Array>();
  for (const l of layers) for (const w of l.weights) values.set(w.name, w.values);
  if (source.layers) {
    const model = await layersWithWeights(source.layers, values);
    const run = layersRunnable(model, false, source.outputs.map((o) => o.name));
    return { source, run, model, layers, policy, dispose: () => model.dispose() };
  }
  const run = await source.withWeights(values);
  return { source, run, layers, policy, dispose: () => run.dispose() };
}
