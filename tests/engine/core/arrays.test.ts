import { describe, expect, it } from 'vitest';
import { concatArrays } from '../../../src/engine/core/arrays';

describe('concatArrays', () => {
  it('joins parts end to end into a fresh array of the given type', () => {
    const a = new Float32Array([1, 2]);
    const b = new Float32Array([]);
    const c = new Float32Array([3.5]);
    const out = concatArrays(Float32Array, [a, b, c]);
    expect(out).toBeInstanceOf(Float32Array);
    expect([...out]).toEqual([1, 2, 3.5]);
    out[0] = 9;
    expect(a[0]).toBe(1);
  });

  it('owns an ArrayBuffer of exactly its length, even for parts that are views into bigger buffers', () => {
    const big = new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7]);
    const out = concatArrays(Uint8Array, [big.subarray(2, 4), Buffer.from([8])]);
    expect([...out]).toEqual([2, 3, 8]);
    expect(out.buffer.byteLength).toBe(3);
    expect(concatArrays(Uint8Array, []).length).toBe(0);
  });
});
