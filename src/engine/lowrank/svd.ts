// Thin SVD of the matrices behind layer weights. Two routes:
//  - exact: ml-matrix's Golub–Kahan SVD (LAPACK-grade accuracy, but ~30 s on 512×4608 in JS);
//  - gram:  G = A·Aᵀ over the short side in float64 (register-blocked JS loop, ~0.4 s for 512×4608), then a
//           symmetric eigensolver (Householder tridiagonalisation + implicit QL). σ = √λ. Values-only skips the
//           eigenvector accumulation (the spectrum needs none). Relative error of σ_i is about
//           ε₆₄·(σ₁/σ_i)², i.e. negligible until σ_i < 1e-5·σ₁, which is far below any rank we select.
// 'auto' takes exact for small matrices (where it is as fast) and gram otherwise.
import { Matrix, SingularValueDecomposition } from 'ml-matrix';
import { UserError } from '../core/errors';

/** A dense row-major float64 matrix. */
export interface Mat {
  rows: number;
  cols: number;
  data: Float64Array;
}

export type SvdMethod = 'auto' | 'exact' | 'gram';

export interface Svd {
  /** singular values, descending */
  s: Float64Array;
  /** left vectors, rows × k (k = min(rows, cols)), row-major; present when vectors were asked */
  u?: Mat;
  /** right vectors, cols × k, row-major */
  v?: Mat;
  /** the route actually taken */
  method: 'exact' | 'gram';
}

export const mat = (rows: number, cols: number, data?: ArrayLike<number>): Mat => {
  if (data && data.length !== rows * cols) throw new UserError(`matrix data has ${data.length} values, expected ${rows}×${cols}`);
  return { rows, cols, data: data ? Float64Array.from(data) : new Float64Array(rows * cols) };
};

function transpose(a: Mat): Mat {
  const t = new Float64Array(a.rows * a.cols);
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) t[j * a.rows + i] = a.data[i * a.cols + j];
  return { rows: a.cols, cols: a.rows, data: t };
}

/** A·Aᵀ (rows × rows), 2×2 register blocking: each pass over k feeds four dot products. */
function gram(a: Mat): Float64Array {
  const m = a.rows;
  const n = a.cols;
  const d = a.data;
  const g = new Float64Array(m * m);
  let i = 0;
  for (; i + 1 < m; i += 2) {
    const ai = i * n;
    const ai1 = ai + n;
    for (let j = 0; j <= i; j += 2) {
      const aj = j * n;
      const aj1 = aj + n;
      let s00 = 0;
      let s01 = 0;
      let s10 = 0;
      let s11 = 0;
      for (let k = 0; k < n; k++) {
        const x0 = d[ai + k];
        const x1 = d[ai1 + k];
        const y0 = d[aj + k];
        const y1 = d[aj1 + k];
        s00 += x0 * y0;
        s01 += x0 * y1;
        s10 += x1 * y0;
        s11 += x1 * y1;
      }
      g[i * m + j] = s00;
      g[i * m + j + 1] = s01;
      g[(i + 1) * m + j] = s10;
      g[(i + 1) * m + j + 1] = s11;
    }
  }
  for (; i < m; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += d[i * n + k] * d[j * n + k];
      g[i * m + j] = s;
    }
  }
  for (let r = 0; r < m; r++) for (let c = r + 1; c < m; c++) g[r * m + c] = g[c * m + r];
  return g;
}

/**
 * Eigen-decomposition of a symmetric n×n matrix (row-major, overwritten). Householder reduction to
 * tridiagonal form and the implicit QL algorithm (the EISPACK tred2/tql2 pair, as in JAMA). Returns the
 * eigenvalues descending and, when asked, the eigenvectors as the columns of an n×n row-major matrix.
 */
export function symmetricEigen(aIn: Float64Array, n: number, vectors: boolean): { values: Float64Array; vectors?: Float64Array } {
  const V = aIn; // work in place: V[i*n+j]
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  // ---- tred2 ----
  for (let j = 0; j < n; j++) d[j] = V[(n - 1) * n + j];
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]);
    if (scale === 0) {
      e[i] = d[i - 1];
      for (let j = 0; j < i; j++) {
        d[j] = V[(i - 1) * n + j];
        V[i * n + j] = 0;
        V[j * n + i] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] /= scale;
        h += d[k] * d[k];
      }
      let f = d[i - 1];
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j];
        V[j * n + i] = f;
        g = e[j] + V[j * n + j] * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += V[k * n + j] * d[k];
          e[k] += V[k * n + j] * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] -= hh * d[j];
      for (let j = 0; j < i; j++) {
        f = d[j];
        g = e[j];
        for (let k = j; k <= i - 1; k++) V[k * n + j] -= f * e[k] + g * d[k];
        d[j] = V[(i - 1) * n + j];
        V[i * n + j] = 0;
      }
    }
    d[i] = h;
  }
  // accumulate the transformations (skipped for values only: the O(n³) part we do not need)
  if (vectors) {
    for (let i = 0; i < n - 1; i++) {
      V[(n - 1) * n + i] = V[i * n + i];
      V[i * n + i] = 1;
      const h = d[i + 1];
      if (h !== 0) {
        for (let k = 0; k <= i; k++) d[k] = V[k * n + i + 1] / h;
        for (let j = 0; j <= i; j++) {
          let g = 0;
          for (let k = 0; k <= i; k++) g += V[k * n + i + 1] * V[k * n + j];
          for (let k = 0; k <= i; k++) V[k * n + j] -= g * d[k];
        }
      }
      for (let k = 0; k <= i; k++) V[k * n + i + 1] = 0;
    }
    for (let j = 0; j < n; j++) {
      d[j] = V[(n - 1) * n + j];
      V[(n - 1) * n + j] = 0;
    }
    V[(n - 1) * n + n - 1] = 1;
  } else {
    // the tridiagonal's diagonal, read from where the accumulation step would read it (d holds h values now)
    for (let i = 0; i < n - 1; i++) d[i] = V[i * n + i];
    d[n - 1] = V[(n - 1) * n + n - 1];
  }
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  e[n - 1] = 0;
  // ---- tql2 ----
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let m = l;
    while (m < n) {
      if (Math.abs(e[m]) <= eps * tst1) break;
      m++;
    }
    if (m > l) {
      let iter = 0;
      do {
        if (++iter > 60) throw new Error('symmetric eigensolver did not converge');
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * e[l]);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= h;
        f += h;
        p = d[m];
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1];
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = Math.hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          if (vectors) {
            for (let k = 0; k < n; k++) {
              h = V[k * n + i + 1];
              V[k * n + i + 1] = s * V[k * n + i] + c * h;
              V[k * n + i] = c * V[k * n + i] - s * h;
            }
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]) > eps * tst1);
    }
    d[l] = d[l] + f;
    e[l] = 0;
  }
  // sort descending
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => d[b] - d[a]);
  const values = Float64Array.from(order, (i) => d[i]);
  if (!vectors) return { values };
  const vecs = new Float64Array(n * n);
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) vecs[r * n + c] = V[r * n + order[c]];
  return { values, vectors: vecs };
}

function svdExact(a: Mat, vectors: boolean): Svd {
  const k = Math.min(a.rows, a.cols);
  // ml-matrix wants rows ≥ cols for its thin form; work on the transpose otherwise
  const wide = a.rows < a.cols;
  const src = wide ? transpose(a) : a;
  const m = new Matrix(src.rows, src.cols);
  for (let i = 0; i < src.rows; i++) for (let j = 0; j < src.cols; j++) m.set(i, j, src.data[i * src.cols + j]);
  const svd = new SingularValueDecomposition(m, { computeLeftSingularVectors: vectors, computeRightSingularVectors: vectors, autoTranspose: false });
  const s = Float64Array.from(svd.diagonal.slice(0, k), (x) => Math.max(0, x));
  if (!vectors) return { s, method: 'exact' };
  const take = (M: Matrix): Mat => {
    const out = mat(M.rows, k);
    for (let i = 0; i < M.rows; i++) for (let j = 0; j < k; j++) out.data[i * k + j] = M.get(i, j);
    return out;
  };
  const U = take(svd.leftSingularVectors);
  const V = take(svd.rightSingularVectors);
  return wide ? { s, u: V, v: U, method: 'exact' } : { s, u: U, v: V, method: 'exact' };
}

function svdGram(a: Mat, vectors: boolean): Svd {
  const wide = a.rows <= a.cols;
  const short = wide ? a : transpose(a); // k × N with k ≤ N
  const k = short.rows;
  const n = short.cols;
  const { values, vectors: W } = symmetricEigen(gram(short), k, vectors);
  const s = Float64Array.from(values, (l) => Math.sqrt(Math.max(0, l)));
  if (!vectors) return { s, method: 'gram' };
  // the long-side vectors: X = shortᵀ·W·Σ⁻¹, column by column; columns with σ ≈ 0 are left zero (they carry
  // no energy, and no decomposition keeps them)
  const X = mat(n, k);
  const tol = (s[0] || 0) * 1e-10;
  for (let c = 0; c < k; c++) {
    if (!(s[c] > tol)) continue;
    const inv = 1 / s[c];
    for (let r = 0; r < k; r++) {
      const w = W![r * k + c] * inv;
      if (w === 0) continue;
      const row = r * n;
      for (let j = 0; j < n; j++) X.data[j * k + c] += w * short.data[row + j];
    }
  }
  const Wm: Mat = { rows: k, cols: k, data: W! };
  return wide ? { s, u: Wm, v: X, method: 'gram' } : { s, u: X, v: Wm, method: 'gram' };
}

/** Whether 'auto' takes the exact route: small enough that Golub–Kahan in JS costs only milliseconds. */
export function prefersExact(rows: number, cols: number): boolean {
  const k = Math.min(rows, cols);
  return k <= 16 || rows * cols * k <= 5e5;
}

/** Thin SVD A = U·diag(s)·Vᵀ. */
export function svd(a: Mat, opts: { vectors?: boolean; method?: SvdMethod } = {}): Svd {
  if (a.rows < 1 || a.cols < 1) throw new UserError(`cannot take the SVD of an empty ${a.rows}×${a.cols} matrix`);
  for (let i = 0; i < a.data.length; i++) {
    if (!Number.isFinite(a.data[i])) throw new UserError(`matrix ${a.rows}×${a.cols} holds a non-finite value at ${i}`);
  }
  const vectors = opts.vectors ?? false;
  const method = opts.method ?? 'auto';
  const exact = method === 'exact' || (method === 'auto' && prefersExact(a.rows, a.cols));
  return exact ? svdExact(a, vectors) : svdGram(a, vectors);
}

/** U_r·diag(s_r)·V_rᵀ. */
export function reconstruct(d: Svd, r: number): Mat {
  if (!d.u || !d.v) throw new Error('reconstruct needs the singular vectors');
  const m = d.u.rows;
  const n = d.v.rows;
  const k = d.u.cols;
  const out = mat(m, n);
  for (let c = 0; c < Math.min(r, k); c++) {
    const sc = d.s[c];
    if (sc === 0) continue;
    for (let i = 0; i < m; i++) {
      const ui = d.u.data[i * k + c] * sc;
      if (ui === 0) continue;
      const row = i * n;
      for (let j = 0; j < n; j++) out.data[row + j] += ui * d.v.data[j * k + c];
    }
  }
  return out;
}

/** U_r·V_rᵀ: the truncated nuclear-norm sub-gradient of TRP. */
export function truncatedSign(d: Svd, r: number): Mat {
  return reconstruct({ ...d, s: Float64Array.from(d.s, () => 1) }, r);
}
