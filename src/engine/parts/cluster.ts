/**
 * Clustering for pattern mining: seeded k-means (k-means++ start), spectral clustering on an affinity matrix
 * (Ng–Jordan–Weiss: zero diagonal, normalised Laplacian L = I − D^-1/2 A D^-1/2, eigenvectors of its k smallest
 * eigenvalues from ml-matrix, rows normalised to unit length, then k-means; k fixed or at the largest eigen-gap),
 * and cluster purity against hidden labels.
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { makeRng } from '../core/random';

/** k-means on n rows of `dim` floats; returns each row's cluster. Empty clusters are re-seeded at the farthest row. */
export function kmeans(x: ArrayLike<number>, n: number, dim: number, k: number, seed: number, iterations = 50): number[] {
  const rng = makeRng(seed);
  k = Math.max(1, Math.min(k, n));
  const centres = new Float64Array(k * dim);
  const d2 = (i: number, c: number) => {
    let s = 0;
    for (let t = 0; t < dim; t++) s += (x[i * dim + t] - centres[c * dim + t]) ** 2;
    return s;
  };
  const setCentre = (c: number, i: number) => {
    for (let t = 0; t < dim; t++) centres[c * dim + t] = x[i * dim + t];
  };
  // k-means++
  setCentre(0, Math.floor(rng() * n));
  const best = new Float64Array(n).fill(Infinity);
  for (let c = 1; c < k; c++) {
    let total = 0;
    for (let i = 0; i < n; i++) {
      best[i] = Math.min(best[i], d2(i, c - 1));
      total += best[i];
    }
    let r = rng() * total;
    let pick = n - 1;
    for (let i = 0; i < n; i++) {
      r -= best[i];
      if (r <= 0) {
        pick = i;
        break;
      }
    }
    setCentre(c, pick);
  }
  const assign = new Array<number>(n).fill(-1);
  for (let it = 0; it < iterations; it++) {
    let moved = false;
    for (let i = 0; i < n; i++) {
      let bc = 0;
      let bd = Infinity;
      for (let c = 0; c < k; c++) {
        const d = d2(i, c);
        if (d < bd) {
          bd = d;
          bc = c;
        }
      }
      if (assign[i] !== bc) {
        assign[i] = bc;
        moved = true;
      }
    }
    if (!moved && it > 0) break;
    const counts = new Array<number>(k).fill(0);
    centres.fill(0);
    for (let i = 0; i < n; i++) {
      counts[assign[i]]++;
      for (let t = 0; t < dim; t++) centres[assign[i] * dim + t] += x[i * dim + t];
    }
    for (let c = 0; c < k; c++) {
      if (counts[c]) for (let t = 0; t < dim; t++) centres[c * dim + t] /= counts[c];
      else {
        // re-seed an empty cluster at the row farthest from its centre
        let far = 0;
        let fd = -1;
        for (let i = 0; i < n; i++) {
          const d = d2(i, assign[i]);
          if (d > fd) {
            fd = d;
            far = i;
          }
        }
        setCentre(c, far);
      }
    }
  }
  return assign;
}

export interface Spectral {
  assign: number[];
  /** eigenvalues of the normalised Laplacian, ascending (the eigen-gap plot) */
  eigenvalues: number[];
  /** the number of clusters used (fixed, or chosen at the largest eigen-gap) */
  k: number;
}

export interface SpectralOptions {
  /**
   * Keep A_ii (self-loops). Ng–Jordan–Weiss set A_ii = 0: a self-loop adds to its node's degree but connects nothing,
   * so large self-loops shrink every eigenvalue of L towards 0 and flatten the eigen-gap. Default false.
   */
  selfLoops?: boolean;
  /** the number of clusters: a fixed count, or 'eigengap' = the k in [minK, maxK] with the largest λ_{k+1} − λ_k */
  k: number | 'eigengap';
  minK?: number;
  maxK?: number;
}

/**
 * The k at the largest eigen-gap: argmax over k ∈ [minK, maxK] of λ_{k+1} − λ_k (eigenvalues ascending, λ_1 = the
 * smallest; ties → the smaller k).
 */
export function eigengapK(eigenvalues: readonly number[], minK: number, maxK: number): number {
  const hi = Math.min(maxK, eigenvalues.length - 1);
  let best = Math.max(1, Math.min(minK, hi));
  let gap = -Infinity;
  for (let k = best; k <= hi; k++) {
    const g = eigenvalues[k] - eigenvalues[k - 1];
    if (g > gap + 1e-12) {
      gap = g;
      best = k;
    }
  }
  return best;
}

/**
 * Spectral clustering of a symmetric affinity matrix (row-major n × n, entries ≥ 0), Ng–Jordan–Weiss: A_ii := 0
 * (unless `selfLoops`), L = I − D^-1/2 A D^-1/2, the eigenvectors of its k smallest eigenvalues as columns, rows
 * scaled to unit length, k-means on the rows. A node with no edges keeps degree 1e-12 (its row of U is then the
 * eigenvector entries alone).
 */
export function spectralClusters(A: ArrayLike<number>, n: number, k: number | SpectralOptions, seed: number): Spectral {
  const opts: SpectralOptions = typeof k === 'number' ? { k } : k;
  const w = (i: number, j: number) => (i === j && !opts.selfLoops ? 0 : A[i * n + j]);
  const deg = new Float64Array(n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) deg[i] += w(i, j);
  const L = Matrix.zeros(n, n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const norm = w(i, j) / Math.sqrt(Math.max(1e-12, deg[i]) * Math.max(1e-12, deg[j]));
      L.set(i, j, (i === j ? 1 : 0) - norm);
    }
  }
  const evd = new EigenvalueDecomposition(L, { assumeSymmetric: true });
  const values = evd.realEigenvalues;
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const eigenvalues = order.map(([v]) => v);
  const V = evd.eigenvectorMatrix;
  const kk = opts.k === 'eigengap' ? eigengapK(eigenvalues, opts.minK ?? 2, opts.maxK ?? Math.min(n - 1, 20)) : Math.max(1, Math.min(opts.k, n));
  const U = new Float64Array(n * kk);
  for (let i = 0; i < n; i++) {
    let norm = 0;
    for (let c = 0; c < kk; c++) {
      const u = V.get(i, order[c][1]);
      U[i * kk + c] = u;
      norm += u * u;
    }
    norm = Math.sqrt(norm) || 1;
    for (let c = 0; c < kk; c++) U[i * kk + c] /= norm;
  }
  return { assign: kmeans(U, n, kk, kk, seed), eigenvalues, k: kk };
}

/** Purity: Σ over clusters of its largest hidden-label count, over all members (1 = every cluster is one label). */
export function purity(assign: readonly number[], labels: readonly string[]): number {
  const byCluster = new Map<number, Map<string, number>>();
  assign.forEach((c, i) => {
    const m = byCluster.get(c) ?? new Map<string, number>();
    m.set(labels[i], (m.get(labels[i]) ?? 0) + 1);
    byCluster.set(c, m);
  });
  let hit = 0;
  for (const m of byCluster.values()) hit += Math.max(...m.values());
  return assign.length ? hit / assign.length : 0;
}

/**
 * How purely the distinctive part is grouped: for the cluster holding the most members labelled `target`, the
 * share of its members that are `target` (its precision). 0 when no member is `target`.
 */
export function targetPurity(assign: readonly number[], labels: readonly string[], target: string): number {
  const count = new Map<number, [number, number]>();
  assign.forEach((c, i) => {
    const e = count.get(c) ?? [0, 0];
    e[0]++;
    if (labels[i] === target) e[1]++;
    count.set(c, e);
  });
  let best: [number, number] = [1, 0];
  for (const e of count.values()) if (e[1] > best[1] || (e[1] === best[1] && e[1] / e[0] > best[1] / best[0])) best = e;
  return best[1] / best[0];
}
