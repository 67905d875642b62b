// Conv2DBackpropFilter for the wasm backend, which has none. Main path: one XNNPACK convolution
// (x and dy transposed so that the batch becomes the reduction axis). Fallback: im2col + GEMM.
import * as tf from '../tf';
import {
  asWasmBackend,
  heapOffsetF32,
  input,
  nhwcConvInfo,
  requireFloat32,
  runWasmKernel,
  view,
  type KernelArgs,
  type WasmBackend,
} from './wasmBackend';

const NAME = 'Conv2DBackpropFilter';
/** im2col scratch per batch chunk, in floats (64 MiB). */
const MAX_COL_FLOATS = 1 << 24;

function conv2DBackpropFilter(args: KernelArgs): tf.TensorInfo {
  const { b, x, dy, ci, filterShape } = prepare(args);
  const { filterHeight: KH, filterWidth: KW, strideHeight: sh, strideWidth: sw } = ci;
  const { top, left } = ci.padInfo;
  const unpadded = top === 0 && left === 0 && ci.padInfo.bottom === 0 && ci.padInfo.right === 0;
  // Padding the conv below needs so that its output is exactly KH x KW; negative when the forward conv never
  // reached the last input rows/cols (e.g. 'valid', stride 2, even size): XNNPACK cannot crop, im2col can.
  const bottom = KH - ci.inHeight - top + (ci.outHeight - 1) * sh;
  const right = KW - ci.inWidth - left + (ci.outWidth - 1) * sw;
  if (KH === 1 && KW === 1 && sh === 1 && sw === 1 && unpadded) {
    return viaPointwiseGemm(b, x, dy, ci, filterShape);
  }
  // Measured (batch 64, 2 cores): with few input channels at stride 1 the XNNPACK conv has too few output
  // pixels (C*KH*KW) to be efficient and im2col is 1.2-5x faster; from ~32 channels XNNPACK wins.
  if (bottom < 0 || right < 0 || (sh === 1 && sw === 1 && ci.inChannels <= 8)) {
    return viaIm2col(b, x, dy, ci, filterShape, MAX_COL_FLOATS);
  }
  return viaXnnpackConv(b, x, dy, ci, bottom, right);
}

/** The im2col path alone, with its batch-chunk size as a knob (tests, benchmarks). */
export function conv2DBackpropFilterIm2col(args: KernelArgs, maxColFloats = MAX_COL_FLOATS): tf.TensorInfo {
  const { b, x, dy, ci, filterShape } = prepare(args);
  return viaIm2col(b, x, dy, ci, filterShape, maxColFloats);
}

function prepare({ inputs, backend, attrs }: KernelArgs) {
  const b = asWasmBackend(backend, NAME);
  const x = input(inputs, 'x', NAME);
  const dy = input(inputs, 'dy', NAME);
  requireFloat32(x, 'x', NAME);
  requireFloat32(dy, 'dy', NAME);
  const a = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const ci = nhwcConvInfo(NAME, x.shape, a.filterShape, a.strides, 1, a.pad, a.dimRoundingMode, false, a.dataFormat);
  return { b, x, dy, ci, filterShape: a.filterShape };
}

/** 1x1, stride 1, no padding: dW[C,CO] = x^T[C,M] @ dy[M,CO]. */
function viaPointwiseGemm(
  b: WasmBackend,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  ci: tf.backend_util.Conv2DInfo,
  filterShape: number[],
): tf.TensorInfo {
  const M = ci.batchSize * ci.outHeight * ci.outWidth;
  // an explicit transpose: BatchMatMul with transposeA takes a slow non-XNNPACK path (5-7x slower)
  const xT = runWasmKernel('Transpose', { x: view(x, [M, ci.inChannels]) }, b, { perm: [1, 0] });
  try {
    const out = runWasmKernel('BatchMatMul', { a: xT, b: view(dy, [M, ci.outChannels]) }, b, {
      transposeA: false,
      transposeB: false,
    });
    return view(out, [...filterShape]);
  } finally {
    b.disposeData(xT.dataId);
  }
}

/** dW^T[C,KH,KW,CO] = conv(x^T[C,H,W,N], filter dy^T[OH,OW,N,CO], dilation = stride). */
function viaXnnpackConv(
  b: WasmBackend,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  ci: tf.backend_util.Conv2DInfo,
  bottom: number,
  right: number,
): tf.TensorInfo {
  const xT = runWasmKernel('Transpose', { x }, b, { perm: [3, 1, 2, 0] });
  let o: tf.TensorInfo;
  try {
    const dyT = runWasmKernel('Transpose', { x: dy }, b, { perm: [1, 2, 0, 3] });
    try {
      o = runWasmKernel('Conv2D', { x: xT, filter: dyT }, b, {
        strides: 1,
        pad: [
          [0, 0],
          [ci.padInfo.top, bottom],
          [ci.padInfo.left, right],
          [0, 0],
        ],
        dataFormat: 'NHWC',
        dilations: [ci.strideHeight, ci.strideWidth],
      });
    } finally {
      b.disposeData(dyT.dataId);
    }
  } finally {
    b.disposeData(xT.dataId);
  }
  try {
    return runWasmKernel('Transpose', { x: o }, b, { perm: [1, 2, 0, 3] });
  } finally {
    b.disposeData(o.dataId);
  }
}

/** dW[K,CO] = sum over batch chunks of cols[K,M] @ dy[M,CO], cols built by row copies inside the wasm heap. */
function viaIm2col(
  b: WasmBackend,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  ci: tf.backend_util.Conv2DInfo,
  filterShape: number[],
  maxColFloats: number,
): tf.TensorInfo {
  const { batchSize: N, filterHeight: KH, filterWidth: KW, inChannels: C, outChannels: CO } = ci;
  const K = KH * KW * C;
  const per = ci.outHeight * ci.outWidth;
  const nChunk = Math.max(1, Math.min(N, Math.floor(maxColFloats / (K * per))));
  const dy2 = view(dy, [N * per, CO]);
  // [C,N,H,W]: each (channel, image) plane is contiguous, so an output row is one copyWithin
  const xT = runWasmKernel('Transpose', { x }, b, { perm: [3, 0, 1, 2] });
  const temps: tf.TensorInfo[] = [xT];
  let acc: tf.TensorInfo | undefined;
  try {
    for (let n0 = 0; n0 < N; n0 += nChunk) {
      const nc = Math.min(nChunk, N - n0);
      const cols = b.makeOutput([K, nc * per], 'float32');
      temps.push(cols);
      fillColumns(b, xT, cols, ci, n0, nc);
      let dyc = dy2;
      if (nc < N) {
        dyc = runWasmKernel('Slice', { x: dy2 }, b, { begin: [n0 * per, 0], size: [nc * per, CO] });
        temps.push(dyc);
      }
      const part = runWasmKernel('BatchMatMul', { a: cols, b: dyc }, b, { transposeA: false, transposeB: false });
      if (acc == null) {
        acc = part;
      } else {
        const sum = runWasmKernel('Add', { a: acc, b: part }, b);
        b.disposeData(acc.dataId);
        b.disposeData(part.dataId);
        acc = sum;
      }
      for (const t of temps.splice(1)) b.disposeData(t.dataId);
    }
  } catch (err) {
    if (acc != null) b.disposeData(acc.dataId);
    throw err;
  } finally {
    for (const t of temps) b.disposeData(t.dataId);
  }
  if (acc == null) throw new Error(`${NAME}: empty batch`);
  return view(acc, [...filterShape]);
}

function fillColumns(
  b: WasmBackend,
  xT: tf.TensorInfo,
  cols: tf.TensorInfo,
  ci: tf.backend_util.Conv2DInfo,
  n0: number,
  nc: number,
): void {
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = ci;
  const { filterHeight: KH, filterWidth: KW, strideHeight: sh, strideWidth: sw } = ci;
  const { top, left } = ci.padInfo;
  const M = nc * OH * OW;
  const heap = b.wasm.HEAPF32;
  const xo = heapOffsetF32(b, xT);
  const co = heapOffsetF32(b, cols);
  for (let kh = 0; kh < KH; kh++) {
    for (let kw = 0; kw < KW; kw++) {
      // output columns whose input column lies inside the image
      const owLo = Math.max(0, Math.ceil((left - kw) / sw));
      const owHi = Math.min(OW, Math.floor((W - 1 + left - kw) / sw) + 1);
      for (let c = 0; c < C; c++) {
        let o = co + ((kh * KW + kw) * C + c) * M;
        for (let n = n0; n < n0 + nc; n++) {
          const plane = xo + (c * N + n) * H * W;
          for (let oh = 0; oh < OH; oh++, o += OW) {
            const ih = oh * sh - top + kh;
            if (ih < 0 || ih >= H || owHi <= owLo) {
              heap.fill(0, o, o + OW);
              continue;
            }
            if (owLo > 0) heap.fill(0, o, o + owLo);
            if (owHi < OW) heap.fill(0, o + owHi, o + OW);
            const src = plane + ih * W - left + kw;
            if (sw === 1) heap.copyWithin(o + owLo, src + owLo, src + owHi);
            else for (let ow = owLo; ow < owHi; ow++) heap[o + ow] = heap[src + ow * sw];
          }
        }
      }
    }
  }
}

export const conv2DBackpropFilterConfig: tf.KernelConfig = {
  kernelName: NAME,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter,
};
