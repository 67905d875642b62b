// A small conv net trains on wasm, and its gradients equal cpu's for one step.
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/engine/backend';
import { registerWasmTrainingKernels, unregisterWasmTrainingKernels } from '../../../src/engine/backend/kernels';
import * as tf from '../../../src/engine/backend/tf';
import { relativeL2, seededArray, TOLERANCE } from './helpers';

const BATCH = 16;
const INPUT: [number, number, number] = [10, 10, 2];

// Conv layers without bias, as before any batch norm: a bias there has an exactly-zero gradient, which
// leaves nothing to compare but rounding noise.
function buildModel(): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: INPUT, filters: 6, kernelSize: 3, strides: 1, padding: 'same', useBias: false }),
      tf.layers.batchNormalization(),
      tf.layers.reLU(),
      tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'valid', useBias: false }),
      tf.layers.batchNormalization(),
      tf.layers.reLU(),
      tf.layers.flatten(),
      tf.layers.dense({ units: 4 }),
    ],
  });
}

const xArr = seededArray(BATCH * INPUT[0] * INPUT[1] * INPUT[2], 51);
const labels = Array.from({ length: BATCH }, (_, i) => (i * 7) % 4);

function batch(): { x: tf.Tensor; y: tf.Tensor } {
  return { x: tf.tensor4d(xArr, [BATCH, ...INPUT]), y: tf.oneHot(tf.tensor1d(labels, 'int32'), 4) };
}

const lossOf = (model: tf.Sequential, x: tf.Tensor, y: tf.Tensor) => (): tf.Scalar =>
  tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar;

describe('small CNN on wasm', () => {
  let initial: Float32Array[] = [];

  beforeAll(async () => {
    expect(await initBackend('wasm')).toBe('wasm');
    const m = buildModel();
    initial = m.getWeights().map((w) => Float32Array.from(w.dataSync()));
    m.dispose();
  });

  /** The model's trainable-weight gradients for one step, on the given backend, from the same weights. */
  async function oneStepGrads(backend: 'cpu' | 'wasm'): Promise<{ names: string[]; grads: Float32Array[] }> {
    // cpu is the reference with tfjs's stock batch-norm gradient (ours is registered for all backends)
    if (backend === 'cpu') unregisterWasmTrainingKernels();
    try {
      return await gradsOn(backend);
    } finally {
      registerWasmTrainingKernels();
    }
  }

  async function gradsOn(backend: 'cpu' | 'wasm'): Promise<{ names: string[]; grads: Float32Array[] }> {
    await tf.setBackend(backend);
    const model = buildModel();
    model.setWeights(model.getWeights().map((w, i) => tf.tensor(initial[i], w.shape)));
    const { x, y } = batch();
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(lossOf(model, x, y), vars);
    const names = vars.map((v) => v.name);
    const out = names.map((n) => Float32Array.from(grads[n].dataSync()));
    tf.dispose([value, x, y, ...Object.values(grads)]);
    model.dispose();
    return { names, grads: out };
  }

  it('gives the same gradients as cpu for one step', async () => {
    const cpu = await oneStepGrads('cpu');
    const wasm = await oneStepGrads('wasm');
    expect(cpu.grads.length).toBe(8); // 2 conv kernels, 2 BN x (gamma, beta), dense kernel and bias
    cpu.grads.forEach((ref, i) => {
      expect(relativeL2(ref, wasm.grads[i]), `gradient of ${cpu.names[i]}`).toBeLessThanOrEqual(TOLERANCE);
    });
  });

  it('trains: the loss goes down over a few steps and no tensors leak', async () => {
    await tf.setBackend('wasm');
    const model = buildModel();
    model.setWeights(model.getWeights().map((w, i) => tf.tensor(initial[i], w.shape)));
    const { x, y } = batch();
    const opt = tf.train.adam(0.01);
    const losses: number[] = [];
    const before = tf.memory().numTensors;
    for (let step = 0; step < 8; step++) {
      const loss = opt.minimize(lossOf(model, x, y), true);
      losses.push(loss!.dataSync()[0]);
      loss!.dispose();
      if (step === 0) expect(tf.memory().numTensors).toBeGreaterThan(before); // optimizer slots appear once
    }
    const afterFirst = tf.memory().numTensors;
    opt.minimize(lossOf(model, x, y), true)!.dispose();
    expect(tf.memory().numTensors).toBe(afterFirst);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[7]).toBeLessThan(0.7 * losses[0]);
    tf.dispose([x, y]);
    opt.dispose();
    model.dispose();
  });
});
