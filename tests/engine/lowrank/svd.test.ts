import { describe, expect, it } from 'vitest';
import { makeRng } from '../../../src/engine/core/random';
import { mat, prefersExact, reconstruct, svd, symmetricEigen, truncatedSign, type Mat } from '../../../src/engine/lowrank/svd';
import { cumulativeEnergy, energyRank, selectRank, thresholdRank } from '../../../src/engine/lowrank/rank';

function gaussian(rows: number, cols: number, seed: number): Mat {
  const rng = makeRng(seed);
  const m = mat(rows, cols);
  for (let i = 0; i < m.data.length; i += 2) {
    const u = Math.max(rng(), 1e-12);
    const v = rng();
    const r = Math.sqrt(-2 * Math.log(u));
    m.data[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < m.data.length) m.data[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return m;
}

/** Q·diag(s)·Pᵀ with random orthonormal Q, P (Gram–Schmidt): a matrix with a known spectrum. */
function withSpectrum(rows: number, cols: number, s: number[], seed: number): Mat {
  const k = s.length;
  const orth = (n: number, sd: number) => {
    const g = gaussian(k, n, sd);
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < i; j++) {
        let d = 0;
        for (let t = 0; t < n; t++) d += g.data[i * n + t] * g.data[j * n + t];
        for (let t = 0; t < n; t++) g.data[i * n + t] -= d * g.data[j * n + t];
      }
      let nrm = 0;
      for (let t = 0; t < n; t++) nrm += g.data[i * n + t] ** 2;
      nrm = Math.sqrt(nrm);
      for (let t = 0; t < n; t++) g.data[i * n + t] /= nrm;
    }
    return g;
  };
  const Q = orth(rows, seed);
  const P = orth(cols, seed + 1);
  const a = mat(rows, cols);
  for (let c = 0; c < k; c++) for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) a.data[i * cols + j] += Q.data[c * rows + i] * s[c] * P.data[c * cols + j];
  return a;
}

const frob2 = (a: Mat, b?: Mat) => a.data.reduce((acc, x, i) => acc + (x - (b ? b.data[i] : 0)) ** 2, 0);
const maxRel = (a: ArrayLike<number>, b: ArrayLike<number>, floor: number) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), floor));
  return m;
};

describe('thin SVD: the fast Gram route against the exact one', () => {
  it.each([
    [64, 576],
    [144, 40],
    [256, 1152],
  ])('%i×%i gaussian: singular values to 1e-4 relative, reconstruction exact at full rank', (rows, cols) => {
    const a = gaussian(rows, cols, rows + cols);
    const exact = svd(a, { method: 'exact', vectors: true });
    const fast = svd(a, { method: 'gram', vectors: true });
    expect(exact.method).toBe('exact');
    expect(fast.method).toBe('gram');
    expect(fast.s.length).toBe(Math.min(rows, cols));
    expect(maxRel(fast.s, exact.s, 0)).toBeLessThan(1e-4);
    const k = Math.min(rows, cols);
    expect(frob2(reconstruct(fast, k), a) / frob2(a)).toBeLessThan(1e-10);
    expect(frob2(reconstruct(exact, k), a) / frob2(a)).toBeLessThan(1e-10);
    // Eckart–Young: the rank-r residual is the tail energy, on both routes
    const r = Math.floor(k / 3);
    const tail = Array.from(exact.s.slice(r)).reduce((acc, x) => acc + x * x, 0);
    expect(Math.abs(frob2(reconstruct(fast, r), a) - tail) / tail).toBeLessThan(1e-6);
    expect(Math.abs(frob2(reconstruct(exact, r), a) - tail) / tail).toBeLessThan(1e-6);
  });

  it('a known, fast-decaying spectrum (1 … 1e-3) is recovered on both routes', () => {
    const s = Array.from({ length: 48 }, (_, i) => 10 ** (-3 * (i / 47)));
    const a = withSpectrum(96, 200, s, 11);
    for (const method of ['exact', 'gram'] as const) {
      const d = svd(a, { method });
      expect(maxRel(d.s.slice(0, 48), s, 0)).toBeLessThan(1e-4);
      // the zero tail beyond the true rank stays at rounding level
      expect(d.s[60] / d.s[0]).toBeLessThan(1e-6);
    }
  });

  it('wide and tall inputs give the same values (transposes)', () => {
    const a = gaussian(30, 70, 3);
    const t = mat(70, 30);
    for (let i = 0; i < 30; i++) for (let j = 0; j < 70; j++) t.data[j * 30 + i] = a.data[i * 70 + j];
    expect(maxRel(svd(t, { method: 'gram' }).s, svd(a, { method: 'exact' }).s, 0)).toBeLessThan(1e-8);
    const dt = svd(t, { method: 'gram', vectors: true });
    expect(dt.u!.rows).toBe(70);
    expect(dt.v!.rows).toBe(30);
    expect(frob2(reconstruct(dt, 30), t) / frob2(t)).toBeLessThan(1e-10);
  });

  it('auto picks exact for small matrices and gram for large ones', () => {
    expect(prefersExact(16, 144)).toBe(true);
    expect(prefersExact(32, 288)).toBe(true);
    expect(prefersExact(64, 576)).toBe(false);
    expect(prefersExact(512, 4608)).toBe(false);
    expect(svd(gaussian(512, 600, 1)).method).toBe('gram');
  });

  it('symmetric eigensolver: values and orthonormal vectors of a known matrix', () => {
    const a = withSpectrum(20, 20, Array.from({ length: 20 }, (_, i) => 20 - i), 5);
    // a·aᵀ has eigenvalues (20-i)²
    const g = new Float64Array(400);
    for (let i = 0; i < 20; i++) for (let j = 0; j < 20; j++) for (let k = 0; k < 20; k++) g[i * 20 + j] += a.data[i * 20 + k] * a.data[j * 20 + k];
    const { values, vectors } = symmetricEigen(Float64Array.from(g), 20, true);
    expect(maxRel(values, Array.from({ length: 20 }, (_, i) => (20 - i) ** 2), 0)).toBeLessThan(1e-10);
    const valuesOnly = symmetricEigen(Float64Array.from(g), 20, false).values;
    expect(maxRel(valuesOnly, values, 0)).toBeLessThan(1e-10);
    for (let c = 0; c < 20; c++) {
      let n = 0;
      for (let r = 0; r < 20; r++) n += vectors![r * 20 + c] ** 2;
      expect(n).toBeCloseTo(1, 10);
    }
  });

  it('truncated sign U_r V_rᵀ has singular values exactly 1 (r of them)', () => {
    const d = svd(gaussian(12, 30, 8), { vectors: true });
    const s = svd(truncatedSign(d, 5), { method: 'exact' }).s;
    expect(Array.from(s.slice(0, 5)).every((x) => Math.abs(x - 1) < 1e-9)).toBe(true);
    expect(s[5]).toBeLessThan(1e-9);
  });

  it('rejects empty and non-finite matrices with one-line errors', () => {
    expect(() => svd(mat(0, 3))).toThrow(/empty 0×3/);
    const a = mat(2, 2, [1, NaN, 0, 1]);
    expect(() => svd(a)).toThrow(/non-finite/);
  });
});

describe('rank selection', () => {
  const s = [4, 2, 1, 1]; // energies 16, 4, 1, 1 of 22
  it('energy rank counts squared values', () => {
    expect(cumulativeEnergy(s).map((x) => +x.toFixed(4))).toEqual([0.7273, 0.9091, 0.9545, 1]);
    expect(energyRank(s, 0.5)).toBe(1);
    expect(energyRank(s, 0.9)).toBe(2);
    expect(energyRank(s, 0.95)).toBe(3);
    expect(energyRank(s, 1)).toBe(4);
    expect(energyRank([0, 0], 0.9)).toBe(1);
    expect(() => energyRank(s, 0)).toThrow(/energy must be in/);
  });
  it('value threshold keeps σ ≥ τ (the rule the authors documented), at least 1', () => {
    expect(thresholdRank(s, 1.5)).toBe(2);
    expect(thresholdRank(s, 1)).toBe(4);
    expect(thresholdRank(s, 10)).toBe(1);
    expect(selectRank(s, { kind: 'threshold', tau: 2 })).toBe(2);
    expect(selectRank(s, { kind: 'energy', energy: 0.9 })).toBe(2);
  });
});
