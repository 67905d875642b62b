import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../../src/engine/backend/tf';
import { initBackend } from '../../../src/engine/backend';
import { buildModel, layerSeed } from '../../../src/engine/models/zoo';
import { UserError } from '../../../src/engine/core/errors';

beforeAll(async () => {
  await initBackend();
});

const weightsOf = (m: tf.LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));

describe('zoo', () => {
  it('LeNet-5 on 28×28×1 has the hand-counted shapes and 61,706 parameters', () => {
    const m = buildModel('lenet5', { inputShape: [28, 28, 1], classes: 10, seed: 1 });
    // conv1 5·5·1·6+6=156, conv2 5·5·6·16+16=2416, fc1 400·120+120=48120, fc2 120·84+84=10164, fc3 84·10+10=850
    expect(m.countParams()).toBe(156 + 2416 + 48120 + 10164 + 850);
    expect(m.countParams()).toBe(61706);
    const shape = (n: string) => m.getLayer(n).outputShape;
    expect(shape('conv1')).toEqual([null, 28, 28, 6]);
    expect(shape('pool1')).toEqual([null, 14, 14, 6]);
    expect(shape('conv2')).toEqual([null, 10, 10, 16]);
    expect(shape('flatten')).toEqual([null, 400]);
    expect(shape('fc3')).toEqual([null, 10]);
    const y = m.predict(tf.zeros([2, 28, 28, 1])) as tf.Tensor;
    expect(y.shape).toEqual([2, 10]);
    // softmax output: rows sum to 1
    expect(Array.from(y.sum(-1).dataSync()).every((s) => Math.abs(s - 1) < 1e-5)).toBe(true);
    m.dispose();
  });

  it('cifar-quick on 32×32×3 has 145,578 parameters', () => {
    const m = buildModel('cifar-quick', { inputShape: [32, 32, 3], classes: 10, seed: 1 });
    // 5·5·3·32+32 + 5·5·32·32+32 + 5·5·32·64+64 + (4·4·64)·64+64 + 64·10+10
    expect(m.countParams()).toBe(2432 + 25632 + 51264 + 65600 + 650);
    expect(m.getLayer('pool3').outputShape).toEqual([null, 4, 4, 64]);
    m.dispose();
  });

  it('ResNet-20 on 32×32×3 has ≈0.27 M parameters, counted by hand', () => {
    const m = buildModel('resnet20', { inputShape: [32, 32, 3], classes: 10, seed: 1 });
    const bn = (c: number) => 4 * c; // gamma, beta, moving mean, moving variance
    const stem = 3 * 3 * 3 * 16 + bn(16);
    const block = (cin: number, c: number) => 9 * cin * c + 9 * c * c + 2 * bn(c);
    const stage1 = 3 * block(16, 16);
    const stage2 = block(16, 32) + 16 * 32 + bn(32) + 2 * block(32, 32);
    const stage3 = block(32, 64) + 32 * 64 + bn(64) + 2 * block(64, 64);
    const expected = stem + stage1 + stage2 + stage3 + 64 * 10 + 10;
    expect(expected).toBe(274042);
    expect(m.countParams()).toBe(expected);
    expect(m.countParams()).toBeGreaterThan(0.26e6);
    expect(m.countParams()).toBeLessThan(0.28e6);
    expect(m.getLayer('s1b2_relu2').outputShape).toEqual([null, 32, 32, 16]);
    expect(m.getLayer('s2b0_sc_conv').outputShape).toEqual([null, 16, 16, 32]);
    expect(m.getLayer('s3b2_relu2').outputShape).toEqual([null, 8, 8, 64]);
    expect(m.getLayer('pool').outputShape).toEqual([null, 64]);
    m.dispose();
  });

  it('ResNets have 3 stages of (depth-2)/6 blocks and work on 28×28×1', () => {
    for (const [arch, n] of [['resnet8', 1], ['resnet14', 2], ['resnet20', 3]] as const) {
      const m = buildModel(arch, { inputShape: [28, 28, 1], classes: 7, seed: 2 });
      const convs = m.layers.filter((l) => l.getClassName() === 'Conv2D').length;
      expect(convs).toBe(1 + 3 * n * 2 + 2);
      expect(m.getLayer(`s3b${n - 1}_relu2`).outputShape).toEqual([null, 7, 7, 64]);
      const y = m.predict(tf.zeros([1, 28, 28, 1])) as tf.Tensor;
      expect(y.shape).toEqual([1, 7]);
      tf.dispose(y);
      m.dispose();
    }
  });

  it('names layers readably', () => {
    const m = buildModel('resnet8', { inputShape: [32, 32, 3], classes: 10, seed: 1 });
    const names = m.layers.map((l) => l.name);
    expect(names).toEqual(expect.arrayContaining(['conv1', 'bn1', 's1b0_conv1', 's1b0_bn2', 's2b0_sc_conv', 's2b0_sc_bn', 's3b0_add', 'fc']));
    const l = buildModel('lenet5', { inputShape: [28, 28, 1], classes: 10, seed: 1 });
    expect(l.layers.map((x) => x.name)).toEqual(['input', 'conv1', 'pool1', 'conv2', 'pool2', 'flatten', 'fc1', 'fc2', 'fc3']);
    [m, l].forEach((x) => x.dispose());
  });

  it('same seed gives the same weights, another seed different ones', () => {
    for (const arch of ['lenet5', 'resnet8'] as const) {
      const opts = { inputShape: [28, 28, 1] as [number, number, number], classes: 10 };
      const a = buildModel(arch, { ...opts, seed: 5 });
      const b = buildModel(arch, { ...opts, seed: 5 });
      const c = buildModel(arch, { ...opts, seed: 6 });
      const wa = weightsOf(a);
      expect(weightsOf(b)).toEqual(wa);
      const wc = weightsOf(c);
      // every kernel differs (biases and BN start at constants)
      const kernels = a.weights.map((w, i) => [w.originalName, i] as const).filter(([n]) => n.endsWith('kernel'));
      expect(kernels.length).toBeGreaterThan(0);
      for (const [, i] of kernels) expect(wc[i]).not.toEqual(wa[i]);
      // layers within one model are seeded differently
      expect(wa[kernels[0][1]].slice(0, 6)).not.toEqual(wa[kernels[1][1]].slice(0, 6));
      [a, b, c].forEach((m) => m.dispose());
    }
    expect(layerSeed(1, 'conv1')).toBe(layerSeed(1, 'conv1'));
    expect(layerSeed(1, 'conv1')).not.toBe(layerSeed(1, 'conv2'));
    expect(layerSeed(1, 'conv1')).not.toBe(layerSeed(2, 'conv1'));
  });

  it('rejects bad options', () => {
    expect(() => buildModel('lenet5', { inputShape: [0, 28, 1], classes: 10, seed: 1 })).toThrow(/input shape/);
    expect(() => buildModel('lenet5', { inputShape: [28, 28, 1], classes: 0, seed: 1 })).toThrow(/classes/);
    expect(() => buildModel('vgg' as 'lenet5', { inputShape: [28, 28, 1], classes: 10, seed: 1 })).toThrow(/unknown architecture/);
    expect(() => buildModel('lenet5', { inputShape: [28, 28, 1], classes: 0, seed: 1 })).toThrow(UserError);
  });
});
