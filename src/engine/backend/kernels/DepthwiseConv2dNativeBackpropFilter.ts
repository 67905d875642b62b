// DepthwiseConv2dNativeBackpropFilter for the wasm backend, which has none: a direct loop over the heap.
import * as tf from '../tf';
import { asWasmBackend, input, nhwcConvInfo, requireFloat32, type KernelArgs } from './wasmBackend';

const NAME = 'DepthwiseConv2dNativeBackpropFilter';

function depthwiseConv2dNativeBackpropFilter({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const b = asWasmBackend(backend, NAME);
  const x = input(inputs, 'x', NAME);
  const dy = input(inputs, 'dy', NAME);
  requireFloat32(x, 'x', NAME);
  requireFloat32(dy, 'dy', NAME);
  const a = attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
  const ci = nhwcConvInfo(NAME, x.shape, a.filterShape, a.strides, a.dilations, a.pad, a.dimRoundingMode, true);
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, outChannels: CO } = ci;
  const { filterHeight: KH, filterWidth: KW, strideHeight: sh, strideWidth: sw } = ci;
  const { dilationHeight: dh, dilationWidth: dw } = ci;
  const { top, left } = ci.padInfo;
  const mul = CO / C;

  const out = b.makeOutput([...a.filterShape], 'float32');
  const g = b.typedArrayFromHeap(out); // views after the allocation
  const xv = b.typedArrayFromHeap(x);
  const dv = b.typedArrayFromHeap(dy);
  g.fill(0);
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        const dBase = ((n * OH + oh) * OW + ow) * CO;
        for (let kh = 0; kh < KH; kh++) {
          const ih = oh * sh - top + kh * dh;
          if (ih < 0 || ih >= H) continue;
          for (let kw = 0; kw < KW; kw++) {
            const iw = ow * sw - left + kw * dw;
            if (iw < 0 || iw >= W) continue;
            const xBase = ((n * H + ih) * W + iw) * C;
            const gBase = (kh * KW + kw) * CO;
            if (mul === 1) {
              for (let c = 0; c < C; c++) g[gBase + c] += xv[xBase + c] * dv[dBase + c];
            } else {
              for (let c = 0; c < C; c++) {
                const xc = xv[xBase + c];
                const o = c * mul;
                for (let m = 0; m < mul; m++) g[gBase + o + m] += xc * dv[dBase + o + m];
              }
            }
          }
        }
      }
    }
  }
  return out;
}

export const depthwiseConv2dNativeBackpropFilterConfig: tf.KernelConfig = {
  kernelName: NAME,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropFilter,
};
