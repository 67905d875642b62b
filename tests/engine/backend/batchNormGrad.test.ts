// The Tile-free FusedBatchNorm gradient on wasm against tfjs's stock gradient on cpu.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/engine/backend';
import {
  fusedBatchNormGradConfig,
  registerWasmTrainingKernels,
  unregisterWasmTrainingKernels,
} from '../../../src/engine/backend/kernels';
import * as tf from '../../../src/engine/backend/tf';
import { relativeL2, runOn, seeded, TOLERANCE } from './helpers';

type Case = { label: string; x: number[]; momentsFromX: boolean };

const cases: Case[] = [
  { label: 'training BN (moments of x), 4-D', x: [4, 5, 5, 3], momentsFromX: true },
  { label: 'training BN, odd sizes', x: [3, 7, 5, 6], momentsFromX: true },
  { label: 'training BN, batch 1', x: [1, 6, 6, 4], momentsFromX: true },
  { label: 'inference BN (fixed moments)', x: [2, 4, 3, 5], momentsFromX: false },
  { label: '2-D x (dense layer)', x: [6, 5], momentsFromX: true },
];

function bnGrads(c: Case): tf.Tensor[] {
  const C = c.x[c.x.length - 1];
  const x = seeded(c.x, 41);
  const scale = seeded([C], 42);
  const offset = seeded([C], 43);
  const fixedMean = seeded([C], 44, 0.1);
  const fixedVar = tf.add(tf.abs(seeded([C], 45)), 0.5);
  const w = seeded(c.x, 46);
  const axes = c.x.slice(0, -1).map((_, i) => i);
  const loss = (a: tf.Tensor, s: tf.Tensor, o: tf.Tensor): tf.Tensor => {
    const { mean, variance } = c.momentsFromX ? tf.moments(a, axes) : { mean: fixedMean, variance: fixedVar };
    return tf.sum(tf.mul(tf.batchNorm(a, mean, variance, o, s, 1e-3), w));
  };
  // (tfjs 4.22 cannot differentiate batchNorm without offset or scale at all: its tape trips on the
  // undefined input, on every backend)
  return tf.grads(loss)([x, scale, offset]);
}

describe('FusedBatchNorm gradient without Tile', () => {
  beforeAll(async () => {
    expect(await initBackend('wasm')).toBe('wasm');
  });
  afterAll(() => registerWasmTrainingKernels());

  it.each(cases.map((c) => [c.label, c] as const))('matches the stock gradient on cpu: %s', async (label, c) => {
    unregisterWasmTrainingKernels(); // the stock gradient for the cpu reference
    let ref: Float32Array[];
    try {
      ref = await runOn('cpu', () => bnGrads(c));
    } finally {
      registerWasmTrainingKernels();
    }
    const ours = await runOn('wasm', () => bnGrads(c));
    expect(ours.length).toBe(ref.length);
    ref.forEach((r, i) => expect(relativeL2(r, ours[i]), `${label}: grad ${i}`).toBeLessThanOrEqual(TOLERANCE));
  });

  it('is the registered gradient, and registering it again logs nothing', () => {
    const warn = console.warn;
    const seen: unknown[] = [];
    console.warn = (...args: unknown[]) => void seen.push(args);
    try {
      registerWasmTrainingKernels();
      registerWasmTrainingKernels();
    } finally {
      console.warn = warn;
    }
    expect(seen).toEqual([]);
    expect(tf.getGradient('FusedBatchNorm')).toBe(fusedBatchNormGradConfig);
  });
});
