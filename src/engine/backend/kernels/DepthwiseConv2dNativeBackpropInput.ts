// DepthwiseConv2dNativeBackpropInput for the wasm backend, which has none: a direct loop over the heap.
import * as tf from '../tf';
import { asWasmBackend, input, nhwcConvInfo, requireFloat32, type KernelArgs } from './wasmBackend';

const NAME = 'DepthwiseConv2dNativeBackpropInput';

function depthwiseConv2dNativeBackpropInput({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const b = asWasmBackend(backend, NAME);
  const dy = input(inputs, 'dy', NAME);
  const filter = input(inputs, 'filter', NAME);
  requireFloat32(dy, 'dy', NAME);
  requireFloat32(filter, 'filter', NAME);
  const a = attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
  const ci = nhwcConvInfo(NAME, a.inputShape, filter.shape, a.strides, a.dilations, a.pad, a.dimRoundingMode, true);
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, outChannels: CO } = ci;
  const { filterHeight: KH, filterWidth: KW, strideHeight: sh, strideWidth: sw } = ci;
  const { dilationHeight: dh, dilationWidth: dw } = ci;
  const { top, left } = ci.padInfo;
  const mul = CO / C;

  const out = b.makeOutput([...a.inputShape], 'float32');
  const dx = b.typedArrayFromHeap(out); // views after the allocation
  const fv = b.typedArrayFromHeap(filter);
  const dv = b.typedArrayFromHeap(dy);
  dx.fill(0);
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
            const fBase = (kh * KW + kw) * CO;
            if (mul === 1) {
              for (let c = 0; c < C; c++) dx[xBase + c] += fv[fBase + c] * dv[dBase + c];
            } else {
              for (let c = 0; c < C; c++) {
                const o = c * mul;
                let s = 0;
                for (let m = 0; m < mul; m++) s += fv[fBase + o + m] * dv[dBase + o + m];
                dx[xBase + c] += s;
              }
            }
          }
        }
      }
    }
  }
  return out;
}

export const depthwiseConv2dNativeBackpropInputConfig: tf.KernelConfig = {
  kernelName: NAME,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropInput,
};
