// ONNX → tfjs functional LayersModel, so inspection, sensitivity and spectra run on ONNX models unchanged.
// Covers the CNN op set PyTorch and tf2onnx export (Conv, BatchNormalization, Relu, Add, MaxPool,
// AveragePool, GlobalAveragePool, Flatten, Reshape, Gemm, MatMul(+Add bias), Softmax, zero Pad …), opset 13–21, and
// DequantizeLinear on constant weights (QDQ models, ours included). ONNX feature maps are NCHW; the tfjs model
// is NHWC with transposed weights, and Flatten of an NCHW map becomes Permute + Flatten so Dense weights keep
// their meaning. Evaluation of the file itself stays with ONNX Runtime.
import * as tf from '../../backend/tf';
import { UserError } from '../../core/errors';
import { transpose } from './export';
import { attrFloat, attrInt, attrInts, attrString, constantValues, metadataOf, opsetOf, prod, type ModelProto, type NodeProto } from './proto';
import { checkOnnxGraph } from './check';

const IMPORT_OPSETS = { min: 11, max: 21 };

type Layout = 'nchw' | 'nhwc' | 'vec';
interface Val {
  sym: tf.SymbolicTensor;
  layout: Layout;
}

export interface OnnxImport {
  model: tf.LayersModel;
  /** how the file's first input is laid out: NCHW (PyTorch) or NHWC (our own exports) */
  inputLayout: 'NCHW' | 'NHWC' | 'NC';
  opset: number;
  metadata: Record<string, string>;
  /** the graph's output names, in order (the model's outputs follow them) */
  outputNames: string[];
}

const safeName = (s: string) => s.replace(/[^A-Za-z0-9_]/g, '_').replace(/^_+/, '') || 'node';

export function onnxToLayers(m: ModelProto, where: string): OnnxImport {
  const opset = opsetOf(m);
  if (opset < IMPORT_OPSETS.min || opset > IMPORT_OPSETS.max) throw new UserError(`ONNX opset ${opset} is not supported (this importer reads opsets ${IMPORT_OPSETS.min}–${IMPORT_OPSETS.max})`, where);
  checkOnnxGraph(m, where);
  const g = m.graph!;
  const meta = metadataOf(m);
  const consts = constantValues(m, where);
  const inputs = (g.input ?? []).filter((i) => !consts.has(i.name ?? ''));
  if (inputs.length !== 1) throw new UserError(`the importer supports one graph input, this file has ${inputs.length}`, where);
  const dims = (inputs[0].type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimValue !== undefined && d.dimValue !== null && Number(d.dimValue) > 0 ? Number(d.dimValue) : null));
  if (dims.length !== 4 && dims.length !== 2) throw new UserError(`input ${inputs[0].name} has rank ${dims.length}; the importer reads images (rank 4) or vectors (rank 2)`, where);
  if (dims.slice(1).some((d) => d === null)) throw new UserError(`input ${inputs[0].name} has a free non-batch dimension; give the file a fixed input size`, where);
  let inputLayout: OnnxImport['inputLayout'] = 'NC';
  let inShape: number[];
  if (dims.length === 4) {
    const nhwc = meta['layerlens.input_layout'] === 'NHWC';
    inputLayout = nhwc ? 'NHWC' : 'NCHW';
    inShape = nhwc ? (dims.slice(1) as number[]) : [dims[2]!, dims[3]!, dims[1]!];
  } else inShape = [dims[1]!];
  const input = tf.input({ shape: inShape, name: 'input' });
  const vals = new Map<string, Val>([[inputs[0].name ?? '', { sym: input, layout: inputLayout === 'NHWC' ? 'nhwc' : dims.length === 4 ? 'nchw' : 'vec' }]]);

  const consumers = new Map<string, NodeProto[]>();
  for (const n of g.node ?? []) for (const i of n.input ?? []) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const skip = new Set<NodeProto>();
  const used = new Set<string>();
  const uniq = (n: NodeProto, i: number) => {
    let base = safeName(n.name || `${n.opType}_${i}`);
    while (used.has(base)) base = `${base}_`;
    used.add(base);
    return base;
  };
  const constOf = (name: string | undefined | null, n: NodeProto) => {
    const c = name ? consts.get(name) : undefined;
    if (!c) throw new UserError(`${n.opType} ${n.name ?? ''}: input ${name ?? '?'} must be a constant initializer`, where);
    return c;
  };
  const valOf = (name: string | undefined | null, n: NodeProto): Val => {
    const v = name ? vals.get(name) : undefined;
    if (!v) throw new UserError(`${n.opType} ${n.name ?? ''}: input ${name ?? '?'} is produced by no supported node`, where);
    return v;
  };
  const t = (values: Float32Array, shape: number[]) => tf.tensor(values, shape, 'float32');
  const flatten = (v: Val, name: string): Val => {
    if (v.layout === 'vec') return v;
    let s = v.sym;
    // ONNX flattens C,H,W; tfjs holds H,W,C
    if (v.layout === 'nchw' && (s.shape[1] !== 1 || s.shape[2] !== 1)) s = tf.layers.permute({ dims: [3, 1, 2], name: `${name}_to_chw` }).apply(s) as tf.SymbolicTensor;
    return { sym: tf.layers.flatten({ name }).apply(s) as tf.SymbolicTensor, layout: 'vec' };
  };
  const activation = (v: Val, act: string, name: string): Val => ({ sym: tf.layers.activation({ activation: act as 'relu', name }).apply(v.sym) as tf.SymbolicTensor, layout: v.layout });
  /** 'valid' for no padding, 'same' where TF's same padding gives the same result, else explicit zero padding */
  const padding = (n: NodeProto, k: number[], strides: number[], name: string, v: Val, allowZeroPad: boolean): { x: tf.SymbolicTensor; padding: 'same' | 'valid' } => {
    const auto = attrString(n, 'auto_pad');
    if (auto === 'SAME_UPPER') return { x: v.sym, padding: 'same' };
    if (auto && auto !== 'NOTSET' && auto !== 'VALID') throw new UserError(`${n.opType} ${n.name ?? ''}: auto_pad ${auto} is not supported`, where);
    const pads = attrInts(n, 'pads') ?? [0, 0, 0, 0];
    if (pads.every((p) => p === 0)) return { x: v.sym, padding: 'valid' };
    const sameLike = strides.every((s) => s === 1) && k.every((kk, i) => kk % 2 === 1 && pads[i] === (kk - 1) / 2 && pads[i + 2] === (kk - 1) / 2);
    if (sameLike) return { x: v.sym, padding: 'same' };
    if (!allowZeroPad) throw new UserError(`${n.opType} ${n.name ?? ''}: padding ${pads.join(',')} is not supported`, where);
    const x = tf.layers.zeroPadding2d({ padding: [[pads[0], pads[2]], [pads[1], pads[3]]], name: `${name}_pad` }).apply(v.sym) as tf.SymbolicTensor;
    return { x, padding: 'valid' };
  };

  (g.node ?? []).forEach((n, idx) => {
    const out = n.output?.[0] ?? '';
    if (skip.has(n) || consts.has(out)) return; // Constant, DequantizeLinear of weights: already folded
    const name = uniq(n, idx);
    const ins = n.input ?? [];
    let r: Val;
    switch (n.opType) {
      case 'Conv': {
        const x = valOf(ins[0], n);
        if (x.layout !== 'nchw') throw new UserError(`Conv ${n.name ?? ''}: input is not an NCHW feature map`, where);
        const W = constOf(ins[1], n);
        const [O, Ig, kh, kw] = W.dims;
        const group = attrInt(n, 'group', 1);
        const strides = attrInts(n, 'strides') ?? [1, 1];
        const dil = attrInts(n, 'dilations') ?? [1, 1];
        const p = padding(n, [kh, kw], strides, name, x, true);
        const bias = ins[2] ? constOf(ins[2], n).values : null;
        const cin = Ig * group;
        if (group === 1) {
          const k = transpose(W.values, W.dims, [2, 3, 1, 0]);
          const weights = [t(k.values, k.shape), ...(bias ? [t(bias, [O])] : [])];
          r = { sym: tf.layers.conv2d({ name, filters: O, kernelSize: [kh, kw], strides: strides as [number, number], dilationRate: dil as [number, number], padding: p.padding, useBias: !!bias, weights }).apply(p.x) as tf.SymbolicTensor, layout: 'nchw' };
          tf.dispose(weights);
        } else if (group === cin && Ig === 1) {
          const mult = O / cin;
          const k = transpose(W.values, W.dims, [2, 3, 0, 1]);
          const weights = [t(k.values, [kh, kw, cin, mult]), ...(bias ? [t(bias, [O])] : [])];
          r = { sym: tf.layers.depthwiseConv2d({ name, kernelSize: [kh, kw], depthMultiplier: mult, strides: strides as [number, number], dilationRate: dil as [number, number], padding: p.padding, useBias: !!bias, weights }).apply(p.x) as tf.SymbolicTensor, layout: 'nchw' };
          tf.dispose(weights);
        } else throw new UserError(`Conv ${n.name ?? ''}: grouped convolution (group ${group}) other than depthwise is not supported`, where);
        break;
      }
      case 'Gemm':
      case 'MatMul': {
        const x = valOf(ins[0], n);
        if (x.layout !== 'vec') throw new UserError(`${n.opType} ${n.name ?? ''}: input must be a flattened vector`, where);
        if (n.opType === 'Gemm' && attrInt(n, 'transA', 0)) throw new UserError(`Gemm ${n.name ?? ''}: transA=1 is not supported`, where);
        const B = constOf(ins[1], n);
        if (B.dims.length !== 2) throw new UserError(`${n.opType} ${n.name ?? ''}: weight must be 2-D`, where);
        const alpha = n.opType === 'Gemm' ? attrFloat(n, 'alpha', 1) : 1;
        const beta = n.opType === 'Gemm' ? attrFloat(n, 'beta', 1) : 1;
        const k = n.opType === 'Gemm' && attrInt(n, 'transB', 0) ? transpose(B.values, B.dims, [1, 0]) : { values: B.values, shape: B.dims };
        const units = k.shape[1];
        let bias: Float32Array | null = null;
        if (n.opType === 'Gemm' && ins[2]) bias = Float32Array.from(constOf(ins[2], n).values, (v) => v * beta);
        let outName = out;
        // tf2onnx writes MatMul + Add(bias): fold the Add into the Dense
        const next = consumers.get(out);
        if (!bias && next?.length === 1 && next[0].opType === 'Add') {
          const other = (next[0].input ?? []).find((i) => i !== out);
          const c = other ? consts.get(other) : undefined;
          if (c && prod(c.dims) === units) {
            bias = c.values;
            skip.add(next[0]);
            outName = next[0].output?.[0] ?? out;
          }
        }
        const kv = alpha === 1 ? k.values : Float32Array.from(k.values, (v) => v * alpha);
        const weights = [t(kv, k.shape), ...(bias ? [t(bias, [units])] : [])];
        r = { sym: tf.layers.dense({ name, units, useBias: !!bias, weights }).apply(x.sym) as tf.SymbolicTensor, layout: 'vec' };
        tf.dispose(weights);
        vals.set(outName, r);
        return;
      }
      case 'BatchNormalization': {
        const x = valOf(ins[0], n);
        const [s, b, mean, v] = ins.slice(1, 5).map((i) => constOf(i, n).values);
        const weights = [t(s, [s.length]), t(b, [b.length]), t(mean, [mean.length]), t(v, [v.length])];
        r = { sym: tf.layers.batchNormalization({ name, axis: -1, epsilon: attrFloat(n, 'epsilon', 1e-5), weights }).apply(x.sym) as tf.SymbolicTensor, layout: x.layout };
        tf.dispose(weights);
        break;
      }
      case 'Relu':
      case 'Sigmoid':
      case 'Tanh':
        r = activation(valOf(ins[0], n), n.opType.toLowerCase(), name);
        break;
      case 'Clip': {
        const lo = ins[1] ? consts.get(ins[1])?.values[0] : undefined;
        const hi = ins[2] ? consts.get(ins[2])?.values[0] : undefined;
        if (lo === 0 && hi === 6) r = activation(valOf(ins[0], n), 'relu6', name);
        else if (lo === 0 && hi === undefined) r = activation(valOf(ins[0], n), 'relu', name);
        else throw new UserError(`Clip ${n.name ?? ''}: only Clip(0, 6) and Clip(0) are supported`, where);
        break;
      }
      case 'Softmax': {
        const x = valOf(ins[0], n);
        if (x.layout !== 'vec') throw new UserError(`Softmax ${n.name ?? ''}: only over a vector`, where);
        r = activation(x, 'softmax', name);
        break;
      }
      case 'Add': {
        const [a, b] = ins.map((i) => valOf(i, n));
        if (a.layout !== b.layout) throw new UserError(`Add ${n.name ?? ''}: operands have different layouts`, where);
        r = { sym: tf.layers.add({ name }).apply([a.sym, b.sym]) as tf.SymbolicTensor, layout: a.layout };
        break;
      }
      case 'MaxPool':
      case 'AveragePool': {
        const x = valOf(ins[0], n);
        const k = attrInts(n, 'kernel_shape') ?? [1, 1];
        const strides = attrInts(n, 'strides') ?? [1, 1];
        if (attrInt(n, 'ceil_mode', 0)) throw new UserError(`${n.opType} ${n.name ?? ''}: ceil_mode=1 is not supported`, where);
        const p = padding(n, k, strides, name, x, false);
        const layer = n.opType === 'MaxPool' ? tf.layers.maxPooling2d({ name, poolSize: k as [number, number], strides: strides as [number, number], padding: p.padding }) : tf.layers.averagePooling2d({ name, poolSize: k as [number, number], strides: strides as [number, number], padding: p.padding });
        r = { sym: layer.apply(p.x) as tf.SymbolicTensor, layout: 'nchw' };
        break;
      }
      case 'GlobalAveragePool':
      case 'GlobalMaxPool': {
        const x = valOf(ins[0], n);
        const layer = n.opType === 'GlobalAveragePool' ? tf.layers.globalAveragePooling2d({ name }) : tf.layers.globalMaxPooling2d({ name });
        // [N,C] in tfjs; ONNX keeps [N,C,1,1], which a later Flatten/Reshape turns into [N,C]
        r = { sym: layer.apply(x.sym) as tf.SymbolicTensor, layout: 'vec' };
        break;
      }
      case 'Flatten':
        if (attrInt(n, 'axis', 1) !== 1) throw new UserError(`Flatten ${n.name ?? ''}: only axis 1 is supported`, where);
        r = flatten(valOf(ins[0], n), name);
        break;
      case 'Reshape': {
        const shape = Array.from(constOf(ins[1], n).values);
        const x = valOf(ins[0], n);
        if (shape.length !== 2 || !(shape[0] === 0 || shape[0] === -1 || shape[0] === 1 || shape[1] === -1)) throw new UserError(`Reshape ${n.name ?? ''}: only flattening reshapes ([N, -1]) are supported`, where);
        r = flatten(x, name);
        break;
      }
      case 'Transpose': {
        const x = valOf(ins[0], n);
        const perm = (attrInts(n, 'perm') ?? []).join(',');
        if (perm === '0,3,1,2' && x.layout === 'nhwc') r = { sym: x.sym, layout: 'nchw' };
        else if (perm === '0,2,3,1' && x.layout === 'nchw') r = { sym: x.sym, layout: 'nhwc' };
        else throw new UserError(`Transpose ${n.name ?? ''}: perm ${perm} is not a layout change the importer follows`, where);
        break;
      }
      case 'Pad': {
        // zero padding of H and W only (what our exporter writes for ZeroPadding2D, and PyTorch for F.pad)
        const x = valOf(ins[0], n);
        const mode = attrString(n, 'mode') ?? 'constant';
        const pads = Array.from(constOf(ins[1], n).values);
        const fill = ins[2] ? consts.get(ins[2])?.values[0] ?? 0 : 0;
        if (x.layout !== 'nchw' || mode !== 'constant' || fill !== 0 || pads.length !== 8 || pads[0] || pads[1] || pads[4] || pads[5] || pads.some((p) => p < 0))
          {throw new UserError(`Pad ${n.name ?? ''}: only zero padding of the spatial axes of a feature map is supported`, where);}
        r = { sym: tf.layers.zeroPadding2d({ name, padding: [[pads[2], pads[6]], [pads[3], pads[7]]] }).apply(x.sym) as tf.SymbolicTensor, layout: 'nchw' };
        break;
      }
      case 'Identity':
      case 'Dropout':
        r = valOf(ins[0], n);
        break;
      default:
        throw new UserError(`ONNX op ${n.opType} (node ${n.name || idx}) is not supported by the importer`, where);
    }
    vals.set(out, r);
  });

  // every graph output, in the file's order; a feature map goes back to the file's own NCHW layout
  const outputNames = (g.output ?? []).map((o) => o.name ?? '');
  if (outputNames.length === 0) throw new UserError('the graph has no outputs', where);
  const outs = outputNames.map((name, k) => {
    const v = vals.get(name);
    if (!v) throw new UserError(`graph output ${name} is produced by no supported node`, where);
    if (v.layout === 'nchw' && v.sym.shape.length === 4) return tf.layers.permute({ dims: [3, 1, 2], name: `output_${k}_to_nchw` }).apply(v.sym) as tf.SymbolicTensor;
    return v.sym;
  });
  const model = tf.model({ inputs: input, outputs: outs.length === 1 ? outs[0] : outs, name: safeName(g.name || 'onnx_model') });
  return { model, inputLayout, opset, metadata: meta, outputNames };
}

export function onnxDims(m: ModelProto): number[] {
  const init = new Set((m.graph?.initializer ?? []).map((t) => t.name));
  const i = (m.graph?.input ?? []).find((x) => !init.has(x.name));
  return (i?.type?.tensorType?.shape?.dim ?? []).map((d) => Number(d.dimValue ?? 0));
}
