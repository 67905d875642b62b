// Kernels of the 'native' backend: the hot ops of training and inference run in the C++ addon (oneDNN for
// convolution, matmul and pooling; OpenMP loops for element-wise ops, reductions and batch norm) directly
// on the Float32Array storage of tfjs's cpu backend. Anything a native kernel does not cover (NCHW, other
// dtypes, unusual broadcasts or activations) goes to the cpu backend's own kernel, as does every op not
// listed here.
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '../tf';
import type { NativeAddon } from './addon';
import { alloc, expose } from './pool';

export { alloc };

export const NATIVE = 'native';

// inputs a kernel does not get are undefined at run time; every optional one is checked before use
type Args = { inputs: Record<string, tf.TensorInfo>; backend: unknown; attrs?: tf.NamedAttrMap };
type Impl = (args: Args, cpu: tf.KernelFunc) => tf.TensorInfo | tf.TensorInfo[] | undefined;

/** Float32 storage of a tensor, or undefined when it is not a plain float32 array (then: cpu kernel). */
function f32(backend: unknown, t: tf.TensorInfo | null | undefined): Float32Array | undefined {
  if (t == null || t.dtype !== 'float32') return undefined;
  const v = (backend as MathBackendCPU).data.get(t.dataId)?.values;
  return v instanceof Float32Array ? v : undefined;
}

function output(backend: unknown, shape: number[], values: Float32Array): tf.TensorInfo {
  return (backend as MathBackendCPU).makeTensorInfo(shape, 'float32', values);
}

const size = (shape: readonly number[]): number => tf.util.sizeFromShape(shape as number[]);


// ---- convolution -------------------------------------------------------------------------------------

/** Geometry for the addon (native/src/dnnl_ops.cc, struct Conv), or undefined when oneDNN cannot take it. */
function convDims(info: tf.backend_util.Conv2DInfo, depthwise: boolean): Int32Array | undefined {
  if (info.dataFormat !== 'channelsLast') return undefined;
  const p = info.padInfo;
  const kh = (info.filterHeight - 1) * info.dilationHeight + 1;
  const kw = (info.filterWidth - 1) * info.dilationWidth + 1;
  // oneDNN wants out = (in + pads - k) / stride + 1 exactly; 'ceil' rounding can need more bottom/right pad
  const pb = Math.max(p.bottom, (info.outHeight - 1) * info.strideHeight + kh - info.inHeight - p.top);
  const pr = Math.max(p.right, (info.outWidth - 1) * info.strideWidth + kw - info.inWidth - p.left);
  if (p.top < 0 || p.left < 0) return undefined;
  return Int32Array.from([
    info.batchSize, info.inHeight, info.inWidth, info.inChannels,
    info.outHeight, info.outWidth, info.outChannels,
    info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth,
    p.top, p.left, pb, pr, info.dilationHeight, info.dilationWidth,
    depthwise ? info.inChannels : 1,
  ]);
}

type ConvAttrs = {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  activation?: string;
  inputShape?: number[];
  filterShape?: number[];
};

function convInfo(xShape: number[], fShape: number[], a: ConvAttrs, depthwise: boolean): tf.backend_util.Conv2DInfo {
  const format = tf.backend_util.convertConv2DDataFormat(a.dataFormat ?? 'NHWC');
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    fShape as [number, number, number, number],
    a.strides,
    a.dilations ?? 1,
    a.pad,
    a.dimRoundingMode,
    depthwise,
    format,
  );
}

function convForward(depthwise: boolean, fused: boolean): (addon: NativeAddon) => Impl {
  return (addon) => (args) => {
    const { x, filter, bias, preluActivationWeights } = args.inputs;
    const a = args.attrs as unknown as ConvAttrs;
    const relu = a.activation === 'relu';
    if (fused && (preluActivationWeights != null || !(a.activation == null || a.activation === 'linear' || relu))) return undefined;
    const xv = f32(args.backend, x);
    const fv = f32(args.backend, filter);
    const bv = fused && bias != null ? f32(args.backend, bias) : null;
    if (!xv || !fv || bv === undefined) return undefined;
    const info = convInfo(x.shape, filter.shape, a, depthwise);
    if (bv != null && bv.length !== info.outChannels) return undefined;
    const dims = convDims(info, depthwise);
    if (!dims) return undefined;
    const y = alloc(size(info.outShape));
    addon.conv2d(xv, fv, bv, y, dims, relu);
    return output(args.backend, info.outShape, y);
  };
}

function convBackwardInput(depthwise: boolean): (addon: NativeAddon) => Impl {
  return (addon) => (args) => {
    const { dy, filter } = args.inputs;
    const a = args.attrs as unknown as ConvAttrs;
    const dyv = f32(args.backend, dy);
    const fv = f32(args.backend, filter);
    if (!dyv || !fv || a.inputShape == null) return undefined;
    const info = convInfo(a.inputShape, filter.shape, a, depthwise);
    const dims = convDims(info, depthwise);
    if (!dims) return undefined;
    const dx = alloc(size(a.inputShape));
    addon.conv2dBackwardData(dyv, fv, dx, dims);
    return output(args.backend, a.inputShape, dx);
  };
}

function convBackwardFilter(depthwise: boolean): (addon: NativeAddon) => Impl {
  return (addon) => (args) => {
    const { x, dy } = args.inputs;
    const a = args.attrs as unknown as ConvAttrs;
    const xv = f32(args.backend, x);
    const dyv = f32(args.backend, dy);
    if (!xv || !dyv || a.filterShape == null) return undefined;
    const info = convInfo(x.shape, a.filterShape, a, depthwise);
    const dims = convDims(info, depthwise);
    if (!dims) return undefined;
    const dw = alloc(size(a.filterShape));
    addon.conv2dBackwardFilter(xv, dyv, dw, null, dims);
    return output(args.backend, a.filterShape, dw);
  };
}

// ---- matmul ------------------------------------------------------------------------------------------

function matMul(fused: boolean): (addon: NativeAddon) => Impl {
  return (addon) => (args) => {
    const { a, b, bias, preluActivationWeights } = args.inputs;
    const { transposeA, transposeB, activation } = args.attrs as unknown as tf.BatchMatMulAttrs & { activation?: string };
    const relu = activation === 'relu';
    if (fused && (preluActivationWeights != null || !(activation == null || activation === 'linear' || relu))) return undefined;
    const av = f32(args.backend, a);
    const bv = f32(args.backend, b);
    const biasv = fused && bias != null ? f32(args.backend, bias) : null;
    if (!av || !bv || biasv === undefined || a.shape.length < 2 || b.shape.length < 2) return undefined;
    const ra = a.shape.length;
    const rb = b.shape.length;
    const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
    const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
    const k2 = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
    const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
    if (k !== k2) return undefined; // the cpu kernel throws the proper error
    const batchA = a.shape.slice(0, -2);
    const batchB = b.shape.slice(0, -2);
    const ba = size(batchA);
    const bb = size(batchB);
    const outBatch = tf.broadcast_util.assertAndGetBroadcastShape(batchA, batchB);
    // one batch size broadcast against the other, or the same batch shape; other broadcasts: cpu kernel
    if (!(ba === 1 || bb === 1 || (batchA.length === batchB.length && batchA.every((d, i) => d === batchB[i])))) return undefined;
    if (biasv != null && (biasv.length !== n || bias.shape.slice(0, -1).some((d) => d !== 1))) return undefined;
    const outShape = [...outBatch, m, n];
    const out = alloc(size(outShape));
    if (out.length > 0) addon.matmul(av, bv, biasv, out, Int32Array.from([ba, bb, m, k, n, transposeA ? 1 : 0, transposeB ? 1 : 0]), relu);
    return output(args.backend, outShape, out);
  };
}

// ---- pooling -----------------------------------------------------------------------------------------

type PoolAttrs = tf.MaxPoolAttrs;

function poolDims(xShape: number[], a: PoolAttrs, max: boolean): Int32Array | undefined {
  const info = tf.backend_util.computePool2DInfo(
    xShape as [number, number, number, number],
    a.filterSize,
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
  );
  const p = info.padInfo;
  const pb = Math.max(p.bottom, (info.outHeight - 1) * info.strideHeight + info.filterHeight - info.inHeight - p.top);
  const pr = Math.max(p.right, (info.outWidth - 1) * info.strideWidth + info.filterWidth - info.inWidth - p.left);
  // a window entirely in the padding has no defined value in oneDNN's max pooling
  if (p.top >= info.filterHeight || p.left >= info.filterWidth || pb >= info.filterHeight || pr >= info.filterWidth) return undefined;
  return Int32Array.from([
    info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth,
    info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth, p.top, p.left, pb, pr, max ? 1 : 0,
  ]);
}

function pool(max: boolean): (addon: NativeAddon) => Impl {
  return (addon) => (args) => {
    const { x } = args.inputs;
    const xv = f32(args.backend, x);
    if (!xv || x.shape.length !== 4) return undefined;
    const dims = poolDims(x.shape, args.attrs as unknown as PoolAttrs, max);
    if (!dims) return undefined;
    const outShape = [dims[0], dims[4], dims[5], dims[3]];
    const y = alloc(size(outShape));
    addon.pool(xv, y, dims);
    return output(args.backend, outShape, y);
  };
}

function poolGrad(max: boolean): (addon: NativeAddon) => Impl {
  return (addon) => (args) => {
    const { dy, input } = args.inputs;
    const dyv = f32(args.backend, dy);
    const xv = f32(args.backend, input);
    if (!dyv || !xv || input.shape.length !== 4) return undefined;
    const dims = poolDims(input.shape, args.attrs as unknown as PoolAttrs, max);
    if (!dims) return undefined;
    const dx = alloc(size(input.shape));
    addon.poolBackward(dyv, xv, dx, dims);
    return output(args.backend, input.shape, dx);
  };
}

// ---- batch norm --------------------------------------------------------------------------------------

/** A per-channel parameter: one value, or `c` values along the last axis (all other axes 1). */
function perChannel(t: tf.TensorInfo | undefined, c: number): boolean {
  if (t == null) return true;
  const s = size(t.shape);
  return s === 1 || (s === c && t.shape[t.shape.length - 1] === c);
}

const batchNorm = (addon: NativeAddon): Impl => (args) => {
  const { x, mean, variance, offset, scale } = args.inputs;
  const { varianceEpsilon } = args.attrs as unknown as tf.FusedBatchNormAttrs;
  const c = x.shape[x.shape.length - 1] ?? 1;
  const xv = f32(args.backend, x);
  const mv = f32(args.backend, mean);
  const vv = f32(args.backend, variance);
  const ov = offset == null ? null : f32(args.backend, offset);
  const sv = scale == null ? null : f32(args.backend, scale);
  if (!xv || !mv || !vv || ov === undefined || sv === undefined || c === 0) return undefined;
  if (![mean, variance, offset, scale].every((t) => perChannel(t, c))) return undefined;
  const out = alloc(xv.length);
  addon.batchNorm(xv, mv, vv, ov, sv, out, c, varianceEpsilon ?? 0.001);
  return output(args.backend, x.shape, out);
};

// ---- element-wise --------------------------------------------------------------------------------------

const FULL = 0;
const ROW = 1;
const COL = 2;
const SCALAR = 3;

/**
 * How an operand of shape `s` is read in an output of shape `out` viewed as [outer, inner]: the whole
 * shape, a trailing block (a bias: ROW), a leading block (COL) or one value; `split` is the axis where the
 * broadcast part starts or ends (undefined for FULL/SCALAR), or null when the broadcast is none of these.
 */
export function operandMode(s: readonly number[], out: readonly number[]): { mode: number; split?: number } | null {
  const r = out.length;
  const sp = [...new Array<number>(r - s.length).fill(1), ...s];
  if (size(sp) === 1) return { mode: size(out) === 1 ? FULL : SCALAR };
  if (sp.every((d, i) => d === out[i])) return { mode: FULL };
  for (let k = 1; k < r; k++) {
    const lead = sp.slice(0, k);
    const trail = sp.slice(k);
    if (lead.every((d) => d === 1) && trail.every((d, i) => d === out[k + i])) return { mode: ROW, split: k };
    if (trail.every((d) => d === 1) && lead.every((d, i) => d === out[i])) return { mode: COL, split: k };
  }
  return null;
}

/** Element strides of an operand of shape `s` read at every index of `out` (0 along broadcast axes). */
function broadcastStrides(s: readonly number[], out: readonly number[]): number[] {
  const sp = [...new Array<number>(out.length - s.length).fill(1), ...s];
  const strides = new Array<number>(out.length).fill(0);
  let step = 1;
  for (let d = out.length - 1; d >= 0; d--) {
    strides[d] = sp[d] === 1 && out[d] !== 1 ? 0 : step;
    step *= sp[d];
  }
  return strides;
}

const BINARY_OPS: Record<string, number> = { Add: 0, Sub: 1, Multiply: 2, RealDiv: 3, SquaredDifference: 4, Maximum: 5, Minimum: 6 };

const binary = (op: number) => (addon: NativeAddon): Impl => (args) => {
  const { a, b } = args.inputs;
  const av = f32(args.backend, a);
  const bv = f32(args.backend, b);
  if (!av || !bv) return undefined;
  const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
  const n = size(outShape);
  if (n === 0) return undefined;
  const ma = operandMode(a.shape, outShape);
  const mb = operandMode(b.shape, outShape);
  if (ma == null || mb == null || (ma.split != null && mb.split != null && ma.split !== mb.split)) {
    // any other broadcast (e.g. [n,1,1,c] against [n,h,w,c]): strided loops
    const out = alloc(n);
    const r = outShape.length;
    addon.binaryStrided(op, av, bv, out, Int32Array.from([r, ...outShape, ...broadcastStrides(a.shape, outShape), ...broadcastStrides(b.shape, outShape)]));
    return output(args.backend, outShape, out);
  }
  const split = ma.split ?? mb.split ?? Math.max(outShape.length - 1, 0);
  const inner = size(outShape.slice(split));
  const out = alloc(n);
  addon.binary(op, av, bv, out, Int32Array.from([n / inner, inner, ma.mode, mb.mode]));
  return output(args.backend, outShape, out);
};

const UNARY_OPS: Record<string, number> = {
  Relu: 0, Step: 1, Neg: 2, Square: 3, Sqrt: 4, Rsqrt: 5, Exp: 6, Log: 7, Abs: 8, Relu6: 9, Sigmoid: 10, Tanh: 11,
};

const unary = (op: number) => (addon: NativeAddon): Impl => (args) => {
  const { x } = args.inputs;
  const xv = f32(args.backend, x);
  if (!xv) return undefined;
  const out = alloc(xv.length);
  const alpha = (args.attrs as { alpha?: number } | undefined)?.alpha ?? 0;
  addon.unary(op, xv, out, alpha);
  return output(args.backend, x.shape, out);
};

// ---- reductions ----------------------------------------------------------------------------------------

const REDUCE_OPS: Record<string, number> = { Sum: 0, Mean: 1, Max: 2, Min: 3 };

const reduce = (op: number) => (addon: NativeAddon): Impl => (args) => {
  const { x } = args.inputs;
  // Max names its axes reductionIndices
  const { axis, reductionIndices, keepDims } = args.attrs as unknown as tf.SumAttrs & { reductionIndices?: number | number[] };
  const xv = f32(args.backend, x);
  if (!xv || xv.length === 0) return undefined;
  const axes = [...new Set(tf.util.parseAxisParam(axis ?? reductionIndices ?? null, x.shape))].sort((p, q) => p - q);
  if (axes.length === 0 || axes.some((ax, i) => ax !== axes[0] + i)) return undefined; // contiguous axes only
  const first = axes[0];
  const last = axes[axes.length - 1] + 1;
  const outer = size(x.shape.slice(0, first));
  const mid = size(x.shape.slice(first, last));
  const inner = size(x.shape.slice(last));
  const reduced = x.shape.filter((_, i) => i < first || i >= last);
  const outShape = keepDims ? x.shape.map((d, i) => (i >= first && i < last ? 1 : d)) : reduced;
  const out = alloc(outer * inner);
  addon.reduce(op, xv, out, Int32Array.from([outer, mid, inner]));
  return output(args.backend, outShape, out);
};

// ---- the table -----------------------------------------------------------------------------------------

const NATIVE_KERNELS: Record<string, (addon: NativeAddon) => Impl> = {
  Conv2D: convForward(false, false),
  FusedConv2D: convForward(false, true),
  DepthwiseConv2dNative: convForward(true, false),
  FusedDepthwiseConv2D: convForward(true, true),
  Conv2DBackpropInput: convBackwardInput(false),
  Conv2DBackpropFilter: convBackwardFilter(false),
  DepthwiseConv2dNativeBackpropInput: convBackwardInput(true),
  DepthwiseConv2dNativeBackpropFilter: convBackwardFilter(true),
  BatchMatMul: matMul(false),
  _FusedMatMul: matMul(true),
  MaxPool: pool(true),
  AvgPool: pool(false),
  MaxPoolGrad: poolGrad(true),
  AvgPoolGrad: poolGrad(false),
  FusedBatchNorm: batchNorm,
  ...Object.fromEntries(Object.entries(BINARY_OPS).map(([k, op]) => [k, binary(op)])),
  ...Object.fromEntries(Object.entries(UNARY_OPS).map(([k, op]) => [k, unary(op)])),
  ...Object.fromEntries(Object.entries(REDUCE_OPS).map(([k, op]) => [k, reduce(op)])),
};

/** How often each kernel ran natively (not via its cpu fallback): lets tests prove the addon did the work. */
export const nativeCalls = new Map<string, number>();

/** Kernel configs for the 'native' backend: the cpu backend's, with the hot ones calling the addon first. */
export function nativeKernelConfigs(addon: NativeAddon): tf.KernelConfig[] {
  return tf.getKernelsForBackend('cpu').map((k) => {
    const make = NATIVE_KERNELS[k.kernelName];
    // a cpu kernel may return a view of its input's storage (Slice does): such storage is never reused
    const cpu: tf.KernelFunc = (args) => {
      const out = k.kernelFunc(args);
      const data = (args.backend as MathBackendCPU).data;
      for (const t of Array.isArray(out) ? out : [out]) expose(data.get(t.dataId)?.values);
      return out;
    };
    if (make == null) return { ...k, backendName: NATIVE, kernelFunc: cpu };
    const impl = make(addon);
    const name = k.kernelName;
    const kernelFunc: tf.KernelFunc = (args) => {
      const out = impl(args as Args, cpu);
      if (out == null) return cpu(args);
      nativeCalls.set(name, (nativeCalls.get(name) ?? 0) + 1);
      return out;
    };
    return { ...k, backendName: NATIVE, kernelFunc };
  });
}
