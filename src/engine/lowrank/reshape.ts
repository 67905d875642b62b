// Weight tensor ↔ matrix for the two factorisation schemes (methods.md §2.3(a)), in tfjs layouts:
// Conv2D kernel [kh, kw, c, n]; Dense kernel [in, out].
//  - channel-wise (Zhang et al., "NC"): M = n × (c·kh·kw), column (ci, y, x). Factor 1: r filters kh×kw×c (rows
//    of S½Vᵀ); factor 2: 1×1 conv r → n (columns of U S½).
//  - spatial-wise (Jaderberg et al., "VH"): W permuted to (c, kh, n, kw), M = (c·kh) × (n·kw). Factor 1: r
//    vertical filters kh×1×c (U S½); factor 2: n horizontal filters 1×kw×r (V S½).
//  - dense: M = out × in (Wᵀ), so a dense layer reads like a channel-wise conv. Factor 1: in → r (V S½);
//    factor 2: r → out (U S½)ᵀ.
import { UserError } from '../core/errors';
import { mat, type Mat, type Svd } from './svd';

export type Scheme = 'channel' | 'spatial';

export interface Kernel {
  data: Float32Array;
  shape: number[];
}

function checkShape(shape: number[]): 'conv' | 'dense' {
  if (shape.length === 4) return 'conv';
  if (shape.length === 2) return 'dense';
  throw new UserError(`cannot reshape a weight of shape [${shape.join(', ')}] to a matrix (want a conv [kh,kw,c,n] or dense [in,out] kernel)`);
}

/** The matrix's shape for a kernel shape under a scheme (dense kernels ignore the scheme). */
export function matrixShape(shape: number[], scheme: Scheme): [number, number] {
  if (checkShape(shape) === 'dense') return [shape[1], shape[0]];
  const [kh, kw, c, n] = shape;
  return scheme === 'channel' ? [n, c * kh * kw] : [c * kh, n * kw];
}

/** For each kernel element (row-major order), its index in the reshaped matrix: one map serves both directions. */
function matrixIndex(shape: number[], scheme: Scheme): Int32Array {
  const [, cols] = matrixShape(shape, scheme);
  const map = new Int32Array(shape.reduce((a, b) => a * b, 1));
  if (checkShape(shape) === 'dense') {
    const [inU, outU] = shape;
    for (let i = 0; i < inU; i++) for (let o = 0; o < outU; o++) map[i * outU + o] = o * inU + i;
    return map;
  }
  const [kh, kw, c, n] = shape;
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      for (let ci = 0; ci < c; ci++) {
        const base = ((y * kw + x) * c + ci) * n;
        for (let o = 0; o < n; o++) {
          map[base + o] = scheme === 'channel' ? o * cols + (ci * kh + y) * kw + x : (ci * kh + y) * cols + o * kw + x;
        }
      }
    }
  }
  return map;
}

export function kernelToMatrix(data: ArrayLike<number>, shape: number[], scheme: Scheme): Mat {
  const [rows, cols] = matrixShape(shape, scheme);
  const m = mat(rows, cols);
  const map = matrixIndex(shape, scheme);
  for (let i = 0; i < map.length; i++) m.data[map[i]] = data[i];
  return m;
}

/** The inverse of kernelToMatrix. */
export function matrixToKernel(m: Mat, shape: number[], scheme: Scheme): Float32Array {
  const [rows, cols] = matrixShape(shape, scheme);
  if (m.rows !== rows || m.cols !== cols) throw new Error(`matrix ${m.rows}×${m.cols} does not fit kernel [${shape.join(',')}] (${scheme})`);
  const map = matrixIndex(shape, scheme);
  const out = new Float32Array(map.length);
  for (let i = 0; i < map.length; i++) out[i] = m.data[map[i]];
  return out;
}

/** The two kernels of a rank-r factorisation (see the header). */
export function factorKernels(d: Svd, r: number, shape: number[], scheme: Scheme): { first: Kernel; second: Kernel } {
  if (!d.u || !d.v) throw new Error('factorKernels needs singular vectors');
  const k = d.u.cols;
  if (r < 1 || r > k) throw new UserError(`rank ${r} is outside 1..${k}`);
  const sq = Array.from({ length: r }, (_, j) => Math.sqrt(d.s[j]));
  const U = (i: number, j: number) => d.u!.data[i * k + j] * sq[j];
  const V = (i: number, j: number) => d.v!.data[i * k + j] * sq[j];
  if (checkShape(shape) === 'dense') {
    const [inU, outU] = shape;
    const a = new Float32Array(inU * r);
    for (let i = 0; i < inU; i++) for (let j = 0; j < r; j++) a[i * r + j] = V(i, j);
    const b = new Float32Array(r * outU);
    for (let j = 0; j < r; j++) for (let o = 0; o < outU; o++) b[j * outU + o] = U(o, j);
    return { first: { data: a, shape: [inU, r] }, second: { data: b, shape: [r, outU] } };
  }
  const [kh, kw, c, n] = shape;
  if (scheme === 'channel') {
    const a = new Float32Array(kh * kw * c * r);
    for (let y = 0; y < kh; y++) {
      for (let x = 0; x < kw; x++) {
        for (let ci = 0; ci < c; ci++) {
          const col = (ci * kh + y) * kw + x;
          for (let j = 0; j < r; j++) a[((y * kw + x) * c + ci) * r + j] = V(col, j);
        }
      }
    }
    const b = new Float32Array(r * n);
    for (let j = 0; j < r; j++) for (let o = 0; o < n; o++) b[j * n + o] = U(o, j);
    return { first: { data: a, shape: [kh, kw, c, r] }, second: { data: b, shape: [1, 1, r, n] } };
  }
  const a = new Float32Array(kh * c * r);
  for (let y = 0; y < kh; y++) for (let ci = 0; ci < c; ci++) for (let j = 0; j < r; j++) a[(y * c + ci) * r + j] = U(ci * kh + y, j);
  const b = new Float32Array(kw * r * n);
  for (let x = 0; x < kw; x++) for (let j = 0; j < r; j++) for (let o = 0; o < n; o++) b[(x * r + j) * n + o] = V(o * kw + x, j);
  return { first: { data: a, shape: [kh, 1, c, r] }, second: { data: b, shape: [1, kw, r, n] } };
}
