import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../../src/engine/backend/tf';
import { initBackend } from '../../../src/engine/backend';
import { buildModel } from '../../../src/engine/models/zoo';
import { loadModel, saveLayersModel } from '../../../src/engine/models/io';
import { rewriteModel } from '../../../src/engine/models/rewrite';

beforeAll(async () => {
  await initBackend();
});

const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

/** A dense layer split into (identity-free) two: x·A then ·B with A·B = W, bias on the second. */
function splitDense(w: tf.Tensor, b: tf.Tensor, name: string, activation: string) {
  const [inU, outU] = w.shape;
  const eye = tf.eye(inU);
  return [
    { className: 'Dense', config: { name: `${name}_a`, units: inU, use_bias: false, activation: 'linear' }, weights: [eye] },
    { className: 'Dense', config: { name: `${name}_b`, units: outU, use_bias: true, activation }, weights: [w, b] },
  ];
}

describe('rewriteModel', () => {
  it('Sequential: a dense layer replaced by an equivalent pair computes the same outputs', async () => {
    const m = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [6], units: 5, activation: 'relu', name: 'd1', kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }) }),
        tf.layers.dense({ units: 3, activation: 'softmax', name: 'd2', kernelInitializer: tf.initializers.glorotNormal({ seed: 2 }) }),
      ],
    });
    const [w, b] = m.getLayer('d1').getWeights();
    const r = await rewriteModel(m, { d1: splitDense(w, b, 'd1', 'relu') });
    expect(r.layers.map((l) => l.name)).toEqual(['d1_a', 'd1_b', 'd2']);
    const x = tf.randomNormal([4, 6], 0, 1, 'float32', 3);
    expect(maxDiff(m.predict(x) as tf.Tensor, r.predict(x) as tf.Tensor)).toBeLessThan(1e-6);
    m.dispose();
    r.dispose();
  });

  it('functional ResNet: a conv inside a residual block replaced; skip connections and weights survive; saves and loads', async () => {
    const m = buildModel('resnet8', { inputShape: [12, 12, 1], classes: 4, seed: 3 });
    const k = m.getLayer('s1b0_conv2').getWeights()[0];
    // 3×3 conv = 3×3 conv to the same channels, then a 1×1 identity
    const eye = tf.reshape(tf.eye(16), [1, 1, 16, 16]);
    const r = await rewriteModel(m, {
      s1b0_conv2: [
        { className: 'Conv2D', config: { name: 'c_a', filters: 16, kernel_size: [3, 3], padding: 'same', use_bias: false }, weights: [k] },
        { className: 'Conv2D', config: { name: 'c_b', filters: 16, kernel_size: [1, 1], padding: 'valid', use_bias: false }, weights: [eye] },
      ],
    });
    expect(r.layers.some((l) => l.name === 's1b0_conv2')).toBe(false);
    expect(r.getLayer('s1b0_bn2').inboundNodes[0].inboundLayers[0].name).toBe('c_b');
    const x = tf.randomNormal([2, 12, 12, 1], 0, 1, 'float32', 5);
    expect(maxDiff(m.predict(x) as tf.Tensor, r.predict(x) as tf.Tensor)).toBeLessThan(1e-5);
    const dir = mkdtempSync(join(tmpdir(), 'll-rewrite-'));
    await saveLayersModel(r, dir);
    const back = await loadModel(join(dir, 'model.json'));
    expect(maxDiff(r.predict(x) as tf.Tensor, back.predict(x))).toBeLessThan(1e-6);
    back.dispose();
    m.dispose();
    r.dispose();
  });

  it('replacing the output layer rewires the model output', async () => {
    const m = buildModel('lenet5', { inputShape: [28, 28, 1], classes: 10, seed: 1 });
    const [w, b] = m.getLayer('fc3').getWeights();
    const r = await rewriteModel(m, { fc3: splitDense(w, b, 'fc3', 'softmax') });
    expect(r.outputLayers[0].name).toBe('fc3_b');
    const x = tf.randomNormal([2, 28, 28, 1], 0, 1, 'float32', 1);
    expect(maxDiff(m.predict(x) as tf.Tensor, r.predict(x) as tf.Tensor)).toBeLessThan(1e-6);
    m.dispose();
    r.dispose();
  });

  it('bad replacements are one-line user errors', async () => {
    const m = buildModel('lenet5', { inputShape: [28, 28, 1], classes: 10, seed: 1 });
    await expect(rewriteModel(m, { nope: [] })).rejects.toThrow(/no such layer/);
    await expect(rewriteModel(m, { fc1: [] })).rejects.toThrow(/empty/);
    await expect(rewriteModel(m, { fc1: [{ className: 'Dense', config: { name: 'fc2', units: 3 }, weights: [] }, { className: 'Dense', config: { name: 'x', units: 3 }, weights: [] }] })).rejects.toThrow(/already used/);
    const wrong = [{ className: 'Dense', config: { name: 'fc1_x', units: 120, activation: 'relu' }, weights: [tf.zeros([3, 3]), tf.zeros([120])] }];
    await expect(rewriteModel(m, { fc1: wrong })).rejects.toThrow(/expects weights \[400×120, 120\]/);
    m.dispose();
  });
});
