import { describe, expect, it } from 'vitest';
import { eigengapK, kmeans, purity, spectralClusters, targetPurity } from '../../../src/engine/parts/cluster';

describe('clustering for pattern mining', () => {
  it('k-means splits two separated blobs, the same way for the same seed', () => {
    const x = [0, 0, 0.1, 0, 0, 0.1, 5, 5, 5.1, 5, 5, 5.2];
    const a = kmeans(x, 6, 2, 2, 3);
    expect(a.slice(0, 3).every((v) => v === a[0])).toBe(true);
    expect(a.slice(3).every((v) => v === a[3])).toBe(true);
    expect(a[0]).not.toBe(a[3]);
    expect(kmeans(x, 6, 2, 2, 3)).toEqual(a);
  });

  it('spectral clustering recovers the blocks of a block-diagonal affinity; the eigen-gap sits after k', () => {
    const n = 9;
    const block = (i: number) => Math.floor(i / 3);
    const A = Array.from({ length: n * n }, (_, k) => (block(Math.floor(k / n)) === block(k % n) ? 0.9 : 0.05));
    const s = spectralClusters(A, n, 3, 1);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) expect(s.assign[i] === s.assign[j]).toBe(block(i) === block(j));
    expect(s.eigenvalues).toHaveLength(n);
    expect(s.eigenvalues[0]).toBeCloseTo(0, 6);
    // three small eigenvalues, then a jump
    expect(s.eigenvalues[3] - s.eigenvalues[2]).toBeGreaterThan(5 * (s.eigenvalues[2] - s.eigenvalues[0]));
    for (let k = 1; k < n; k++) expect(s.eigenvalues[k]).toBeGreaterThanOrEqual(s.eigenvalues[k - 1]);
  });

  it('the eigen-gap finds the blocks only with A_ii = 0 (self-loops of the old mining flatten the weak blocks)', () => {
    // 3 blocks of 6: one strong (0.6), two weak (0.02), cross 0.001; the diagonal 0.95 = σ(3), what the mining's
    // affinity puts there. Kept, the self-loops dominate the weak blocks' degrees: their nodes look isolated.
    const n = 18;
    const block = (i: number) => Math.floor(i / 6);
    const within = [0.6, 0.02, 0.02];
    const A = Array.from({ length: n * n }, (_, k) => {
      const i = Math.floor(k / n);
      const j = k % n;
      return i === j ? 0.95 : block(i) === block(j) ? within[block(i)] : 0.001;
    });
    const njw = spectralClusters(A, n, { k: 'eigengap', minK: 2, maxK: n - 1 }, 1);
    expect(njw.k).toBe(3);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) expect(njw.assign[i] === njw.assign[j]).toBe(block(i) === block(j));
    const loops = spectralClusters(A, n, { k: 'eigengap', minK: 2, maxK: n - 1, selfLoops: true }, 1);
    expect(loops.k).not.toBe(3);
  });

  it('eigengapK takes the largest gap within [minK, maxK]', () => {
    const ev = [0, 0.01, 0.02, 0.5, 0.55, 2];
    expect(eigengapK(ev, 2, 5)).toBe(5);
    expect(eigengapK(ev, 2, 4)).toBe(3);
    expect(eigengapK(ev, 4, 4)).toBe(4);
  });

  it('purity and the target cluster precision', () => {
    expect(purity([0, 0, 1, 1], ['a', 'a', 'b', 'b'])).toBe(1);
    expect(purity([0, 0, 0, 0], ['a', 'a', 'b', 'b'])).toBe(0.5);
    expect(purity([0, 0, 1, 1], ['a', 'b', 'a', 'a'])).toBe(0.75);
    expect(targetPurity([0, 0, 1, 1, 1], ['part', 'body', 'part', 'part', 'body'], 'part')).toBeCloseTo(2 / 3);
    expect(targetPurity([0, 1], ['body', 'body'], 'part')).toBe(0);
  });
});
