// Parameters and FLOPs per layer. FLOPs here are multiply-adds (MACs) for ONE example at the model's input
// shape; bias adds, activations and pooling count 0. BatchNormalization counts one multiply-add per output
// element (its inference form y = a·x + b). Layers without weights count 0. A spatial size that is unknown
// (null in the input shape) gives 0 FLOPs rather than a guess.
import * as tf from '../backend/tf';
import type { GraphNodeDef } from '../formats/tfjs-graph/graphdef';
import { inputNode } from '../formats/tfjs-graph/graphdef';

type Shape = (number | null)[];

interface WeightRef {
  name: string;
  shape: number[];
  /** the live tensor: read it, do not dispose it */
  value(): tf.Tensor;
}

export interface LayerCost {
  name: string;
  kind: string;
  params: number;
  flops: number;
  activationShape: Shape;
  weights: WeightRef[];
  /** index into `weights` of the main weight (kernel), -1 when the layer has none */
  main: number;
}

export const prod = (a: readonly number[]) => a.reduce((x, y) => x * y, 1);
const known = (a: readonly (number | null)[]): a is number[] => a.every((d) => d !== null && d >= 0);

/** Conv2D MACs: kh·kw·(cin/groups)·cout·oh·ow. */
export function conv2dFlops(kh: number, kw: number, cin: number, cout: number, oh: number, ow: number, groups = 1): number {
  return kh * kw * (cin / groups) * cout * oh * ow;
}
/** DepthwiseConv2D MACs: kh·kw·cin·multiplier·oh·ow. */
export function depthwiseFlops(kh: number, kw: number, cin: number, mult: number, oh: number, ow: number): number {
  return kh * kw * cin * mult * oh * ow;
}
/** Dense MACs: in·out per row (rows > 1 when Dense acts on a sequence or a feature map). */
export function denseFlops(inUnits: number, outUnits: number, rows = 1): number {
  return inUnits * outUnits * rows;
}

function outputShapeOf(layer: tf.layers.Layer): Shape {
  try {
    const s = layer.outputShape as Shape | Shape[];
    return Array.isArray(s[0]) ? [...(s[0] as Shape)] : [...(s as Shape)];
  } catch {
    // shared layers with different output shapes: the first call's shape
    const out = layer.getOutputAt(0) as tf.SymbolicTensor | tf.SymbolicTensor[];
    return [...(Array.isArray(out) ? out[0].shape : out.shape)];
  }
}

function inputShapeOf(layer: tf.layers.Layer): Shape {
  const s = layer.inputSpec?.[0]?.shape ?? (layer.input as tf.SymbolicTensor | tf.SymbolicTensor[]);
  if (Array.isArray(s) && typeof s[0] !== 'object') return [...(s as Shape)];
  const t = Array.isArray(s) ? (s[0] as tf.SymbolicTensor) : (s as tf.SymbolicTensor);
  return [...t.shape];
}

/** Spatial dims of an activation (without batch and channels). */
function spatialOf(shape: Shape, channelsFirst: boolean): Shape {
  return channelsFirst ? shape.slice(2) : shape.slice(1, -1);
}

const KERNEL = /(^|\/)(kernel|depthwise_kernel|pointwise_kernel|embeddings)(_\d+)?$/;

/** MACs of one layer of a layers model, from its weights' shapes and its output shape. */
export function layerFlops(layer: tf.layers.Layer): number {
  const kind = layer.getClassName();
  const out = outputShapeOf(layer);
  const cfg = layer.getConfig() as { dataFormat?: string };
  const channelsFirst = cfg.dataFormat === 'channelsFirst';
  const kernels = layer.weights.filter((w) => /(kernel)(_\d+)?$/.test(w.originalName)).map((w) => w.shape as number[]);
  switch (kind) {
    case 'Conv1D':
    case 'Conv2D':
    case 'Conv3D':
    case 'DepthwiseConv2D':
    case 'SeparableConv2D': {
      const sp = spatialOf(out, channelsFirst);
      if (!known(sp)) return 0;
      // kernel = [...k, cin/groups, cout] (depthwise: [...k, cin, mult]): each output position costs prod(kernel)/cout·cout
      return kernels.reduce((s, k) => s + prod(k) * prod(sp), 0);
    }
    case 'Conv2DTranspose':
    case 'Conv3DTranspose': {
      const sp = spatialOf(inputShapeOf(layer), channelsFirst);
      if (!known(sp)) return 0;
      return kernels.reduce((s, k) => s + prod(k) * prod(sp), 0);
    }
    case 'Dense': {
      const rows = out.slice(1, -1);
      if (!known(rows) || !kernels[0]) return 0;
      return prod(kernels[0]) * prod(rows);
    }
    case 'BatchNormalization': {
      const el = out.slice(1);
      return known(el) ? prod(el) : 0;
    }
    default:
      return 0;
  }
}

function mainIndex(names: string[]): number {
  if (names.length === 0) return -1;
  const k = names.findIndex((n) => KERNEL.test(n));
  return k >= 0 ? k : 0;
}

/** Every layer of a layers model (nested models flattened as `outer/inner`), with params, MACs and shapes. */
export function layersCosts(model: tf.LayersModel, prefix = ''): LayerCost[] {
  const out: LayerCost[] = [];
  for (const layer of model.layers) {
    if (layer instanceof tf.LayersModel) {
      out.push(...layersCosts(layer, `${prefix}${layer.name}/`));
      continue;
    }
    const weights: WeightRef[] = layer.weights.map((w) => ({ name: w.originalName, shape: [...w.shape] as number[], value: () => w.read() }));
    out.push({
      name: prefix + layer.name,
      kind: layer.getClassName(),
      params: weights.reduce((s, w) => s + prod(w.shape), 0),
      flops: layerFlops(layer),
      activationShape: outputShapeOf(layer),
      weights,
      main: mainIndex(weights.map((w) => w.name)),
    });
  }
  return out;
}

// ---- graph models ----

const CONV_OPS = new Set(['Conv2D', 'FusedConv2D', '_FusedConv2D', 'Conv3D']);
const DEPTHWISE_OPS = new Set(['DepthwiseConv2dNative', 'DepthwiseConv2d', 'FusedDepthwiseConv2dNative']);
const MATMUL_OPS = new Set(['MatMul', 'BatchMatMul', 'BatchMatMulV2', '_FusedMatMul']);
const BIAS_OPS = new Set(['BiasAdd', 'Add', 'AddV2']);
const BN_OPS = new Set(['FusedBatchNorm', 'FusedBatchNormV2', 'FusedBatchNormV3']);

function attrBool(n: GraphNodeDef, key: string): boolean {
  return n.attr?.[key]?.b === true;
}

/** Output shapes of `names` for one dummy example; null where the input size is not fixed or execution fails. */
async function probeShapes(graph: tf.GraphModel, names: string[]): Promise<{ shapes: Map<string, number[]>; batch: number } | null> {
  if (names.length === 0) return { shapes: new Map(), batch: 1 };
  const infos = graph.inputs;
  if (infos.length === 0) return null;
  const dims = infos.map((i) => (i.shape ?? []).map((d, k) => (k === 0 && d < 0 ? 1 : d)));
  if (dims.some((d) => d.length === 0 || d.some((x) => x < 0))) return null;
  const batch = dims[0][0] || 1;
  const feeds: tf.NamedTensorMap = {};
  infos.forEach((info, k) => (feeds[info.name] = tf.zeros(dims[k], info.dtype === 'int32' ? 'int32' : 'float32')));
  let outs: tf.Tensor[] = [];
  try {
    try {
      outs = graph.execute(feeds, names) as tf.Tensor[];
    } catch {
      outs = (await graph.executeAsync(feeds, names)) as tf.Tensor[];
    }
    if (!Array.isArray(outs)) outs = [outs as tf.Tensor];
    return { shapes: new Map(names.map((n, i) => [n, [...(outs[i]?.shape ?? [])]])), batch };
  } catch {
    return null;
  } finally {
    tf.dispose(Object.values(feeds));
    tf.dispose(outs);
  }
}

/**
 * The weighted ops of a graph model as layers. Conv/depthwise/matmul ops own their filter plus the bias of
 * a fused op or of a BiasAdd/Add that is their only consumer; any other op reading float weights (more than
 * one element) becomes a layer of its own with 0 MACs (FusedBatchNorm: one per output element).
 */
const storedKernels = new WeakMap<tf.GraphModel, Map<string, tf.Tensor>>();

/** codes × scales of a stored kernel, computed once per model and kept while the model lives. */
function storedKernel(graph: tf.GraphModel, name: string, codes: tf.Tensor, scales: tf.Tensor): tf.Tensor {
  let m = storedKernels.get(graph);
  if (!m) storedKernels.set(graph, (m = new Map()));
  let t = m.get(name);
  if (!t || t.isDisposed) m.set(name, (t = tf.keep(tf.mul(codes, scales))));
  return t;
}

export async function graphCosts(graph: tf.GraphModel, nodes: GraphNodeDef[]): Promise<LayerCost[]> {
  const tensors: Record<string, tf.Tensor[]> = { ...graph.weights };
  const byName = new Map(nodes.map((n) => [n.name, n]));
  // kernels stored as codes × per-channel scales (formats/tfjs-graph/qdq.ts) count as the weight they compute
  const parts = new Map<string, string[]>();
  for (const n of nodes) {
    const ins = (n.input ?? []).map(inputNode);
    if (n.op !== 'Mul' || ins.length !== 2 || ins[0] !== `${n.name}/ll_codes` || ins[1] !== `${n.name}/ll_scales` || !tensors[ins[0]]?.[0] || !tensors[ins[1]]?.[0]) continue;
    tensors[n.name] = [storedKernel(graph, n.name, tensors[ins[0]][0], tensors[ins[1]][0])];
    parts.set(n.name, ins);
  }
  const isWeight = (name: string) => (byName.get(name)?.op === 'Const' || parts.has(name)) && !!tensors[name]?.[0];
  const isFloatWeight = (name: string) => isWeight(name) && tensors[name][0].dtype === 'float32' && tensors[name][0].size > 1;
  const consumers = new Map<string, GraphNodeDef[]>();
  for (const n of nodes) {for (const i of n.input ?? []) {
    if (i.startsWith('^')) continue;
    const src = inputNode(i);
    consumers.set(src, [...(consumers.get(src) ?? []), n]);
  }}
  const ref = (name: string): WeightRef => ({ name, shape: [...tensors[name][0].shape], value: () => tensors[name][0] });
  const claimed = new Set<string>();
  /** reportAs: the node whose output is the layer's activation (the attached bias add, if any) */
  type Pending = { node: GraphNodeDef; weights: WeightRef[]; main: number; reportAs: string; owned: string[] };
  const pending: Pending[] = [];

  for (const n of nodes) {
    const isKernelOp = CONV_OPS.has(n.op) || DEPTHWISE_OPS.has(n.op) || MATMUL_OPS.has(n.op);
    if (!isKernelOp) continue;
    const ins = (n.input ?? []).filter((i) => !i.startsWith('^')).map(inputNode);
    const kernelIdx = CONV_OPS.has(n.op) || DEPTHWISE_OPS.has(n.op) ? (isFloatWeight(ins[1] ?? '') ? 1 : -1) : ins.slice(0, 2).findIndex(isFloatWeight);
    if (kernelIdx < 0) continue;
    const ws = [ins[kernelIdx]];
    for (const extra of ins.slice(2)) if (isWeight(extra)) ws.push(extra); // fused bias, prelu alpha
    let reportAs = n.name;
    const next = consumers.get(n.name);
    if (next?.length === 1 && BIAS_OPS.has(next[0].op)) {
      const other = (next[0].input ?? []).map(inputNode).find((i) => i !== n.name);
      if (other && isFloatWeight(other) && !claimed.has(other)) {
        ws.push(other);
        reportAs = next[0].name;
      }
    }
    // a weight shared by several ops counts in the params of the first only
    const owned = ws.filter((w) => !claimed.has(w));
    ws.forEach((w) => [w, ...(parts.get(w) ?? [])].forEach((x) => claimed.add(x)));
    pending.push({ node: n, weights: ws.map(ref), main: 0, reportAs, owned });
  }
  const kernelNodes = new Set(pending.map((p) => p.node));
  for (const n of nodes) {
    if (n.op === 'Const' || kernelNodes.has(n) || parts.has(n.name)) continue;
    const ws = (n.input ?? []).map(inputNode).filter((i) => isFloatWeight(i) && !claimed.has(i));
    if (ws.length === 0) continue;
    ws.forEach((w) => claimed.add(w));
    const refs = ws.map(ref);
    const main = refs.reduce((best, w, i) => (prod(w.shape) > prod(refs[best].shape) ? i : best), 0);
    pending.push({ node: n, weights: refs, main, reportAs: n.name, owned: ws });
  }

  const order = new Map(nodes.map((n, i) => [n, i]));
  pending.sort((a, b) => order.get(a.node)! - order.get(b.node)!);
  const probe = await probeShapes(graph, pending.map((p) => p.reportAs));
  return pending.map((p) => {
    const shape = probe?.shapes.get(p.reportAs);
    const batch = probe?.batch ?? 1;
    const kernel = p.weights[p.main].shape;
    // MACs from element counts, so NHWC and NCHW need no special case
    let macs = 0;
    if (shape) {
      const outEl = prod(shape);
      if (CONV_OPS.has(p.node.op)) macs = outEl * prod(kernel.slice(0, -1));
      else if (DEPTHWISE_OPS.has(p.node.op)) macs = outEl * prod(kernel.slice(0, -2));
      else if (MATMUL_OPS.has(p.node.op)) {
        const asB = (p.node.input ?? []).map(inputNode).indexOf(p.weights[0].name) === 1;
        const r = kernel.length;
        const k = asB ? (attrBool(p.node, 'transpose_b') || attrBool(p.node, 'adj_y') ? kernel[r - 1] : kernel[r - 2]) : attrBool(p.node, 'transpose_a') || attrBool(p.node, 'adj_x') ? kernel[r - 2] : kernel[r - 1];
        macs = outEl * k;
      } else if (BN_OPS.has(p.node.op)) macs = outEl;
      macs /= batch;
    }
    const activationShape: Shape = shape ? shape.map((d, i) => (i === 0 && (graph.inputs[0]?.shape?.[0] ?? -1) < 0 ? null : d)) : [null];
    return {
      name: p.node.name,
      kind: p.node.op,
      params: p.weights.filter((w) => p.owned.includes(w.name)).reduce((s, w) => s + prod(w.shape), 0),
      flops: macs,
      activationShape,
      weights: p.weights,
      main: p.main,
    };
  });
}
