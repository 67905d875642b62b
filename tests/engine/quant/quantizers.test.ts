import { describe, expect, it } from 'vitest';
import { dequantize, isAffine, kmeansCodebook, pow2Codebook, quantize, type QuantSpec } from '../../../src/engine/quant/quantizers';
import { makeRng } from '../../../src/engine/core/random';

const f32 = (a: number[]) => Float32Array.from(a);
const spec = (s: Partial<QuantSpec> & Pick<QuantSpec, 'method' | 'bits'>): QuantSpec => ({
  granularity: 'per-tensor',
  symmetric: true,
  ...s,
});
const close = (a: ArrayLike<number>, b: number[], d = 1e-6) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < b.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(d);
};

describe('uniform', () => {
  it('symmetric 3 bits: codes in [-3,3], scale max/3, zero point 0', () => {
    const q = quantize(f32([-0.6, -0.2, 0, 0.11, 0.31, 0.45]), [6], spec({ method: 'uniform', bits: 3 }));
    close(q.scales, [0.2]);
    expect(Array.from(q.zeroPoints)).toEqual([0]);
    // 0.11/0.2 = 0.55 → 1, 0.31/0.2 = 1.55 → 2, 0.45/0.2 = 2.25 → 2
    expect(Array.from(q.codes)).toEqual([-3, -1, 0, 1, 2, 2]);
    expect(q.levels).toBe(7);
    expect(isAffine(q)).toBe(true);
    close(dequantize(q), [-0.6, -0.2, 0, 0.2, 0.4, 0.4], 1e-6);
  });

  it('asymmetric 2 bits: codes in [0,3], range holds zero', () => {
    const q = quantize(f32([-0.3, 0, 0.3, 0.6]), [4], spec({ method: 'uniform', bits: 2, symmetric: false }));
    close(q.scales, [0.3]);
    expect(Array.from(q.zeroPoints)).toEqual([1]);
    expect(Array.from(q.codes)).toEqual([0, 1, 2, 3]);
    close(dequantize(q), [-0.3, 0, 0.3, 0.6]);
  });

  it('per-channel on the last axis of a [2,3] kernel, one scale per output', () => {
    // columns: (1,-2) (0.5,0.25) (0,0)
    const q = quantize(f32([1, 0.5, 0, -2, 0.25, 0]), [2, 3], spec({ method: 'uniform', bits: 2, granularity: 'per-channel' }));
    close(q.scales, [2, 0.5, 1]);
    expect(Array.from(q.codes)).toEqual([1, 1, 0, -1, 1, 0]);
    close(dequantize(q), [2, 0.5, 0, -2, 0.5, 0]);
  });

  it('per-channel on axis 0', () => {
    const q = quantize(f32([1, -1, 4, 2]), [2, 2], spec({ method: 'uniform', bits: 2, granularity: 'per-channel', axis: 0 }));
    close(q.scales, [1, 4]);
    close(dequantize(q), [1, -1, 4, 4]);
  });

  it('8-bit round-trip error is at most half a step', () => {
    const rng = makeRng(3);
    const v = Float32Array.from({ length: 1000 }, () => rng() * 2 - 1);
    const q = quantize(v, [10, 100], spec({ method: 'uniform', bits: 8, granularity: 'per-channel' }));
    const d = dequantize(q);
    for (let i = 0; i < v.length; i++) expect(Math.abs(d[i] - v[i])).toBeLessThanOrEqual(q.scales[i % 100] / 2 + 1e-7);
  });
});

describe('ternary', () => {
  it('TWN threshold 0.7·mean|w|, magnitude = mean above it', () => {
    // mean|w| = 0.5, delta = 0.35; above: 1.0, 0.8, 0.6 → alpha 0.8
    const q = quantize(f32([1, -0.8, 0.6, 0.1, -0.2, 0.3]), [6], spec({ method: 'ternary', bits: 2 }));
    expect(Array.from(q.codes)).toEqual([1, -1, 1, 0, 0, 0]);
    close(q.scales, [0.8]);
    expect(q.levels).toBe(3);
    expect(isAffine(q)).toBe(true);
    close(dequantize(q), [0.8, -0.8, 0.8, 0, 0, 0]);
  });
});

describe('pow2 (INQ)', () => {
  it('codebook for max 0.9 at 4 bits: n1 = floor(log2 1.2) = 0, n2 = -3', () => {
    close(pow2Codebook(0.9, 4), [-1, -0.5, -0.25, -0.125, 0, 0.125, 0.25, 0.5, 1]);
  });
  it('codes index the sorted codebook; values map to the nearest level', () => {
    const q = quantize(f32([0.9, -0.3, 0.05, 0.14, -0.8]), [5], spec({ method: 'pow2', bits: 3 }));
    // n1 = 0, n2 = -1: book {-1,-0.5,0,0.5,1}
    close(q.codebook!, [-1, -0.5, 0, 0.5, 1]);
    expect(Array.from(q.codes)).toEqual([4, 1, 2, 2, 0]);
    expect(isAffine(q)).toBe(false);
    close(dequantize(q), [1, -0.5, 0, 0, -1]);
  });
});

describe('kmeans (SLQ)', () => {
  it('two well separated clusters per sign end at their means; zero stays fixed', () => {
    const v = f32([0.9, 1.1, -0.9, -1.1, 0.02, -0.02, 0.24, 0.26, -0.24, -0.26]);
    const q = quantize(v, [10], spec({ method: 'kmeans', bits: 3, seed: 1 }));
    // 2^(3-1)+1 = 5 centroids, init {0, ±1, ±0.5}
    expect(q.levels).toBe(5);
    // init {0, ±0.5, ±1}: ±0.5 first take ±0.26 only, then ±0.24 too
    close(q.codebook!, [-1, -0.25, 0, 0.25, 1]);
    close(dequantize(q), [1, 1, -1, -1, 0, 0, 0.25, 0.25, -0.25, -0.25]);
  });
  it('k-means never does worse than its power-of-two start', () => {
    const rng = makeRng(9);
    const v = Float32Array.from({ length: 2000 }, () => (rng() + rng() + rng() - 1.5) * 0.2);
    const idx = Int32Array.from(v.keys());
    const book = kmeansCodebook(v, idx, 4, makeRng(1));
    const sse = (b: Float32Array) => {
      let s = 0;
      for (const x of v) s += Math.min(...Array.from(b, (c) => (x - c) ** 2));
      return s;
    };
    expect(sse(book)).toBeLessThan(sse(pow2Codebook(Math.max(...Array.from(v, Math.abs)), 4)));
    expect(Array.from(book)).toEqual(Array.from(book).sort((a, b) => a - b));
  });
  it('re-quantizing a k-means-quantized tensor is the identity (an exported quantized model keeps its values)', () => {
    for (const bits of [3, 4, 5]) {
      for (let seed = 1; seed <= 5; seed++) {
        const rng = makeRng(seed);
        const v = Float32Array.from({ length: 3000 }, () => (rng() + rng() + rng() - 1.5) * 0.2);
        const s = spec({ method: 'kmeans', bits, seed: 1 });
        const once = dequantize(quantize(v, [3000], s));
        const twice = dequantize(quantize(once, [3000], s));
        expect(Array.from(twice)).toEqual(Array.from(once));
      }
    }
  });
  it('per-channel codebooks are laid out channel-major', () => {
    const q = quantize(f32([1, 10, -1, -10, 0, 0]), [3, 2], spec({ method: 'kmeans', bits: 2, granularity: 'per-channel' }));
    expect(q.codebook!.length).toBe(6);
    close(q.codebook!, [-1, 0, 1, -10, 0, 10]);
    close(dequantize(q), [1, 10, -1, -10, 0, 0]);
  });
});

describe('bad input', () => {
  it('names the problem in one line', () => {
    expect(() => quantize(f32([1, 2]), [3], spec({ method: 'uniform', bits: 4 }))).toThrow(/shape \[3\] holds 3 values, got 2/);
    expect(() => quantize(f32([1]), [1], spec({ method: 'uniform', bits: 1 }))).toThrow(/at least 2 bits/);
    expect(() => quantize(f32([NaN]), [1], spec({ method: 'uniform', bits: 4 }))).toThrow(/non-finite/);
    expect(() => quantize(f32([1]), [1], spec({ method: 'uniform', bits: 4, granularity: 'per-channel', axis: 2 }))).toThrow(/axis 2/);
  });
});
