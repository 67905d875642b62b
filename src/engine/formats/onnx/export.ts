// tfjs layers model → ONNX (opset 21), one emitter per layer kind (EMITTERS), every model output kept. Inside
// the graph activations are NCHW (the ONNX convention for Conv and pools); the graph input stays NHWC like the
// datasets, with one Transpose after it, and a Transpose back before Flatten so Dense weights keep tfjs's
// flatten order. Weights:
//   'float': float32 initializers (the simulated, i.e. dequantized, values)
//   'qdq':   quantized kernels as integer initializers → DequantizeLinear (per-axis on axis 0); int4/uint4
//            packed two per byte for codes that fit 4 bits, int8/uint8 for 5–8, int16/uint16 up to 16.
import * as tf from '../../backend/tf';
import { UserError } from '../../core/errors';
import { isAffine } from '../../quant/quantizers';
import type { PlanLayer } from '../../export/plan';
import { DT, DT_NAME, chooseContainer, floatAttr, floatTensor, intTensor, int64Tensor, intAttr, intsAttr, prod, stringAttr, type NodeProto, type TensorProto } from './proto';
import type onnxProto from 'onnx-proto';

const EXPORT_OPSET = 21;
const EXPORT_IR_VERSION = 10;

export interface OnnxExport {
  model: onnxProto.onnx.IModelProto;
  /** per plan layer: the initializers it owns (their payload bytes are the layer's bytes) */
  inits: Map<string, string[]>;
  /** per plan layer: what the target could not store as the policy says */
  flags: Map<string, string[]>;
  /** per plan layer: the container used for its kernel ("int4", "float32" …) */
  storage: Map<string, string>;
  /** per weight: the tensor name carrying its float value in the graph (DQ output or initializer) and the expected value in ONNX layout */
  expected: { layer: string; tensor: string; values: Float32Array }[];
}

type Layout = 'nhwc' | 'nchw' | 'vec';
interface Val {
  name: string;
  layout: Layout;
}

/** Transposes a row-major array of `shape` by `perm`. */
export function transpose<T extends Float32Array | Int32Array>(values: T, shape: number[], perm: number[]): { values: T; shape: number[] } {
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p]);
  const inStrides = new Array<number>(rank);
  let s = 1;
  for (let d = rank - 1; d >= 0; d--) {
    inStrides[d] = s;
    s *= shape[d];
  }
  const out = new (values.constructor as new (n: number) => T)(values.length);
  const idx = new Array<number>(rank).fill(0);
  const stride = perm.map((p) => inStrides[p]);
  for (let o = 0; o < values.length; o++) {
    let src = 0;
    for (let d = 0; d < rank; d++) src += idx[d] * stride[d];
    out[o] = values[src];
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < outShape[d]) break;
      idx[d] = 0;
    }
  }
  return { values: out, shape: outShape };
}

interface Inbound {
  inboundLayers: tf.layers.Layer[];
}

function inboundOf(layer: tf.layers.Layer): tf.layers.Layer[] {
  const nodes = (layer as unknown as { inboundNodes: Inbound[] }).inboundNodes;
  if (nodes.length > 1) throw new UserError(`layer ${layer.name} is shared (called ${nodes.length} times); ONNX export supports each layer once`);
  return nodes[0]?.inboundLayers ?? [];
}

/** What an emitter gets: the layer's name, config, inputs (already exported) and plan entry. */
interface EmitArgs {
  name: string;
  kind: string;
  cfg: Record<string, unknown> & { activation?: string };
  ins: Val[];
  pl: PlanLayer | undefined;
}

/** The graph being built, as emitters use it. */
interface EmitContext {
  node(opType: string, input: string[], output: string[], name: string, attribute?: NodeProto['attribute']): void;
  init(t: TensorProto, layer?: string): void;
  fresh(base: string): string;
  asNchw(v: Val): string;
  asNhwc(v: Val): string;
  /** a weight of the plan layer in ONNX layout (`perm`/`dims` from tfjs's); returns the tensor to consume */
  weight(l: PlanLayer, wi: number, perm: number[] | null, dims: number[] | null): string;
  activation(name: string, act: string | undefined, input: string, layout: Layout): string;
}

/** One layer kind → ONNX nodes; returns the layer's output value. */
type Emitter = (cx: EmitContext, a: EmitArgs) => Val;

/** Index of the plan weight whose tfjs name ends with `suffix` (kernel, bias, gamma …), -1 when absent. */
const widx = (pl: PlanLayer | undefined, suffix: string) => pl?.weights.findIndex((w) => new RegExp(`(^|/)${suffix}(_\\d+)?$`).test(w.name)) ?? -1;

function needWeights(a: EmitArgs): PlanLayer {
  if (!a.pl) throw new UserError(`layer ${a.name}: no weights`);
  return a.pl;
}

function spatialAttrs(cfg: { padding?: string; strides?: number | number[]; dilationRate?: number | number[] }) {
  const pair = (v: number | number[] | undefined) => (v === undefined ? [1, 1] : Array.isArray(v) ? (v.length === 1 ? [v[0], v[0]] : v) : [v, v]);
  // TF 'same' puts the extra row/column at the end: that is SAME_UPPER
  const pad = cfg.padding === 'same' ? [stringAttr('auto_pad', 'SAME_UPPER')] : [intsAttr('pads', [0, 0, 0, 0])];
  return { strides: pair(cfg.strides), dilations: pair(cfg.dilationRate), pad };
}

const conv: Emitter = (cx, a) => {
  const pl = needWeights(a);
  const x = cx.asNchw(a.ins[0]);
  const depth = a.kind === 'DepthwiseConv2D';
  const ki = widx(pl, depth ? 'depthwise_kernel' : 'kernel');
  const [kh, kw, cin, cout] = pl.weights[ki].shape;
  const W = depth ? cx.weight(pl, ki, [2, 3, 0, 1], [cin * cout, 1, kh, kw]) : cx.weight(pl, ki, [3, 2, 0, 1], null);
  const bi = widx(pl, 'bias');
  const inputs = [x, W, ...(bi >= 0 ? [cx.weight(pl, bi, null, null)] : [])];
  const sp = spatialAttrs(a.cfg as never);
  const y = `${a.name}_conv`;
  cx.node('Conv', inputs, [y], a.name, [intsAttr('kernel_shape', [kh, kw]), intsAttr('strides', sp.strides), intsAttr('dilations', sp.dilations), ...sp.pad, ...(depth ? [intAttr('group', cin)] : [])]);
  return { name: cx.activation(a.name, a.cfg.activation, y, 'nchw'), layout: 'nchw' };
};

const dense: Emitter = (cx, a) => {
  const pl = needWeights(a);
  if (a.ins[0].layout !== 'vec') throw new UserError(`layer ${a.name}: Dense on a feature map (rank > 2) is not exported; flatten first`);
  const W = cx.weight(pl, widx(pl, 'kernel'), [1, 0], null);
  const bi = widx(pl, 'bias');
  const y = `${a.name}_gemm`;
  cx.node('Gemm', [a.ins[0].name, W, ...(bi >= 0 ? [cx.weight(pl, bi, null, null)] : [])], [y], a.name, [intAttr('transB', 1)]);
  return { name: cx.activation(a.name, a.cfg.activation, y, 'vec'), layout: 'vec' };
};

const batchNorm: Emitter = (cx, a) => {
  const pl = needWeights(a);
  const axis = a.cfg.axis as number | number[];
  const x0 = a.ins[0];
  if (!(axis === -1 || axis === 3 || (Array.isArray(axis) && axis.length === 1 && (axis[0] === -1 || axis[0] === 3))) && x0.layout !== 'vec')
    {throw new UserError(`layer ${a.name}: BatchNormalization over axis ${JSON.stringify(axis)} is not exported`);}
  const x = x0.layout === 'vec' ? x0.name : cx.asNchw(x0);
  const get = (s: string, fill: number) => {
    const i = widx(pl, s);
    if (i >= 0) return cx.weight(pl, i, null, null);
    const c = pl.weights[widx(pl, 'moving_mean')].shape[0];
    const n = `${a.name}_${s}_default`;
    cx.init(floatTensor(n, [c], new Float32Array(c).fill(fill)), a.name);
    return n;
  };
  const y = `${a.name}_bn`;
  cx.node('BatchNormalization', [x, get('gamma', 1), get('beta', 0), get('moving_mean', 0), get('moving_variance', 1)], [y], a.name, [floatAttr('epsilon', (a.cfg.epsilon as number) ?? 1e-3)]);
  return { name: y, layout: x0.layout === 'vec' ? 'vec' : 'nchw' };
};

const activationLayer =
  (act?: string): Emitter =>
  (cx, a) => ({ name: cx.activation(a.name, act ?? a.cfg.activation, a.ins[0].name, a.ins[0].layout), layout: a.ins[0].layout });

const pool: Emitter = (cx, a) => {
  const x = cx.asNchw(a.ins[0]);
  const ps = a.cfg.poolSize as number[];
  const st = (a.cfg.strides as number[] | null) ?? ps;
  const attrs = [intsAttr('kernel_shape', ps), intsAttr('strides', st), ...(a.cfg.padding === 'same' ? [stringAttr('auto_pad', 'SAME_UPPER')] : [intsAttr('pads', [0, 0, 0, 0])])];
  cx.node(a.kind === 'MaxPooling2D' ? 'MaxPool' : 'AveragePool', [x], [a.name], a.name, attrs);
  return { name: a.name, layout: 'nchw' };
};

const globalPool: Emitter = (cx, a) => {
  const x = cx.asNchw(a.ins[0]);
  const p = `${a.name}_pool`;
  cx.node(a.kind === 'GlobalAveragePooling2D' ? 'GlobalAveragePool' : 'GlobalMaxPool', [x], [p], p);
  cx.node('Flatten', [p], [a.name], a.name, [intAttr('axis', 1)]);
  return { name: a.name, layout: 'vec' };
};

const flatten: Emitter = (cx, a) => {
  cx.node('Flatten', [cx.asNhwc(a.ins[0])], [a.name], a.name, [intAttr('axis', 1)]);
  return { name: a.name, layout: 'vec' };
};

const add: Emitter = (cx, a) => {
  const lay = a.ins.every((v) => v.layout === a.ins[0].layout) ? a.ins[0].layout : 'nchw';
  const names = a.ins.map((v) => (lay === 'nchw' ? cx.asNchw(v) : v.name));
  let acc = names[0];
  for (let i = 1; i < names.length; i++) {
    const o = i === names.length - 1 ? a.name : cx.fresh(`${a.name}_partial`);
    cx.node('Add', [acc, names[i]], [o], o);
    acc = o;
  }
  return { name: acc, layout: lay };
};

const zeroPadding: Emitter = (cx, a) => {
  const x = cx.asNchw(a.ins[0]);
  const p = a.cfg.padding as [[number, number], [number, number]];
  const pads = `${a.name}_pads`;
  cx.init(int64Tensor(pads, [0, 0, p[0][0], p[1][0], 0, 0, p[0][1], p[1][1]]));
  cx.node('Pad', [x, pads], [a.name], a.name);
  return { name: a.name, layout: 'nchw' };
};

const passThrough: Emitter = (_cx, a) => a.ins[0];

/** tfjs Permute (dims over the non-batch axes) as a Transpose of the tensor tfjs sees, e.g. an NCHW output. */
const permute: Emitter = (cx, a) => {
  const dims = a.cfg.dims as number[];
  cx.node('Transpose', [cx.asNhwc(a.ins[0])], [a.name], a.name, [intsAttr('perm', [0, ...dims])]);
  // whatever tfjs now calls [N, d1, d2, d3] is what the ONNX tensor holds, in the same order
  return { name: a.name, layout: dims.length === 3 ? 'nhwc' : 'vec' };
};

/** The table: tfjs layer class name → emitter. A new layer kind is one function and one line here. */
const EMITTERS: Record<string, Emitter> = {
  Conv2D: conv,
  DepthwiseConv2D: conv,
  Dense: dense,
  BatchNormalization: batchNorm,
  Activation: activationLayer(),
  ReLU: activationLayer('relu'),
  Softmax: activationLayer('softmax'),
  MaxPooling2D: pool,
  AveragePooling2D: pool,
  GlobalAveragePooling2D: globalPool,
  GlobalMaxPooling2D: globalPool,
  Flatten: flatten,
  Add: add,
  ZeroPadding2D: zeroPadding,
  Permute: permute,
  Dropout: passThrough,
  SpatialDropout2D: passThrough,
};

/**
 * Builds the ONNX model. `plan` gives each weighted layer's simulated values and quantized codes; layers are
 * matched by name. Each layer is written by its kind's emitter (EMITTERS).
 */
export function exportOnnx(model: tf.LayersModel, plan: PlanLayer[], mode: 'float' | 'qdq', metadata: Record<string, string> = {}, outputNames?: string[]): OnnxExport {
  const byLayer = new Map(plan.map((l) => [l.name, l]));
  const nodes: NodeProto[] = [];
  const inits: TensorProto[] = [];
  const owned = new Map<string, string[]>();
  const flags = new Map<string, string[]>();
  const storage = new Map<string, string>();
  const expected: OnnxExport['expected'] = [];
  const vals = new Map<string, Val>();
  let uid = 0;
  const fresh = (base: string) => `${base}_${++uid}`;
  const flag = (layer: string, f: string) => flags.set(layer, [...(flags.get(layer) ?? []), f]);
  const own = (layer: string, name: string) => owned.set(layer, [...(owned.get(layer) ?? []), name]);
  const node = (opType: string, input: string[], output: string[], name: string, attribute: NodeProto['attribute'] = []) =>
    nodes.push({ opType, input, output, name, attribute });

  if (model.inputs.length !== 1) throw new UserError('ONNX export supports models with one input');
  const inShape = model.inputs[0].shape;
  // a Sequential model does not list its input layer in inputLayers; the input tensor names it in both kinds
  const inputLayer = model.inputs[0].sourceLayer;
  vals.set(inputLayer.name, { name: 'input', layout: inShape.length === 4 ? 'nhwc' : 'vec' });

  const transposed = new Map<string, string>();
  const asNchw = (v: Val): string => {
    if (v.layout === 'nchw') return v.name;
    if (v.layout !== 'nhwc') throw new UserError(`tensor ${v.name} is not a feature map (needs rank 4 for a spatial layer)`);
    if (!transposed.has(v.name)) {
      const out = fresh(`${v.name}_nchw`);
      node('Transpose', [v.name], [out], out, [intsAttr('perm', [0, 3, 1, 2])]);
      transposed.set(v.name, out);
    }
    return transposed.get(v.name)!;
  };
  const asNhwc = (v: Val): string => {
    if (v.layout !== 'nchw') return v.name;
    const out = fresh(`${v.name}_nhwc`);
    node('Transpose', [v.name], [out], out, [intsAttr('perm', [0, 2, 3, 1])]);
    return out;
  };

  /** Emits one weight; `perm`/`dims` map the tfjs layout to the ONNX one. Returns the tensor name to consume. */
  const weight = (l: PlanLayer, wi: number, perm: number[] | null, dims: number[] | null): string => {
    const w = l.weights[wi];
    const base = w.name.replace(/[^A-Za-z0-9_./-]/g, '_');
    const tv = perm ? transpose(w.values, w.shape, perm) : { values: w.values, shape: w.shape };
    const onnxDims = dims ?? tv.shape;
    expected.push({ layer: l.name, tensor: base, values: tv.values });
    const isKernel = wi === l.main;
    if (mode === 'qdq' && isKernel && l.q) {
      const q = l.q;
      if (!isAffine(q)) {
        return codebookWeight(l, base, perm, onnxDims);
      } else {
        // the channel of every element, carried through the same transpose as the codes
        const chan = new Int32Array(q.codes.length);
        if (q.scales.length > 1) {
          const axis = q.spec.axis ?? q.shape.length - 1;
          const inner = prod(q.shape.slice(axis + 1));
          for (let i = 0; i < chan.length; i++) chan[i] = Math.floor(i / inner) % q.shape[axis];
        }
        const codes = perm ? transpose(q.codes, w.shape, perm).values : q.codes;
        const ch = perm ? transpose(chan, w.shape, perm).values : chan;
        const rows = onnxDims[0];
        const per = codes.length / rows;
        let scales: Float32Array;
        let zps: Int32Array;
        let perAxis = q.scales.length > 1;
        if (perAxis) {
          // per-axis on ONNX axis 0: every row must hold a single policy channel
          scales = new Float32Array(rows);
          zps = new Int32Array(rows);
          for (let r = 0; r < rows; r++) {
            const c = ch[r * per];
            for (let k = 1; k < per; k++) {
              if (ch[r * per + k] !== c) throw new UserError(`layer ${l.name}: its per-channel axis does not map to ONNX axis 0; quantize per output channel`);
            }
            scales[r] = q.scales[c];
            zps[r] = q.zeroPoints[c];
          }
        } else {
          scales = Float32Array.of(q.scales[0]);
          zps = Int32Array.of(q.zeroPoints[0]);
          perAxis = false;
        }
        let lo = 0;
        let hi = 0;
        for (const c of codes) {
          if (c < lo) lo = c;
          if (c > hi) hi = c;
        }
        for (const z of zps) {
          if (z < lo) lo = z;
          if (z > hi) hi = z;
        }
        const dt = chooseContainer(lo, hi);
        const cbits = dt === DT.INT4 || dt === DT.UINT4 ? 4 : dt === DT.INT8 || dt === DT.UINT8 ? 8 : 16;
        if (l.bits < cbits) flag(l.name, `${l.bits}-bit codes in an ${DT_NAME[dt]} container`);
        storage.set(l.name, DT_NAME[dt]);
        const qn = `${base}_quantized`;
        const sn = `${base}_scale`;
        const zn = `${base}_zero_point`;
        inits.push(intTensor(qn, onnxDims, codes, dt));
        inits.push(floatTensor(sn, perAxis ? [rows] : [], scales));
        inits.push(intTensor(zn, perAxis ? [rows] : [], zps, dt));
        [qn, sn, zn].forEach((n) => own(l.name, n));
        node('DequantizeLinear', [qn, sn, zn], [base], `${base}_DequantizeLinear`, perAxis ? [intAttr('axis', 0)] : []);
        return base;
      }
    }
    if (isKernel) storage.set(l.name, 'float32');
    inits.push(floatTensor(base, onnxDims, tv.values));
    own(l.name, base);
    return base;
  };

  /**
   * Codebook kernels (k-means, powers of two) are not affine, so DequantizeLinear alone cannot decode them. They
   * are stored as really packed codes (uint4/uint8) plus the float codebook, decoded in the graph by
   * DequantizeLinear(scale 1) → [+ channel offset] → Cast(int64) → Gather(codebook).
   */
  const codebookWeight = (l: PlanLayer, base: string, perm: number[] | null, onnxDims: number[]): string => {
    const q = l.q!;
    const w = l.weights[l.main];
    const codes = perm ? transpose(q.codes, w.shape, perm).values : q.codes;
    const channels = q.scales.length;
    const dt = chooseContainer(0, q.levels - 1);
    const cbits = dt === DT.INT4 || dt === DT.UINT4 ? 4 : dt === DT.INT8 || dt === DT.UINT8 ? 8 : 16;
    if (l.bits < cbits) flag(l.name, `${l.bits}-bit codebook codes in an ${DT_NAME[dt]} container`);
    storage.set(l.name, `${DT_NAME[dt]} + codebook`);
    const names = { q: `${base}_codes`, s: `${base}_codes_scale`, z: `${base}_codes_zero_point`, f: `${base}_codes_float`, i: `${base}_index`, b: `${base}_codebook`, o: `${base}_codebook_offset`, fo: `${base}_codes_offset` };
    inits.push(intTensor(names.q, onnxDims, codes, dt), floatTensor(names.s, [], Float32Array.of(1)), intTensor(names.z, [], [0], dt), floatTensor(names.b, [q.codebook!.length], q.codebook!));
    [names.q, names.s, names.z, names.b].forEach((n) => own(l.name, n));
    node('DequantizeLinear', [names.q, names.s, names.z], [names.f], `${base}_DequantizeLinear`);
    let idxIn = names.f;
    if (channels > 1) {
      // per-channel codebooks: row r of the ONNX weight reads codebook block channel(r)·levels
      const axis = q.spec.axis ?? q.shape.length - 1;
      const inner = prod(q.shape.slice(axis + 1));
      const chan = Int32Array.from({ length: q.codes.length }, (_, i) => Math.floor(i / inner) % q.shape[axis]);
      const ch = perm ? transpose(chan, w.shape, perm).values : chan;
      const rows = onnxDims[0];
      const per = ch.length / rows;
      const off = new Float32Array(rows);
      for (let r = 0; r < rows; r++) {
        for (let k = 1; k < per; k++) if (ch[r * per + k] !== ch[r * per]) throw new UserError(`layer ${l.name}: its per-channel axis does not map to ONNX axis 0; quantize per output channel`);
        off[r] = ch[r * per] * q.levels;
      }
      inits.push(floatTensor(names.o, [rows, ...onnxDims.slice(1).map(() => 1)], off));
      own(l.name, names.o);
      node('Add', [names.f, names.o], [names.fo], `${base}_AddOffset`);
      idxIn = names.fo;
    }
    node('Cast', [idxIn], [names.i], `${base}_Cast`, [intAttr('to', DT.INT64)]);
    node('Gather', [names.b, names.i], [base], `${base}_Gather`, [intAttr('axis', 0)]);
    return base;
  };

  const activation = (name: string, act: string | undefined, input: string, layout: Layout): string => {
    if (!act || act === 'linear') return input;
    const out = `${name}_${act}`;
    if (act === 'relu') node('Relu', [input], [out], out);
    else if (act === 'sigmoid') node('Sigmoid', [input], [out], out);
    else if (act === 'tanh') node('Tanh', [input], [out], out);
    else if (act === 'softmax') {
      if (layout !== 'vec') throw new UserError(`layer ${name}: softmax over a feature map is not exported`);
      node('Softmax', [input], [out], out, [intAttr('axis', -1)]);
    } else if (act === 'relu6') {
      const lo = `${name}_clip_min`;
      const hi = `${name}_clip_max`;
      inits.push(floatTensor(lo, [], Float32Array.of(0)), floatTensor(hi, [], Float32Array.of(6)));
      node('Clip', [input, lo, hi], [out], out);
    } else throw new UserError(`layer ${name}: activation "${act}" is not supported by the ONNX exporter`);
    return out;
  };

  const cx: EmitContext = {
    node,
    init: (t, layer) => {
      inits.push(t);
      if (layer) own(layer, t.name ?? '');
    },
    fresh,
    asNchw,
    asNhwc,
    weight,
    activation,
  };

  for (const layer of model.layers) {
    if (layer === inputLayer) continue;
    const kind = layer.getClassName();
    const ins = inboundOf(layer).map((l) => {
      const v = vals.get(l.name);
      if (!v) throw new UserError(`layer ${layer.name}: input ${l.name} was not exported before it`);
      return v;
    });
    const cfg = layer.getConfig() as EmitArgs['cfg'] & { dataFormat?: string };
    if (cfg.dataFormat === 'channelsFirst') throw new UserError(`layer ${layer.name}: channelsFirst layers are not exported`);
    const emit = EMITTERS[kind];
    if (!emit) throw new UserError(`layer ${layer.name}: ${kind} is not supported by the ONNX exporter (supported: ${Object.keys(EMITTERS).join(', ')})`);
    vals.set(layer.name, emit(cx, { name: layer.name, kind, cfg, ins, pl: byLayer.get(layer.name) }));
  }

  // every model output, NHWC again for feature maps; one output keeps the name 'output'
  const dim = (d: number | null) => (d === null ? { dimParam: 'N' } : { dimValue: d });
  const produced = new Set(nodes.flatMap((n) => n.output ?? []));
  const outputs = model.outputs.map((o, i) => {
    const layer = o.sourceLayer;
    const v = vals.get(layer.name);
    if (!v) throw new UserError(`output layer ${layer.name} was not exported`);
    const name = model.outputs.length === 1 ? 'output' : (outputNames?.[i] ?? layer.name).replace(/[^A-Za-z0-9_./:-]/g, '_');
    let src = asNhwc(v);
    if (produced.has(name) || inits.some((t) => t.name === name)) {
      // the output's name is already an inner tensor's: rename that tensor so the graph output can have it
      const inner = fresh(`${name}_inner`);
      for (const n of nodes) {
        n.output = (n.output ?? []).map((x) => (x === name ? inner : x));
        n.input = (n.input ?? []).map((x) => (x === name ? inner : x));
      }
      if (src === name) src = inner;
    }
    node('Identity', [src], [name], `${name}_identity`);
    return { name, type: { tensorType: { elemType: DT.FLOAT, shape: { dim: o.shape.map(dim) } } } };
  });
  const meta = { 'layerlens.input_layout': inShape.length === 4 ? 'NHWC' : 'NC', ...metadata };
  return {
    model: {
      irVersion: EXPORT_IR_VERSION,
      producerName: 'layerlens',
      producerVersion: '0.1.0',
      opsetImport: [{ domain: '', version: EXPORT_OPSET }],
      metadataProps: Object.entries(meta).map(([key, value]) => ({ key, value })),
      graph: {
        name: model.name,
        node: nodes,
        initializer: inits,
        input: [{ name: 'input', type: { tensorType: { elemType: DT.FLOAT, shape: { dim: inShape.map(dim) } } } }],
        output: outputs,
      },
    },
    inits: owned,
    flags,
    storage,
    expected,
  };
}
