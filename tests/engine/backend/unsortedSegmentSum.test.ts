// The wasm UnsortedSegmentSum kernel (gradient of gather) against the cpu backend.
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/engine/backend';
import * as tf from '../../../src/engine/backend/tf';
import { expectSameOnCpuAndWasm, runOn, seeded } from './helpers';

describe('wasm UnsortedSegmentSum', () => {
  beforeAll(async () => {
    expect(await initBackend('wasm')).toBe('wasm');
  });

  it.each([
    ['rows of a matrix, repeated indices', [10, 4], [3, 1, 3, 0, 9, 3], 0],
    ['embedding lookup, 3-D table', [7, 3, 5], [6, 6, 2, 0, 1, 6, 5, 4], 0],
    ['axis 1', [3, 8, 2], [7, 0, 0, 5], 1],
    ['a single index', [5], [2], 0],
  ] as const)('gradient of gather: %s', async (label, shape, indices, axis) => {
    await expectSameOnCpuAndWasm(() => {
      const x = seeded([...shape], 31);
      const idx = tf.tensor1d([...indices], 'int32');
      const w = seeded(tf.gather(x, idx, axis).shape, 32);
      return [tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.gather(a, idx, axis), w)))(x)];
    }, label);
  });

  it('gradient of a 2-D gather index', async () => {
    await expectSameOnCpuAndWasm(() => {
      const x = seeded([6, 3], 33);
      const idx = tf.tensor2d([[1, 5], [1, 0], [4, 4]], [3, 2], 'int32');
      const w = seeded([3, 2, 3], 34);
      return [tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.gather(a, idx), w)))(x)];
    }, '2-D indices');
  });

  it('sums float32 and int32 segments and drops out-of-range ids like cpu', async () => {
    const f = (): tf.Tensor[] => {
      const ids = tf.tensor1d([0, 2, 2, -1, 7, 1], 'int32');
      const xf = seeded([6, 3], 35);
      const xi = tf.tensor2d([[1, 2], [3, 4], [5, 6], [7, 8], [9, 10], [11, 12]], [6, 2], 'int32');
      return [tf.unsortedSegmentSum(xf, ids, 4), tf.cast(tf.unsortedSegmentSum(xi, ids, 3), 'float32')];
    };
    const cpu = await runOn('cpu', f);
    const wasm = await runOn('wasm', f);
    expect(Array.from(wasm[1])).toEqual([1, 2, 11, 12, 8, 10]);
    expect(Array.from(wasm[1])).toEqual(Array.from(cpu[1]));
    Array.from(cpu[0]).forEach((v, i) => expect(wasm[0][i]).toBeCloseTo(v, 5));
    expect(Array.from(wasm[0].slice(9))).toEqual([0, 0, 0]); // segment 3 is empty
  });
});
