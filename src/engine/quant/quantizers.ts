/**
 * Weight quantizers: uniform (affine), powers of two (INQ codebook), k-means codebook (SLQ) and ternary.
 * Pure typed-array code, no tf: the export engine (issue 6) and the quant analyses share it.
 */
import { UserError } from '../core/errors';
import { makeRng } from '../core/random';

export type QuantMethod = 'uniform' | 'pow2' | 'kmeans' | 'ternary';
export interface QuantSpec {
  bits: number;
  method: QuantMethod;
  granularity: 'per-tensor' | 'per-channel';
  symmetric: boolean;
  /** channel axis; default the LAST axis (tfjs kernels are [kh,kw,in,out] / [in,out]) */
  axis?: number;
  /** k-means init seed */
  seed?: number;
}
export interface QuantizedTensor {
  spec: QuantSpec;
  shape: number[];
  /** one integer code per weight, in the tensor's own (row-major) element order */
  codes: Int32Array;
  /** affine methods (uniform, ternary): value = (code - zeroPoint[c]) * scale[c]; one entry per channel (or one for per-tensor) */
  scales: Float32Array;
  zeroPoints: Int32Array;
  /** codebook methods (kmeans, pow2): value = codebook[c * levels + code]; absent for affine methods */
  codebook?: Float32Array;
  /** number of levels the codes can take */
  levels: number;
}

/** Levels a spec's codes can take (SLQ/INQ convention for codebooks: 2^(b-1)+1 values incl. zero). */
export function levelCount(spec: Pick<QuantSpec, 'bits' | 'method' | 'symmetric'>): number {
  switch (spec.method) {
    case 'ternary':
      return 3;
    case 'uniform':
      return spec.symmetric ? 2 ** spec.bits - 1 : 2 ** spec.bits;
    case 'pow2':
    case 'kmeans':
      return 2 ** (spec.bits - 1) + 1;
  }
}

/** Bits one code takes in storage (ternary: 2). */
export function storageBits(spec: Pick<QuantSpec, 'bits' | 'method' | 'symmetric'>): number {
  return spec.method === 'ternary' ? 2 : spec.bits;
}

export function isAffine(q: QuantizedTensor): boolean {
  return q.spec.method === 'uniform' || q.spec.method === 'ternary';
}

function checkSpec(values: Float32Array, shape: number[], spec: QuantSpec): void {
  const n = shape.reduce((a, b) => a * b, 1);
  if (n !== values.length) throw new UserError(`quantize: shape [${shape.join(',')}] holds ${n} values, got ${values.length}`);
  if (!['uniform', 'pow2', 'kmeans', 'ternary'].includes(spec.method)) throw new UserError(`quantize: unknown method '${String(spec.method)}'`);
  if (!Number.isInteger(spec.bits) || spec.bits < 1 || spec.bits > 16) throw new UserError(`quantize: bits must be an integer 1..16, got ${spec.bits}`);
  const minBits = spec.method === 'ternary' ? 2 : spec.method === 'uniform' && !spec.symmetric ? 1 : 2;
  if (spec.bits < minBits) throw new UserError(`quantize: ${spec.method}${spec.method === 'uniform' ? ' symmetric' : ''} needs at least ${minBits} bits, got ${spec.bits}`);
  if (spec.granularity === 'per-channel') {
    const axis = spec.axis ?? shape.length - 1;
    if (shape.length === 0 || axis < 0 || axis >= shape.length) throw new UserError(`quantize: channel axis ${axis} out of range for shape [${shape.join(',')}]`);
  }
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) throw new UserError(`quantize: non-finite weight at index ${i}`);
  }
}

/** channel of each element, and the channel count (1 for per-tensor) */
function channelsOf(shape: number[], spec: QuantSpec): { count: number; of: (i: number) => number } {
  if (spec.granularity === 'per-tensor') return { count: 1, of: () => 0 };
  const axis = spec.axis ?? shape.length - 1;
  const count = shape[axis];
  let inner = 1;
  for (let d = axis + 1; d < shape.length; d++) inner *= shape[d];
  return { count, of: (i) => Math.floor(i / inner) % count };
}

/** per-channel element lists, so each quantizer works on one channel's values at a time */
function groupByChannel(n: number, ch: { count: number; of: (i: number) => number }): Int32Array[] {
  const sizes = new Int32Array(ch.count);
  for (let i = 0; i < n; i++) sizes[ch.of(i)]++;
  const groups = Array.from(sizes, (s) => new Int32Array(s));
  const fill = new Int32Array(ch.count);
  for (let i = 0; i < n; i++) {
    const c = ch.of(i);
    groups[c][fill[c]++] = i;
  }
  return groups;
}

export function quantize(values: Float32Array, shape: number[], spec: QuantSpec): QuantizedTensor {
  checkSpec(values, shape, spec);
  const n = values.length;
  const ch = channelsOf(shape, spec);
  const groups = groupByChannel(n, ch);
  const levels = levelCount(spec);
  const codes = new Int32Array(n);
  const scales = new Float32Array(ch.count);
  const zeroPoints = new Int32Array(ch.count);
  let codebook: Float32Array | undefined;
  if (spec.method === 'pow2' || spec.method === 'kmeans') codebook = new Float32Array(ch.count * levels);
  const rng = makeRng(spec.seed ?? 0);

  for (let c = 0; c < ch.count; c++) {
    const idx = groups[c];
    switch (spec.method) {
      case 'uniform':
        uniformChannel(values, idx, spec, codes, scales, zeroPoints, c);
        break;
      case 'ternary':
        ternaryChannel(values, idx, codes, scales, c);
        break;
      case 'pow2': {
        const book = pow2Codebook(maxAbs(values, idx), spec.bits);
        codebook!.set(book, c * levels);
        assignNearest(values, idx, book, codes);
        scales[c] = 1;
        break;
      }
      case 'kmeans': {
        const book = kmeansCodebook(values, idx, spec.bits, rng);
        codebook!.set(book, c * levels);
        assignNearest(values, idx, book, codes);
        scales[c] = 1;
        break;
      }
    }
  }
  return { spec: { ...spec }, shape: [...shape], codes, scales, zeroPoints, codebook, levels };
}

export function dequantize(q: QuantizedTensor): Float32Array {
  const out = new Float32Array(q.codes.length);
  const ch = channelsOf(q.shape, q.spec);
  if (isAffine(q)) {
    for (let i = 0; i < out.length; i++) {
      const c = ch.of(i);
      out[i] = (q.codes[i] - q.zeroPoints[c]) * q.scales[c];
    }
  } else {
    const book = q.codebook!;
    for (let i = 0; i < out.length; i++) out[i] = book[ch.of(i) * q.levels + q.codes[i]];
  }
  return out;
}

function maxAbs(v: Float32Array, idx: Int32Array): number {
  let m = 0;
  for (const i of idx) m = Math.max(m, Math.abs(v[i]));
  return m;
}

function uniformChannel(
  v: Float32Array,
  idx: Int32Array,
  spec: QuantSpec,
  codes: Int32Array,
  scales: Float32Array,
  zeroPoints: Int32Array,
  c: number,
): void {
  if (spec.symmetric) {
    const qmax = 2 ** (spec.bits - 1) - 1;
    const m = maxAbs(v, idx);
    const s = m > 0 ? m / qmax : 1;
    scales[c] = s;
    zeroPoints[c] = 0;
    for (const i of idx) codes[i] = Math.max(-qmax, Math.min(qmax, Math.round(v[i] / s)));
    return;
  }
  const qmax = 2 ** spec.bits - 1;
  // the range always holds 0 so that zero weights stay exactly zero
  let lo = 0;
  let hi = 0;
  for (const i of idx) {
    lo = Math.min(lo, v[i]);
    hi = Math.max(hi, v[i]);
  }
  const s = hi > lo ? (hi - lo) / qmax : 1;
  const zp = Math.max(0, Math.min(qmax, Math.round(-lo / s)));
  scales[c] = s;
  zeroPoints[c] = zp;
  for (const i of idx) codes[i] = Math.max(0, Math.min(qmax, Math.round(v[i] / s) + zp));
}

/** TWN ternary: threshold 0.7·mean|w|, magnitude = mean |w| above it (Li & Liu 2016). */
function ternaryChannel(v: Float32Array, idx: Int32Array, codes: Int32Array, scales: Float32Array, c: number): void {
  let sum = 0;
  for (const i of idx) sum += Math.abs(v[i]);
  const delta = idx.length ? (0.7 * sum) / idx.length : 0;
  let above = 0;
  let cnt = 0;
  for (const i of idx) {
    const a = Math.abs(v[i]);
    if (a > delta) {
      above += a;
      cnt++;
    }
  }
  const alpha = cnt ? above / cnt : 0;
  scales[c] = alpha > 0 ? alpha : 1;
  for (const i of idx) codes[i] = Math.abs(v[i]) > delta && alpha > 0 ? Math.sign(v[i]) : 0;
}

/** INQ codebook, sorted ascending: {-2^n1..-2^n2, 0, 2^n2..2^n1}, n1 = floor(log2(4·max/3)), n2 = n1+1-2^(b-2). */
export function pow2Codebook(max: number, bits: number): Float32Array {
  const half = 2 ** (bits - 2);
  const book = new Float32Array(2 * half + 1);
  if (max <= 0) return book;
  const n1 = Math.floor(Math.log2((4 * max) / 3));
  for (let j = 0; j < half; j++) {
    book[2 * half - j] = 2 ** (n1 - j);
    book[j] = -(2 ** (n1 - j));
  }
  return book;
}

/**
 * SLQ k-means codebook (WLQ code): 2^(b-1)+1 centroids initialised at 0 and ±2^(floor(log2 max|w|) - j),
 * 10 Lloyd iterations, the zero centroid held fixed. Returned sorted ascending; zero stays in the book.
 */
export function kmeansCodebook(v: Float32Array, idx: Int32Array, bits: number, rng: () => number, iters = 10): Float32Array {
  const half = 2 ** (bits - 2);
  const k = 2 * half + 1;
  const m = maxAbs(v, idx);
  if (m === 0 || idx.length === 0) return new Float32Array(k);
  const exact = fewLevels(v, idx, k);
  if (exact) return exact;
  const top = Math.floor(Math.log2(m));
  // kept sorted ascending; 1-D Lloyd steps preserve the order, re-seeds are re-sorted below
  let book = new Float64Array(k);
  for (let j = 0; j < half; j++) {
    book[2 * half - j] = 2 ** (top - j);
    book[j] = -(2 ** (top - j));
  }
  let zero = half;
  const sums = new Float64Array(k);
  const counts = new Int32Array(k);
  for (let it = 0; it < iters; it++) {
    sums.fill(0);
    counts.fill(0);
    for (const i of idx) {
      const j = nearestSorted(book, v[i]);
      sums[j] += v[i];
      counts[j]++;
    }
    let reseeded = false;
    for (let j = 0; j < k; j++) {
      if (j === zero) continue; // the zero centroid stays at 0
      if (counts[j] > 0) book[j] = sums[j] / counts[j];
      else {
        // an empty centroid is re-seeded on a random weight so the book keeps k values in use
        book[j] = v[idx[Math.floor(rng() * idx.length)]];
        reseeded = true;
      }
    }
    if (reseeded) {
      const order = Array.from(book.keys()).sort((a, b) => book[a] - book[b] || (a === zero ? -1 : 1));
      book = Float64Array.from(order, (j) => book[j]);
      zero = order.indexOf(zero);
    }
  }
  return Float32Array.from(book);
}

/**
 * Weights that already take at most k values (zero included), as a model quantized earlier does, get exactly
 * those values as their book: the zero-error optimum, which Lloyd steps from the power-of-two start can miss.
 * Sorted ascending, padded with the largest value; null when there are more than k values.
 */
function fewLevels(v: Float32Array, idx: Int32Array, k: number): Float32Array | null {
  const seen = new Set<number>([0]);
  for (const i of idx) {
    seen.add(v[i]);
    if (seen.size > k) return null;
  }
  const sorted = Float32Array.from(seen).sort();
  const book = new Float32Array(k).fill(sorted[sorted.length - 1]);
  book.set(sorted);
  return book;
}

/** index of the nearest value in an ascending array (ties go to the lower index) */
function nearestSorted(sorted: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] <= x) lo = mid;
    else hi = mid;
  }
  return Math.abs(x - sorted[lo]) <= Math.abs(sorted[hi] - x) ? lo : hi;
}

function assignNearest(v: Float32Array, idx: Int32Array, book: Float32Array, codes: Int32Array): void {
  for (const i of idx) codes[i] = nearestSorted(book, v[i]);
}

/**
 * New codes for `values` under the fixed parameters (scales / codebook) of an earlier quantization: what a
 * progressive quantizer needs once the float part has been retrained. Affine codes are clamped to their range.
 */
export function requantize(values: Float32Array, params: QuantizedTensor): QuantizedTensor {
  const { spec, shape } = params;
  if (values.length !== params.codes.length) throw new UserError(`requantize: ${values.length} values for ${params.codes.length} codes`);
  const ch = channelsOf(shape, spec);
  const codes = new Int32Array(values.length);
  if (spec.method === 'ternary') {
    for (let i = 0; i < values.length; i++) {
      const c = ch.of(i);
      codes[i] = Math.max(-1, Math.min(1, Math.round(values[i] / params.scales[c])));
    }
  } else if (spec.method === 'uniform') {
    const lo = spec.symmetric ? -(2 ** (spec.bits - 1) - 1) : 0;
    const hi = spec.symmetric ? 2 ** (spec.bits - 1) - 1 : 2 ** spec.bits - 1;
    for (let i = 0; i < values.length; i++) {
      const c = ch.of(i);
      codes[i] = Math.max(lo, Math.min(hi, Math.round(values[i] / params.scales[c]) + params.zeroPoints[c]));
    }
  } else {
    const book = params.codebook!;
    const L = params.levels;
    for (let i = 0; i < values.length; i++) {
      const c = ch.of(i);
      codes[i] = nearestSorted(book.subarray(c * L, (c + 1) * L), values[i]);
    }
  }
  return { ...params, codes };
}
