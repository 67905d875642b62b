// Gradient checks of the wasm DepthwiseConv2dNativeBackpropFilter / ...BackpropInput kernels against cpu.
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/engine/backend';
import * as tf from '../../../src/engine/backend/tf';
import { expectSameOnCpuAndWasm, relativeL2, runOn, seeded, seededArray, TOLERANCE } from './helpers';

type Case = { x: [number, number, number, number]; f: [number, number, number, number]; s: 1 | 2; pad: 'same' | 'valid' };

const cases: Case[] = [
  { x: [2, 7, 7, 3], f: [3, 3, 3, 1], s: 1, pad: 'same' },
  { x: [2, 7, 7, 3], f: [3, 3, 3, 2], s: 1, pad: 'same' },
  { x: [2, 8, 8, 4], f: [3, 3, 4, 1], s: 2, pad: 'valid' },
  { x: [2, 8, 8, 4], f: [3, 3, 4, 3], s: 2, pad: 'same' },
  { x: [3, 9, 9, 5], f: [5, 5, 5, 2], s: 2, pad: 'same' },
  { x: [1, 9, 7, 2], f: [5, 5, 2, 4], s: 1, pad: 'valid' },
  { x: [2, 6, 6, 6], f: [1, 1, 6, 2], s: 2, pad: 'valid' },
  { x: [2, 5, 5, 3], f: [1, 1, 3, 1], s: 1, pad: 'same' },
];

function depthwiseLoss(c: Case): tf.Tensor[] {
  const x = seeded(c.x, 11) as tf.Tensor4D;
  const f = seeded(c.f, 12, 0.5) as tf.Tensor4D;
  const w = seeded(tf.depthwiseConv2d(x, f, c.s, c.pad).shape, 13);
  return tf.grads((a: tf.Tensor, b: tf.Tensor) =>
    tf.sum(tf.mul(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.s, c.pad), w)),
  )([x, f]);
}

describe('wasm depthwise conv gradients match cpu', () => {
  beforeAll(async () => {
    expect(await initBackend('wasm')).toBe('wasm');
  });

  it.each(cases.map((c) => [`x ${c.x.join('x')} filter ${c.f.join('x')} stride ${c.s} ${c.pad}`, c] as const))(
    'dx and dW: %s',
    async (label, c) => {
      await expectSameOnCpuAndWasm(() => depthwiseLoss(c), label);
    },
  );

  it('handles dilation (kernel called directly: tfjs ops refuse dilated depthwise gradients)', async () => {
    // Reference: a 3x3 filter at dilation 2 is a 5x5 filter with zeros in between, whose (undilated)
    // gradients cpu computes; the cpu kernels themselves ignore dilation in their backprop.
    const [N, H, W, C, M] = [2, 9, 9, 3, 2];
    const fArr = seededArray(3 * 3 * C * M, 22);
    const f5Arr = new Float32Array(5 * 5 * C * M);
    for (let kh = 0; kh < 3; kh++) {
      for (let kw = 0; kw < 3; kw++) {
        for (let k = 0; k < C * M; k++) f5Arr[((2 * kh) * 5 + 2 * kw) * C * M + k] = fArr[(kh * 3 + kw) * C * M + k];
      }
    }
    const [refDx, refDw5] = await runOn('cpu', () => {
      const x = seeded([N, H, W, C], 21);
      const dy = seeded([N, H, W, C * M], 23);
      const f5 = tf.tensor4d(f5Arr, [5, 5, C, M]);
      return tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same'), dy)),
      )([x, f5]);
    });
    const refDw = new Float32Array(3 * 3 * C * M);
    for (let kh = 0; kh < 3; kh++) {
      for (let kw = 0; kw < 3; kw++) {
        for (let k = 0; k < C * M; k++) refDw[(kh * 3 + kw) * C * M + k] = refDw5[((2 * kh) * 5 + 2 * kw) * C * M + k];
      }
    }
    const attrs = { strides: 1, dilations: 2, pad: 'same' };
    const [dx, dw] = await runOn('wasm', () => {
      const x = seeded([N, H, W, C], 21);
      const dy = seeded([N, H, W, C * M], 23);
      const f = tf.tensor4d(fArr, [3, 3, C, M]);
      return [
        tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter: f }, { ...attrs, inputShape: [N, H, W, C] }) as tf.Tensor,
        tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { ...attrs, filterShape: [3, 3, C, M] }) as tf.Tensor,
      ];
    });
    expect(relativeL2(refDx, dx)).toBeLessThanOrEqual(TOLERANCE);
    expect(relativeL2(refDw, dw)).toBeLessThanOrEqual(TOLERANCE);
  });

  it('leaves no tensors behind', async () => {
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    const dataBefore = tf.backend().numDataIds();
    for (const c of cases) tf.dispose(tf.tidy(() => depthwiseLoss(c)));
    expect(tf.memory().numTensors).toBe(before);
    expect(tf.backend().numDataIds()).toBe(dataBefore);
  });
});
