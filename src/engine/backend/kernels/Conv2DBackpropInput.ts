// Conv2DBackpropInput for the wasm backend; the stock one is 5-11x slower than the forward conv.
// Stride 1: an XNNPACK convolution of dy with the flipped, in/out-swapped filter.
// Otherwise: cols[M,K] = dy[M,CO] @ W^T[CO,K] (XNNPACK GEMM), then a col2im scatter-add.
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

const NAME = 'Conv2DBackpropInput';
/** GEMM output per batch chunk, in floats (64 MiB). */
const MAX_COL_FLOATS = 1 << 24;

function conv2DBackpropInput(args: KernelArgs): tf.TensorInfo {
  const { b, dy, filter, ci, inputShape } = prepare(args);
  const { filterHeight: KH, filterWidth: KW } = ci;
  const { top, bottom, left, right } = ci.padInfo;
  const unitStride = ci.strideHeight === 1 && ci.strideWidth === 1;
  if (unitStride && top < KH && bottom < KH && left < KW && right < KW) {
    return viaFlippedConv(b, dy, filter, ci);
  }
  return viaGemmCol2im(b, dy, filter, ci, inputShape, MAX_COL_FLOATS);
}

/** The GEMM + col2im path alone, with its batch-chunk size as a knob (tests, benchmarks). */
export function conv2DBackpropInputCol2im(args: KernelArgs, maxColFloats = MAX_COL_FLOATS): tf.TensorInfo {
  const { b, dy, filter, ci, inputShape } = prepare(args);
  return viaGemmCol2im(b, dy, filter, ci, inputShape, maxColFloats);
}

function prepare({ inputs, backend, attrs }: KernelArgs) {
  const b = asWasmBackend(backend, NAME);
  const dy = input(inputs, 'dy', NAME);
  const filter = input(inputs, 'filter', NAME);
  requireFloat32(dy, 'dy', NAME);
  requireFloat32(filter, 'filter', NAME);
  const a = attrs as unknown as tf.Conv2DBackpropInputAttrs;
  const ci = nhwcConvInfo(NAME, a.inputShape, filter.shape, a.strides, 1, a.pad, a.dimRoundingMode, false, a.dataFormat);
  return { b, dy, filter, ci, inputShape: a.inputShape };
}

function viaFlippedConv(
  b: WasmBackend,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  ci: tf.backend_util.Conv2DInfo,
): tf.TensorInfo {
  const { filterHeight: KH, filterWidth: KW } = ci;
  const { top, bottom, left, right } = ci.padInfo;
  const swapped = runWasmKernel('Transpose', { x: filter }, b, { perm: [0, 1, 3, 2] }); // [KH,KW,CO,C]
  let flipped: tf.TensorInfo;
  try {
    flipped = runWasmKernel('Reverse', { x: swapped }, b, { dims: [0, 1] });
  } finally {
    b.disposeData(swapped.dataId);
  }
  try {
    return runWasmKernel('Conv2D', { x: dy, filter: flipped }, b, {
      strides: 1,
      pad: [
        [0, 0],
        [KH - 1 - top, KH - 1 - bottom],
        [KW - 1 - left, KW - 1 - right],
        [0, 0],
      ],
      dataFormat: 'NHWC',
      dilations: 1,
    });
  } finally {
    b.disposeData(flipped.dataId);
  }
}

function viaGemmCol2im(
  b: WasmBackend,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  ci: tf.backend_util.Conv2DInfo,
  inputShape: number[],
  maxColFloats: number,
): tf.TensorInfo {
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, outChannels: CO } = ci;
  const { filterHeight: KH, filterWidth: KW, strideHeight: sh, strideWidth: sw } = ci;
  const { top, left } = ci.padInfo;
  const K = KH * KW * C;
  const per = OH * OW;
  const nChunk = Math.max(1, Math.min(N, Math.floor(maxColFloats / (K * per))));
  const dy2 = view(dy, [N * per, CO]);
  const wT = runWasmKernel('Transpose', { x: view(filter, [K, CO]) }, b, { perm: [1, 0] }); // [CO,K]
  const dx = b.makeOutput([...inputShape], 'float32');
  try {
    b.typedArrayFromHeap(dx).fill(0);
    for (let n0 = 0; n0 < N; n0 += nChunk) {
      const nc = Math.min(nChunk, N - n0);
      const dyc = nc < N ? runWasmKernel('Slice', { x: dy2 }, b, { begin: [n0 * per, 0], size: [nc * per, CO] }) : dy2;
      let cols: tf.TensorInfo;
      try {
        cols = runWasmKernel('BatchMatMul', { a: dyc, b: wT }, b, { transposeA: false, transposeB: false });
      } finally {
        if (dyc !== dy2) b.disposeData(dyc.dataId);
      }
      const heap = b.wasm.HEAPF32; // after the allocations above
      const dxo = heapOffsetF32(b, dx);
      let row = heapOffsetF32(b, cols);
      for (let n = n0; n < n0 + nc; n++) {
        for (let oh = 0; oh < OH; oh++) {
          for (let ow = 0; ow < OW; ow++, row += K) {
            for (let kh = 0; kh < KH; kh++) {
              const ih = oh * sh - top + kh;
              if (ih < 0 || ih >= H) continue;
              for (let kw = 0; kw < KW; kw++) {
                const iw = ow * sw - left + kw;
                if (iw < 0 || iw >= W) continue;
                const d = dxo + ((n * H + ih) * W + iw) * C;
                const s = row + (kh * KW + kw) * C;
                for (let c = 0; c < C; c++) heap[d + c] += heap[s + c];
              }
            }
          }
        }
      }
      b.disposeData(cols.dataId);
    }
  } catch (err) {
    b.disposeData(dx.dataId);
    throw err;
  } finally {
    b.disposeData(wT.dataId);
  }
  return dx;
}

export const conv2DBackpropInputConfig: tf.KernelConfig = {
  kernelName: NAME,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInput,
};
