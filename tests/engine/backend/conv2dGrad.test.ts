// Gradient checks of the wasm Conv2DBackpropFilter / Conv2DBackpropInput kernels against the cpu backend.
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/engine/backend';
import { conv2DBackpropFilterIm2col } from '../../../src/engine/backend/kernels/Conv2DBackpropFilter';
import { conv2DBackpropInputCol2im } from '../../../src/engine/backend/kernels/Conv2DBackpropInput';
import * as tf from '../../../src/engine/backend/tf';
import { expectSameOnCpuAndWasm, runOn, relativeL2, seeded, TOLERANCE } from './helpers';

type Pad = 'same' | 'valid' | tf.backend_util.ExplicitPadding;
type Case = { x: [number, number, number, number]; f: [number, number, number, number]; s: 1 | 2 | [number, number]; pad: Pad };

// Chosen to reach every path: XNNPACK conv, pointwise GEMM, im2col (few channels; windows that miss the
// last rows/cols), flipped-filter conv for dx at stride 1, GEMM + col2im at stride 2.
const cases: Case[] = [
  { x: [2, 7, 7, 3], f: [3, 3, 3, 4], s: 1, pad: 'same' },
  { x: [2, 7, 7, 12], f: [3, 3, 12, 5], s: 1, pad: 'same' },
  { x: [2, 7, 7, 12], f: [3, 3, 12, 5], s: 1, pad: 'valid' },
  { x: [2, 7, 7, 12], f: [3, 3, 12, 6], s: 2, pad: 'same' },
  { x: [2, 8, 8, 12], f: [3, 3, 12, 6], s: 2, pad: 'same' },
  { x: [2, 8, 8, 3], f: [3, 3, 3, 4], s: 2, pad: 'valid' },
  { x: [2, 9, 9, 10], f: [3, 3, 10, 4], s: 2, pad: 'valid' },
  { x: [2, 8, 8, 3], f: [1, 1, 3, 5], s: 2, pad: 'valid' },
  { x: [3, 5, 5, 4], f: [1, 1, 4, 3], s: 1, pad: 'same' },
  { x: [1, 6, 6, 16], f: [1, 1, 16, 8], s: 1, pad: 'valid' },
  { x: [3, 9, 6, 5], f: [5, 5, 5, 2], s: 1, pad: 'valid' },
  { x: [3, 9, 6, 5], f: [5, 5, 5, 2], s: 2, pad: 'same' },
  { x: [2, 11, 11, 9], f: [5, 5, 9, 3], s: 1, pad: 'same' },
  { x: [2, 11, 9, 9], f: [5, 5, 9, 3], s: 2, pad: 'valid' },
  { x: [2, 10, 7, 9], f: [3, 3, 9, 4], s: [2, 1], pad: 'same' },
  { x: [1, 5, 5, 2], f: [5, 5, 2, 3], s: 1, pad: 'valid' },
  // explicit, asymmetric padding
  { x: [2, 5, 6, 4], f: [1, 1, 4, 3], s: 1, pad: [[0, 0], [0, 1], [0, 2], [0, 0]] },
  { x: [2, 7, 7, 12], f: [3, 3, 12, 4], s: 1, pad: [[0, 0], [2, 0], [1, 2], [0, 0]] },
  { x: [2, 9, 8, 10], f: [3, 3, 10, 4], s: 2, pad: [[0, 0], [1, 2], [0, 1], [0, 0]] },
];

function convLoss(c: Case): tf.Tensor[] {
  const x = seeded(c.x, 1) as tf.Tensor4D;
  const f = seeded(c.f, 2, 0.5) as tf.Tensor4D;
  const w = seeded(tf.conv2d(x, f, c.s, c.pad).shape, 3);
  // a weighted sum, so that dy is not all ones
  return tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.s, c.pad), w)))([x, f]);
}

const name = (c: Case): string =>
  `x ${c.x.join('x')} filter ${c.f.join('x')} stride ${String(c.s)} ${typeof c.pad === 'string' ? c.pad : JSON.stringify(c.pad)}`;

describe('wasm conv2d gradients match cpu', () => {
  beforeAll(async () => {
    expect(await initBackend('wasm')).toBe('wasm');
  });

  it.each(cases.map((c) => [name(c), c] as const))('dx and dW: %s', async (label, c) => {
    await expectSameOnCpuAndWasm(() => convLoss(c), label);
  });

  it('im2col and col2im paths agree with cpu, also when split into batch chunks', async () => {
    const c: Case = { x: [5, 9, 8, 6], f: [3, 3, 6, 4], s: 2, pad: 'same' };
    const [refDx, refDw] = await runOn('cpu', () => convLoss(c));
    await tf.setBackend('wasm');
    const backend = tf.backend();
    for (const chunkFloats of [1 << 24, 3000, 1]) {
      const [dx, dw] = tf.tidy(() => {
        const x = seeded(c.x, 1);
        const f = seeded(c.f, 2, 0.5);
        const dy = seeded(tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, c.s, c.pad).shape, 3);
        const attrs = { strides: c.s, pad: c.pad, dataFormat: 'NHWC' };
        const dwInfo = conv2DBackpropFilterIm2col({ inputs: { x, dy }, backend, attrs: { ...attrs, filterShape: c.f } }, chunkFloats);
        const dxInfo = conv2DBackpropInputCol2im({ inputs: { dy, filter: f }, backend, attrs: { ...attrs, inputShape: c.x } }, chunkFloats);
        return [tf.engine().makeTensorFromTensorInfo(dxInfo), tf.engine().makeTensorFromTensorInfo(dwInfo)];
      });
      expect(relativeL2(refDx, dx.dataSync()), `dx, chunk ${chunkFloats}`).toBeLessThanOrEqual(TOLERANCE);
      expect(relativeL2(refDw, dw.dataSync()), `dW, chunk ${chunkFloats}`).toBeLessThanOrEqual(TOLERANCE);
      tf.dispose([dx, dw]);
    }
  });

  it('leaves no tensors behind', async () => {
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    const dataBefore = tf.backend().numDataIds();
    for (const c of cases) tf.dispose(tf.tidy(() => convLoss(c)));
    expect(tf.memory().numTensors).toBe(before);
    expect(tf.backend().numDataIds()).toBe(dataBefore);
  });

  it('rejects NCHW with a clear error', async () => {
    await tf.setBackend('wasm');
    const x = tf.zeros([1, 4, 4, 2]);
    const dy = tf.zeros([1, 4, 4, 3]);
    const filter = tf.zeros([3, 3, 2, 3]);
    const common = { strides: 1, pad: 'same', dataFormat: 'NCHW' };
    expect(() => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...common, filterShape: [3, 3, 2, 3] })).toThrow(/only NHWC/);
    expect(() => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, { ...common, inputShape: [1, 4, 4, 2] })).toThrow(/only NHWC/);
    tf.dispose([x, dy, filter]);
  });
});
