// Which layers can be factorised, what they cost at a rank, and the factorised model itself.
import * as tf from '../backend/tf';
import { UserError } from '../core/errors';
import { layersCosts, layerFlops, prod } from '../models/flops';
import { rewriteModel, type NewLayer, type Replacements } from '../models/rewrite';
import { factorKernels, kernelToMatrix, matrixShape, type Scheme } from './reshape';
import { svd, type SvdMethod } from './svd';
import type { LayerDecomposition } from '../../shared/api-lowrank';

export interface Candidate {
  name: string;
  kind: 'conv' | 'dense';
  /** position among the model's layers */
  index: number;
  kernelShape: number[];
  /** the reshaped matrix under the scheme it was listed for */
  matrix: [number, number];
  fullRank: number;
  strides: [number, number];
  /** input H, W (conv) or rows (dense) */
  inH: number;
  inW: number;
  outH: number;
  outW: number;
  useBias: boolean;
  flops: number;
  params: number;
  /** the first / last weighted layer of the network (TRP leaves both alone by default) */
  first: boolean;
  last: boolean;
}

const shapeOf = (t: tf.SymbolicTensor | tf.SymbolicTensor[]) => (Array.isArray(t) ? t[0].shape : t.shape);

/** Every Conv2D (channels-last, no dilation) and Dense layer of a layers model, with its geometry. */
export function candidates(model: tf.LayersModel, scheme: Scheme): Candidate[] {
  const out: Candidate[] = [];
  const weighted = model.layers.filter((l) => l.weights.length > 0 && ['Conv2D', 'Dense', 'DepthwiseConv2D', 'SeparableConv2D', 'Conv2DTranspose'].includes(l.getClassName()));
  model.layers.forEach((layer, index) => {
    const cls = layer.getClassName();
    if (cls !== 'Conv2D' && cls !== 'Dense') return;
    const cfg = layer.getConfig() as { dataFormat?: string; dilationRate?: number | number[]; strides?: number | number[]; useBias?: boolean };
    let inShape: (number | null)[];
    let outShape: (number | null)[];
    try {
      if (layer.inboundNodes.length !== 1) return; // shared layers: not rewritable
      inShape = shapeOf(layer.input as tf.SymbolicTensor);
      outShape = shapeOf(layer.output as tf.SymbolicTensor);
    } catch {
      return;
    }
    const kernel = layer.weights[0].shape as number[];
    const common = {
      name: layer.name,
      index,
      kernelShape: kernel,
      useBias: cfg.useBias !== false,
      flops: layerFlops(layer),
      params: layer.weights.reduce((s, w) => s + prod(w.shape as number[]), 0),
      first: weighted[0] === layer,
      last: weighted[weighted.length - 1] === layer,
    };
    if (cls === 'Conv2D') {
      const dil = [cfg.dilationRate ?? 1].flat();
      if (cfg.dataFormat === 'channelsFirst' || dil.some((d) => d !== 1)) return;
      const st = [cfg.strides ?? 1].flat();
      const [inH, inW] = [inShape[1], inShape[2]];
      const [outH, outW] = [outShape[1], outShape[2]];
      if (!inH || !inW || !outH || !outW) return;
      const m = matrixShape(kernel, scheme);
      out.push({ ...common, kind: 'conv', matrix: m, fullRank: Math.min(...m), strides: [st[0], st[1] ?? st[0]], inH, inW, outH, outW });
    } else {
      if (kernel.length !== 2) return;
      const rows = prod(outShape.slice(1, -1).map((d) => d ?? 0));
      const m = matrixShape(kernel, scheme);
      out.push({ ...common, kind: 'dense', matrix: m, fullRank: Math.min(...m), strides: [1, 1], inH: rows, inW: 1, outH: rows, outW: 1 });
    }
  });
  return out;
}

/** MACs and params of the factorised pair at rank r (see reshape.ts for the layouts). */
export function costAt(c: Candidate, scheme: Scheme, r: number): { flops: number; params: number } {
  const bias = c.useBias ? c.kernelShape[c.kernelShape.length - 1] : 0;
  if (c.kind === 'dense') {
    const [inU, outU] = c.kernelShape;
    return { flops: r * (inU + outU) * c.inH, params: r * (inU + outU) + bias };
  }
  const [kh, kw, ch, n] = c.kernelShape;
  if (scheme === 'channel') {
    return { flops: r * kh * kw * ch * c.outH * c.outW + r * n * c.outH * c.outW, params: r * kh * kw * ch + r * n + bias };
  }
  // the vertical factor keeps the full input width (kernel width 1, stride 1)
  return { flops: kh * ch * r * c.outH * c.inW + kw * r * n * c.outH * c.outW, params: kh * ch * r + kw * r * n + bias };
}

/** The largest rank whose factorisation costs fewer MACs than the layer (0: factorising never pays). */
export function maxUsefulRank(c: Candidate, scheme: Scheme): number {
  let r = 0;
  while (r + 1 <= c.fullRank && costAt(c, scheme, r + 1).flops < c.flops) r++;
  return r;
}

export interface SelectOptions {
  /** explicit layer names; overrides the rule below */
  layers?: string[];
  /** include the network's first weighted layer (default false, as in the authors' code) */
  includeFirst?: boolean;
  /** include the last weighted layer, normally the classifier (default false: "the final FC is never factorised") */
  includeLast?: boolean;
  /** include strided convs (default false: the code projects them but factorises only stride-1 convs) */
  includeStrided?: boolean;
  /** include 1×1 convs (default false) */
  includePointwise?: boolean;
  /** include Dense layers other than the last (default true) */
  includeDense?: boolean;
}

/** The layers to project and factorise (methods.md §2.3(e) by default). */
export function selectLayers(cands: Candidate[], opts: SelectOptions = {}): Candidate[] {
  if (opts.layers?.length) {
    const byName = new Map(cands.map((c) => [c.name, c]));
    return opts.layers.map((n) => {
      const c = byName.get(n);
      if (!c) throw new UserError(`layer "${n}" is not a factorisable Conv2D/Dense layer of this model (have: ${cands.map((x) => x.name).join(', ')})`);
      return c;
    });
  }
  return cands.filter((c) => {
    if (c.first && !opts.includeFirst) return false;
    if (c.last && !opts.includeLast) return false;
    if (c.kind === 'dense') return opts.includeDense !== false;
    if (!opts.includeStrided && (c.strides[0] > 1 || c.strides[1] > 1)) return false;
    if (!opts.includePointwise && c.kernelShape[0] * c.kernelShape[1] === 1) return false;
    return true;
  });
}

export interface Decomposed {
  model: tf.LayersModel;
  layers: LayerDecomposition[];
  flopsBefore: number;
  flopsAfter: number;
  paramsBefore: number;
  paramsAfter: number;
}

export const modelFlops = (m: tf.LayersModel) => layersCosts(m).reduce((s, l) => s + l.flops, 0);
const modelParams = (m: tf.LayersModel) => m.countParams();

/** Keras-form configs of the two factors, derived from the original layer's config. */
function factorLayers(layer: tf.layers.Layer, orig: Record<string, unknown>, c: Candidate, scheme: Scheme, first: tf.Tensor, second: tf.Tensor, bias: tf.Tensor | null): NewLayer[] {
  const r = first.shape[first.shape.length - 1];
  const a: Record<string, unknown> = { ...orig, name: `${c.name}_lr1`, use_bias: false, activation: 'linear', bias_regularizer: null, bias_constraint: null, activity_regularizer: null };
  const b: Record<string, unknown> = { ...orig, name: `${c.name}_lr2` };
  // rewriteModel puts a Sequential model's input shape on the first of the chain
  delete a.batch_input_shape;
  delete b.batch_input_shape;
  if (c.kind === 'dense') {
    Object.assign(a, { units: r });
  } else if (scheme === 'channel') {
    Object.assign(a, { filters: r });
    Object.assign(b, { kernel_size: [1, 1], strides: [1, 1], padding: 'valid' });
  } else {
    Object.assign(a, { filters: r, kernel_size: [c.kernelShape[0], 1], strides: [c.strides[0], 1] });
    Object.assign(b, { kernel_size: [1, c.kernelShape[1]], strides: [1, c.strides[1]] });
  }
  const cls = layer.getClassName();
  return [
    { className: cls, config: a, weights: [first] },
    { className: cls, config: b, weights: bias ? [second, bias] : [second] },
  ];
}

// tfjs converts camelCase configs to Keras' snake_case when it serialises a model; do the same for one layer
/** Every layer's config as model.json stores it (snake_case), from the model's own serialisation. */
function kerasConfigs(model: tf.LayersModel): Map<string, Record<string, unknown>> {
  const topo = model.toJSON(undefined, false) as unknown as { config: { layers: { config: Record<string, unknown> & { name: string } }[] } | { config: Record<string, unknown> & { name: string } }[] };
  const list = Array.isArray(topo.config) ? topo.config : topo.config.layers;
  return new Map(list.map((l) => [l.config.name, l.config]));
}

/**
 * Factorises the given layers at the given ranks (SVD of the scheme's matrix, no fine-tuning). A rank that would
 * not lower the layer's MACs leaves the layer whole. Returns a new model; `model` is untouched.
 */
export async function decomposeModel(
  model: tf.LayersModel,
  scheme: Scheme,
  ranks: Record<string, number>,
  opts: { svdMethod?: SvdMethod; /** factorise even where it costs more MACs (tests: full rank reproduces the layer) */ force?: boolean } = {},
): Promise<Decomposed> {
  const cands = new Map(candidates(model, scheme).map((c) => [c.name, c]));
  const replacements: Replacements = {};
  const layers: LayerDecomposition[] = [];
  const owned: tf.Tensor[] = [];
  const configs = kerasConfigs(model);
  try {
    for (const [name, rankIn] of Object.entries(ranks)) {
      const c = cands.get(name);
      if (!c) throw new UserError(`layer "${name}" is not a factorisable Conv2D/Dense layer of this model`);
      const rank = Math.max(1, Math.min(c.fullRank, Math.round(rankIn)));
      const after = costAt(c, scheme, rank);
      const decomposed = opts.force === true || after.flops < c.flops;
      layers.push({
        name,
        kind: c.kind,
        rank,
        fullRank: c.fullRank,
        decomposed,
        flopsBefore: c.flops,
        flopsAfter: decomposed ? after.flops : c.flops,
        paramsBefore: c.params,
        paramsAfter: decomposed ? after.params : c.params,
      });
      if (!decomposed) continue;
      const layer = model.getLayer(name);
      // getWeights hands out the variables' own tensors: read them, never dispose them
      const [kernel, bias] = layer.getWeights();
      const d = svd(kernelToMatrix(kernel.dataSync(), c.kernelShape, scheme), { vectors: true, method: opts.svdMethod });
      const f = factorKernels(d, rank, c.kernelShape, scheme);
      const first = tf.tensor(f.first.data, f.first.shape);
      const second = tf.tensor(f.second.data, f.second.shape);
      const b = bias ? bias.clone() : null;
      owned.push(first, second, ...(b ? [b] : []));
      replacements[name] = factorLayers(layer, configs.get(name)!, c, scheme, first, second, b);
    }
    const out = await rewriteModel(model, replacements);
    const flopsBefore = modelFlops(model);
    const flopsAfter = modelFlops(out);
    return { model: out, layers, flopsBefore, flopsAfter, paramsBefore: modelParams(model), paramsAfter: modelParams(out) };
  } finally {
    tf.dispose(owned);
  }
}
