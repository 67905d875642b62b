/**
 * Separable bilinear resampling of interleaved uint8 images. When shrinking, the triangle filter is widened
 * by the scale factor (as in Pillow's BILINEAR), so it averages the whole source area instead of aliasing.
 */

interface Taps {
  start: Int32Array;
  count: Int32Array;
  weights: Float32Array; // `maxTaps` per output pixel
  maxTaps: number;
}

function taps(src: number, dst: number): Taps {
  const scale = src / dst;
  const support = Math.max(scale, 1);
  const maxTaps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(dst);
  const count = new Int32Array(dst);
  const weights = new Float32Array(dst * maxTaps);
  for (let i = 0; i < dst; i++) {
    const center = (i + 0.5) * scale;
    const lo = Math.max(0, Math.floor(center - support));
    const hi = Math.min(src, Math.ceil(center + support));
    let sum = 0;
    let k = 0;
    for (let s = lo; s < hi && k < maxTaps; s++, k++) {
      const w = Math.max(0, 1 - Math.abs((s + 0.5 - center) / support));
      weights[i * maxTaps + k] = w;
      sum += w;
    }
    if (sum === 0) {
      // cannot happen for sane sizes; fall back to nearest
      weights[i * maxTaps] = 1;
      start[i] = Math.min(src - 1, Math.floor(center));
      count[i] = 1;
      continue;
    }
    for (let j = 0; j < k; j++) weights[i * maxTaps + j] /= sum;
    start[i] = lo;
    count[i] = k;
  }
  return { start, count, weights, maxTaps };
}

export function resizeBilinear(
  src: Uint8Array,
  srcW: number,
  srcH: number,
  channels: number,
  dstW: number,
  dstH: number,
): Uint8Array {
  if (srcW === dstW && srcH === dstH) return src.slice();
  const tx = taps(srcW, dstW);
  const ty = taps(srcH, dstH);
  // horizontal pass into floats: srcH rows of dstW pixels
  const mid = new Float32Array(srcH * dstW * channels);
  for (let y = 0; y < srcH; y++) {
    const row = y * srcW * channels;
    for (let x = 0; x < dstW; x++) {
      const s0 = tx.start[x];
      const n = tx.count[x];
      const wo = x * tx.maxTaps;
      for (let c = 0; c < channels; c++) {
        let acc = 0;
        for (let k = 0; k < n; k++) acc += tx.weights[wo + k] * src[row + (s0 + k) * channels + c];
        mid[(y * dstW + x) * channels + c] = acc;
      }
    }
  }
  const out = new Uint8Array(dstH * dstW * channels);
  const rowLen = dstW * channels;
  for (let y = 0; y < dstH; y++) {
    const s0 = ty.start[y];
    const n = ty.count[y];
    const wo = y * ty.maxTaps;
    for (let i = 0; i < rowLen; i++) {
      let acc = 0;
      for (let k = 0; k < n; k++) acc += ty.weights[wo + k] * mid[(s0 + k) * rowLen + i];
      out[y * rowLen + i] = acc <= 0 ? 0 : acc >= 255 ? 255 : Math.round(acc);
    }
  }
  return out;
}
