// The wasm Sum/Mean over leading axes (column sums, no transpose) against the cpu backend, the stock
// fallback for every other case, and a ResNet-8 train step's gradients on wasm against cpu.
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/engine/backend';
import { registerWasmTrainingKernels, unregisterWasmTrainingKernels } from '../../../src/engine/backend/kernels';
import { leadingAxesCount, meanConfig, sumConfig } from '../../../src/engine/backend/kernels/LeadingAxesReduce';
import * as tf from '../../../src/engine/backend/tf';
import { buildModel } from '../../../src/engine/models/zoo';
import { relativeL2, runOn, seeded, seededArray, TOLERANCE } from './helpers';

const REDUCE_TOLERANCE = 1e-5;

type Case = [label: string, shape: number[], axis: number | number[], keepDims: boolean];

const cases: Case[] = [
  ['NHWC over [0,1,2] (batch-norm moments)', [8, 9, 7, 16], [0, 1, 2], false],
  ['NHWC over [0,1,2], keepDims', [4, 5, 6, 3], [0, 1, 2], true],
  ['NHWC, negative and unsorted axes', [3, 5, 4, 6], [-2, 0, -3], false],
  ['odd row count (not a multiple of 8)', [3, 7, 5, 5], [0, 1, 2], false],
  ['2-D over axis 0 (bias gradient)', [37, 10], 0, false],
  ['5-D over [0,1]', [3, 4, 2, 3, 5], [0, 1], true],
  ['large: ResNet shape', [64, 14, 14, 32], [0, 1, 2], false],
  // the stock kernels:
  ['fallback: last axis', [4, 5, 6, 7], [3], false],
  ['fallback: spatial axes [1,2]', [4, 5, 6, 7], [1, 2], true],
  ['fallback: all axes', [4, 5, 6, 7], [0, 1, 2, 3], false],
  ['fallback: axis null', [6, 7], null as unknown as number[], false],
  ['fallback: 1-D', [50], 0, false],
  ['fallback: non-contiguous [0,2]', [4, 5, 6, 7], [0, 2], false],
];

describe('wasm Sum and Mean over leading axes', () => {
  beforeAll(async () => {
    expect(await initBackend('wasm')).toBe('wasm');
  });

  it('are the registered wasm kernels', () => {
    expect(tf.getKernel('Sum', 'wasm')).toBe(sumConfig);
    expect(tf.getKernel('Mean', 'wasm')).toBe(meanConfig);
  });

  it('take only leading, contiguous axes short of all', () => {
    expect(leadingAxesCount([0, 1, 2], 4)).toBe(3);
    expect(leadingAxesCount([2, 0, 1, 1], 4)).toBe(3);
    expect(leadingAxesCount([-4, -3], 4)).toBe(2);
    expect(leadingAxesCount(0, 2)).toBe(1);
    expect(leadingAxesCount([0, 1, 2, 3], 4)).toBe(0);
    expect(leadingAxesCount([1, 2], 4)).toBe(0);
    expect(leadingAxesCount([0, 2], 4)).toBe(0);
    expect(leadingAxesCount(0, 1)).toBe(0);
  });

  it.each(cases)('equal cpu: %s', async (label, shape, axis, keepDims) => {
    const f = (): tf.Tensor[] => {
      const x = seeded(shape, 61);
      const shifted = tf.add(x, 3); // a mean far from 0 as well
      return [tf.sum(x, axis, keepDims), tf.mean(x, axis, keepDims), tf.sum(shifted, axis, keepDims), tf.mean(shifted, axis, keepDims)];
    };
    const shapes = tf.tidy(() => f().map((t) => t.shape));
    const cpu = await runOn('cpu', f);
    const wasm = await runOn('wasm', f);
    const wasmShapes = tf.tidy(() => f().map((t) => t.shape));
    expect(wasmShapes).toEqual(shapes);
    cpu.forEach((ref, i) => expect(relativeL2(ref, wasm[i]), `${label}: output ${i}`).toBeLessThanOrEqual(REDUCE_TOLERANCE));
  });

  it('leave int32 sums to the stock kernel (exact)', async () => {
    const f = (): tf.Tensor[] => [tf.cast(tf.sum(tf.tensor3d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [2, 3, 2], 'int32'), [0, 1]), 'float32')];
    const wasm = await runOn('wasm', f);
    expect(Array.from(wasm[0])).toEqual([36, 42]);
    expect(tf.tidy(() => tf.sum(tf.tensor2d([[1, 2], [3, 4]], [2, 2], 'int32'), 0).dtype)).toBe('int32');
  });

  it('work again after the stock kernels were put back and ours re-registered', async () => {
    const f = (): tf.Tensor[] => [tf.mean(seeded([6, 4, 4, 8], 62), [0, 1, 2])];
    unregisterWasmTrainingKernels();
    let stock: Float32Array[];
    try {
      expect(tf.getKernel('Sum', 'wasm')).not.toBe(sumConfig);
      stock = await runOn('wasm', f);
    } finally {
      registerWasmTrainingKernels();
    }
    const ours = await runOn('wasm', f);
    expect(relativeL2(stock[0], ours[0])).toBeLessThanOrEqual(REDUCE_TOLERANCE);
  });
});

describe('ResNet-8 train step on wasm', () => {
  const BATCH = 8;
  const INPUT: [number, number, number] = [12, 12, 1];
  const xArr = seededArray(BATCH * INPUT[0] * INPUT[1] * INPUT[2], 63);
  const labels = Array.from({ length: BATCH }, (_, i) => (i * 3) % 10);
  let initial: Float32Array[] = [];

  beforeAll(async () => {
    expect(await initBackend('wasm')).toBe('wasm');
    const m = buildModel('resnet8', { inputShape: INPUT, classes: 10, seed: 1 });
    initial = m.getWeights().map((w) => Float32Array.from(w.dataSync()));
    m.dispose();
  });

  async function gradsOn(backend: 'cpu' | 'wasm'): Promise<{ names: string[]; grads: Float32Array[] }> {
    // cpu is the reference with tfjs's stock batch-norm gradient (ours is registered for all backends)
    if (backend === 'cpu') unregisterWasmTrainingKernels();
    try {
      await tf.setBackend(backend);
      const model = buildModel('resnet8', { inputShape: INPUT, classes: 10, seed: 1 });
      model.setWeights(model.getWeights().map((w, i) => tf.tensor(initial[i], w.shape)));
      const x = tf.tensor4d(xArr, [BATCH, ...INPUT]);
      const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 10);
      const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
      const { value, grads } = tf.variableGrads(
        () => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
        vars,
      );
      const names = vars.map((v) => v.name);
      const out = names.map((n) => Float32Array.from(grads[n].dataSync()));
      tf.dispose([value, x, y, ...Object.values(grads)]);
      model.dispose();
      return { names, grads: out };
    } finally {
      registerWasmTrainingKernels();
    }
  }

  it('gives the same gradients as cpu', async () => {
    const cpu = await gradsOn('cpu');
    const wasm = await gradsOn('wasm');
    expect(wasm.names.length).toBe(cpu.names.length);
    expect(cpu.grads.length).toBeGreaterThan(20);
    cpu.grads.forEach((ref, i) => {
      expect(relativeL2(ref, wasm.grads[i]), `gradient of ${cpu.names[i]}`).toBeLessThanOrEqual(TOLERANCE);
    });
  }, 60_000);
});
