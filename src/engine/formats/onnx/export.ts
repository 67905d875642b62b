// tfjs layers model → ONNX (opset 21). Inside the graph activations are NCHW (the ONNX convention for Conv and
// pools); the graph input stays NHWC like the datasets, with one Transpose after it, and a Transpose back
// before Flatten so Dense weights keep tfjs's flatten order. Weights:
//   'float': float32 initializers (the simulated, i.e. dequantized, values)
//   'qdq':   quantized kernels as integer initializers → DequantizeLinear (per-axis on axis 0); int4/uint4
//            packed two per byte for codes that fit 4 bits, int8/uint8 for 5–8, int16/uint16 up to 16.
import * as tf from '../../backend/tf';
import { UserError } from '../../core/errors';
import { isAffine } from '../../quant/quantizers';
import type { PlanLayer } from '../../export/plan';
import { DT, DT_NAME, chooseContainer, floatAttr, floatTensor, intTensor, int64Tensor, intAttr, intsAttr, prod, stringAttr, type NodeProto, type TensorProto } from './proto';
import type onnxProto from 'onnx-proto';

export const EXPORT_OPSET = 21;
export const EXPORT_IR_VERSION = 10;

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

/**
 * Builds the ONNX model. `plan` gives each weighted layer's simulated values and quantized codes; layers are
 * matched by name.
 */
export function exportOnnx(model: tf.LayersModel, plan: PlanLayer[], mode: 'float' | 'qdq', metadata: Record<string, string> = {}): OnnxExport {
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

  if (model.inputs.length !== 1 || model.outputs.length !== 1) throw new UserError('ONNX export supports models with one input and one output');
  const inShape = model.inputs[0].shape;
  const inputLayer = model.inputLayers[0];
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

  const spatialAttrs = (cfg: { padding?: string; strides?: number | number[]; dilationRate?: number | number[] }) => {
    const pair = (v: number | number[] | undefined) => (v === undefined ? [1, 1] : Array.isArray(v) ? (v.length === 1 ? [v[0], v[0]] : v) : [v, v]);
    // TF 'same' puts the extra row/column at the end: that is SAME_UPPER
    const pad = cfg.padding === 'same' ? [stringAttr('auto_pad', 'SAME_UPPER')] : [intsAttr('pads', [0, 0, 0, 0])];
    return { strides: pair(cfg.strides), dilations: pair(cfg.dilationRate), pad };
  };

  for (const layer of model.layers) {
    if (layer === inputLayer) continue;
    const kind = layer.getClassName();
    const ins = inboundOf(layer).map((l) => {
      const v = vals.get(l.name);
      if (!v) throw new UserError(`layer ${layer.name}: input ${l.name} was not exported before it`);
      return v;
    });
    const cfg = layer.getConfig() as Record<string, unknown> & { activation?: string; dataFormat?: string };
    if (cfg.dataFormat === 'channelsFirst') throw new UserError(`layer ${layer.name}: channelsFirst layers are not exported`);
    const name = layer.name;
    const pl = byLayer.get(name);
    const widx = (suffix: string) => pl?.weights.findIndex((w) => new RegExp(`(^|/)${suffix}(_\\d+)?$`).test(w.name)) ?? -1;
    let out: Val;
    switch (kind) {
      case 'Conv2D':
      case 'DepthwiseConv2D': {
        if (!pl) throw new UserError(`layer ${name}: no weights`);
        const x = asNchw(ins[0]);
        const depth = kind === 'DepthwiseConv2D';
        const ki = widx(depth ? 'depthwise_kernel' : 'kernel');
        const k = pl.weights[ki];
        const [kh, kw, cin, cout] = k.shape;
        const W = depth ? weight(pl, ki, [2, 3, 0, 1], [cin * cout, 1, kh, kw]) : weight(pl, ki, [3, 2, 0, 1], null);
        const bi = widx('bias');
        const inputs = [x, W];
        if (bi >= 0) inputs.push(weight(pl, bi, null, null));
        const a = spatialAttrs(cfg as never);
        const y = `${name}_conv`;
        node('Conv', inputs, [y], name, [intsAttr('kernel_shape', [kh, kw]), intsAttr('strides', a.strides), intsAttr('dilations', a.dilations), ...a.pad, ...(depth ? [intAttr('group', cin)] : [])]);
        out = { name: activation(name, cfg.activation, y, 'nchw'), layout: 'nchw' };
        break;
      }
      case 'Dense': {
        if (!pl) throw new UserError(`layer ${name}: no weights`);
        if (ins[0].layout !== 'vec') throw new UserError(`layer ${name}: Dense on a feature map (rank > 2) is not exported; flatten first`);
        const ki = widx('kernel');
        const W = weight(pl, ki, [1, 0], null);
        const bi = widx('bias');
        const inputs = [ins[0].name, W];
        if (bi >= 0) inputs.push(weight(pl, bi, null, null));
        const y = `${name}_gemm`;
        node('Gemm', inputs, [y], name, [intAttr('transB', 1)]);
        out = { name: activation(name, cfg.activation, y, 'vec'), layout: 'vec' };
        break;
      }
      case 'BatchNormalization': {
        if (!pl) throw new UserError(`layer ${name}: no weights`);
        const axis = cfg.axis as number | number[];
        if (!(axis === -1 || axis === 3 || (Array.isArray(axis) && axis.length === 1 && (axis[0] === -1 || axis[0] === 3))) && ins[0].layout !== 'vec')
          {throw new UserError(`layer ${name}: BatchNormalization over axis ${JSON.stringify(axis)} is not exported`);}
        const x = ins[0].layout === 'vec' ? ins[0].name : asNchw(ins[0]);
        const get = (s: string, fill: number) => {
          const i = widx(s);
          if (i >= 0) return weight(pl, i, null, null);
          const c = pl.weights[widx('moving_mean')].shape[0];
          const n = `${name}_${s}_default`;
          inits.push(floatTensor(n, [c], new Float32Array(c).fill(fill)));
          own(name, n);
          return n;
        };
        const y = `${name}_bn`;
        node('BatchNormalization', [x, get('gamma', 1), get('beta', 0), get('moving_mean', 0), get('moving_variance', 1)], [y], name, [floatAttr('epsilon', (cfg.epsilon as number) ?? 1e-3)]);
        out = { name: y, layout: ins[0].layout === 'vec' ? 'vec' : 'nchw' };
        break;
      }
      case 'Activation':
        out = { name: activation(name, cfg.activation, ins[0].layout === 'nhwc' ? ins[0].name : ins[0].name, ins[0].layout), layout: ins[0].layout };
        break;
      case 'ReLU':
        out = { name: activation(name, 'relu', ins[0].name, ins[0].layout), layout: ins[0].layout };
        break;
      case 'Softmax':
        out = { name: activation(name, 'softmax', ins[0].name, ins[0].layout), layout: ins[0].layout };
        break;
      case 'MaxPooling2D':
      case 'AveragePooling2D': {
        const x = asNchw(ins[0]);
        const ps = cfg.poolSize as number[];
        const st = (cfg.strides as number[] | null) ?? ps;
        const attrs = [intsAttr('kernel_shape', ps), intsAttr('strides', st), ...(cfg.padding === 'same' ? [stringAttr('auto_pad', 'SAME_UPPER')] : [intsAttr('pads', [0, 0, 0, 0])])];
        node(kind === 'MaxPooling2D' ? 'MaxPool' : 'AveragePool', [x], [name], name, attrs);
        out = { name, layout: 'nchw' };
        break;
      }
      case 'GlobalAveragePooling2D':
      case 'GlobalMaxPooling2D': {
        const x = asNchw(ins[0]);
        const p = `${name}_pool`;
        node(kind === 'GlobalAveragePooling2D' ? 'GlobalAveragePool' : 'GlobalMaxPool', [x], [p], p);
        node('Flatten', [p], [name], name, [intAttr('axis', 1)]);
        out = { name, layout: 'vec' };
        break;
      }
      case 'Flatten': {
        const x = asNhwc(ins[0]);
        node('Flatten', [x], [name], name, [intAttr('axis', 1)]);
        out = { name, layout: 'vec' };
        break;
      }
      case 'Add': {
        const lay = ins.every((v) => v.layout === ins[0].layout) ? ins[0].layout : 'nchw';
        const names = ins.map((v) => (lay === 'nchw' ? asNchw(v) : v.name));
        let acc = names[0];
        for (let i = 1; i < names.length; i++) {
          const o = i === names.length - 1 ? name : fresh(`${name}_partial`);
          node('Add', [acc, names[i]], [o], o);
          acc = o;
        }
        out = { name: acc, layout: lay };
        break;
      }
      case 'ZeroPadding2D': {
        const x = asNchw(ins[0]);
        const p = cfg.padding as [[number, number], [number, number]];
        const pads = `${name}_pads`;
        inits.push(int64Tensor(pads, [0, 0, p[0][0], p[1][0], 0, 0, p[0][1], p[1][1]]));
        node('Pad', [x, pads], [name], name);
        out = { name, layout: 'nchw' };
        break;
      }
      case 'Dropout':
      case 'SpatialDropout2D':
        out = ins[0];
        break;
      default:
        throw new UserError(`layer ${name}: ${kind} is not supported by the ONNX exporter (supported: Conv2D, DepthwiseConv2D, Dense, BatchNormalization, pools, Flatten, Add, activations)`);
    }
    vals.set(name, out);
  }

  const last = vals.get(model.outputLayers[0].name)!;
  const outName = asNhwc(last);
  node('Identity', [outName], ['output'], 'output');
  const outShape = model.outputs[0].shape;
  const dim = (d: number | null) => (d === null ? { dimParam: 'N' } : { dimValue: d });
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
        output: [{ name: 'output', type: { tensorType: { elemType: DT.FLOAT, shape: { dim: outShape.map(dim) } } } }],
      },
    },
    inits: owned,
    flags,
    storage,
    expected,
  };
}
