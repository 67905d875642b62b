import { describe, expect, it } from 'vitest';
import { resizeBilinear } from '../../../src/engine/data/resize';
import { batch, subset } from '../../../src/engine/data/index';
import type { Split } from '../../../src/engine/data/types';

// 4 examples of shape [1,2,1]: example i holds [i/10, i/10 + 0.05]
const split: Split = {
  x: Float32Array.from([0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35]),
  y: Uint8Array.from([7, 8, 9, 6]),
  n: 4,
};

describe('batch', () => {
  it('copies the chosen examples in order', () => {
    const b = batch(split, [3, 0, 3], [1, 2, 1]);
    expect(Array.from(b.y)).toEqual([6, 7, 6]);
    expect(Array.from(b.x)).toEqual(Array.from(Float32Array.from([0.3, 0.35, 0, 0.05, 0.3, 0.35])));
    b.x[0] = 99;
    expect(split.x[6]).toBeCloseTo(0.3);
  });
  it('accepts typed index arrays and rejects bad indices or shapes', () => {
    expect(Array.from(batch(split, Uint32Array.from([1]), [1, 2, 1]).y)).toEqual([8]);
    expect(() => batch(split, [4], [1, 2, 1])).toThrow(RangeError);
    expect(() => batch(split, [-1], [1, 2, 1])).toThrow(RangeError);
    expect(() => batch(split, [0], [2, 2, 1])).toThrow(RangeError);
  });
});

describe('subset', () => {
  it('takes the first n examples, clamped', () => {
    const s = subset(split, 2);
    expect(s.n).toBe(2);
    expect(Array.from(s.y)).toEqual([7, 8]);
    expect(s.x.length).toBe(4);
    expect(subset(split, 10).n).toBe(4);
    expect(subset(split, 0).x.length).toBe(0);
    expect(() => subset(split, -1)).toThrow(RangeError);
  });
});

describe('resizeBilinear', () => {
  it('interpolates with half-pixel centres when enlarging', () => {
    expect(Array.from(resizeBilinear(Uint8Array.from([0, 255]), 2, 1, 1, 4, 1))).toEqual([0, 64, 191, 255]);
  });
  it('keeps flat images flat and averages when shrinking', () => {
    const flat = new Uint8Array(7 * 5 * 3).fill(77);
    expect(resizeBilinear(flat, 7, 5, 3, 3, 2).every((v) => v === 77)).toBe(true);
    // a 1-pixel checkerboard shrinks to mid-gray, not to either colour
    const board = Uint8Array.from({ length: 64 }, (_, i) => (((i % 8) + (i >> 3)) % 2 ? 255 : 0));
    const small = resizeBilinear(board, 8, 8, 1, 2, 2);
    for (const v of small) expect(Math.abs(v - 128)).toBeLessThan(20);
  });
  it('is a copy at the same size', () => {
    const src = Uint8Array.from([1, 2, 3, 4]);
    const out = resizeBilinear(src, 2, 2, 1, 2, 2);
    expect(Array.from(out)).toEqual([1, 2, 3, 4]);
    expect(out).not.toBe(src);
  });
});
