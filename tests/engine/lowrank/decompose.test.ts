import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../../src/engine/backend/tf';
import { initBackend } from '../../../src/engine/backend';
import { buildModel } from '../../../src/engine/models/zoo';
import { layersCosts } from '../../../src/engine/models/flops';
import { candidates, costAt, decomposeModel, maxUsefulRank, modelFlops, selectLayers } from '../../../src/engine/lowrank/decompose';
import { factorKernels, kernelToMatrix, matrixShape, matrixToKernel } from '../../../src/engine/lowrank/reshape';
import { svd } from '../../../src/engine/lowrank/svd';
import { modelSpectra } from '../../../src/engine/lowrank/spectrum';
import { seededArray } from '../backend/helpers';

beforeAll(async () => {
  await initBackend();
});

const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

describe('reshapes (tfjs layouts)', () => {
  it('channel-wise n × c·k·k and spatial-wise c·kh × n·kw; both invert exactly', () => {
    const shape = [3, 3, 4, 5];
    const k = seededArray(180, 1);
    expect(matrixShape(shape, 'channel')).toEqual([5, 36]);
    expect(matrixShape(shape, 'spatial')).toEqual([12, 15]);
    expect(matrixShape([7, 3], 'channel')).toEqual([3, 7]);
    for (const s of ['channel', 'spatial'] as const) expect(Array.from(matrixToKernel(kernelToMatrix(k, shape, s), shape, s))).toEqual(Array.from(k));
    // entry checks: W[y=1,x=2,ci=3,o=4]
    const idx = ((1 * 3 + 2) * 4 + 3) * 5 + 4;
    expect(kernelToMatrix(k, shape, 'channel').data[4 * 36 + (3 * 3 + 1) * 3 + 2]).toBe(k[idx]);
    expect(kernelToMatrix(k, shape, 'spatial').data[(3 * 3 + 1) * 15 + 4 * 3 + 2]).toBe(k[idx]);
  });

  it('factor kernels at full rank reproduce the conv (channel: k×k then 1×1; spatial: k×1 then 1×k)', () => {
    const shape = [3, 3, 4, 6];
    const k = seededArray(216, 2);
    const x = tf.randomNormal([1, 7, 9, 4], 0, 1, 'float32', 1);
    const ref = tf.conv2d(x as tf.Tensor4D, tf.tensor4d(k, shape as [number, number, number, number]), [2, 1], 'same');
    for (const s of ['channel', 'spatial'] as const) {
      const d = svd(kernelToMatrix(k, shape, s), { vectors: true });
      const f = factorKernels(d, d.s.length, shape, s);
      expect(f.first.shape).toEqual(s === 'channel' ? [3, 3, 4, d.s.length] : [3, 1, 4, d.s.length]);
      expect(f.second.shape).toEqual(s === 'channel' ? [1, 1, d.s.length, 6] : [1, 3, d.s.length, 6]);
      const y1 = tf.conv2d(x as tf.Tensor4D, tf.tensor4d(f.first.data, f.first.shape as [number, number, number, number]), s === 'channel' ? [2, 1] : [2, 1], 'same');
      const y = tf.conv2d(y1, tf.tensor4d(f.second.data, f.second.shape as [number, number, number, number]), 1, 'same');
      expect(maxDiff(y, ref)).toBeLessThan(1e-4);
    }
  });
});

describe('decomposeModel', () => {
  it.each(['channel', 'spatial'] as const)('ResNet-8, %s-wise: full rank reproduces the outputs; model FLOPs follow costAt', async (scheme) => {
    const m = buildModel('resnet8', { inputShape: [16, 16, 1], classes: 5, seed: 2 });
    const sel = selectLayers(candidates(m, scheme), { includeStrided: true });
    // the default rule: no first conv, no classifier, no 1×1 shortcuts
    expect(sel.map((c) => c.name)).toEqual(['s1b0_conv1', 's1b0_conv2', 's2b0_conv1', 's2b0_conv2', 's3b0_conv1', 's3b0_conv2']);
    const full = Object.fromEntries(sel.map((c) => [c.name, c.fullRank]));
    const d = await decomposeModel(m, scheme, full, { force: true });
    const x = tf.randomNormal([2, 16, 16, 1], 0, 1, 'float32', 4);
    expect(maxDiff(m.predict(x) as tf.Tensor, d.model.predict(x) as tf.Tensor)).toBeLessThan(1e-5);
    const extra = sel.reduce((s, c) => s + costAt(c, scheme, c.fullRank).flops - c.flops, 0);
    expect(d.flopsAfter - d.flopsBefore).toBe(extra);
    expect(modelFlops(d.model)).toBe(d.flopsAfter);
    d.model.dispose();

    // low rank: fewer FLOPs, a layer whose rank would not pay is kept whole
    const low = Object.fromEntries(sel.map((c, i) => [c.name, i === 0 ? c.fullRank : 2]));
    const d2 = await decomposeModel(m, scheme, low);
    expect(d2.layers[0].decomposed).toBe(false);
    expect(d2.layers.slice(1).every((l) => l.decomposed && l.flopsAfter < l.flopsBefore)).toBe(true);
    expect(d2.flopsAfter).toBeLessThan(d2.flopsBefore);
    // inspectable and trainable like any model
    expect(layersCosts(d2.model).some((c) => c.name === 's1b0_conv2_lr1')).toBe(true);
    const opt = tf.train.adam(1e-3);
    const y = tf.oneHot(tf.tensor1d([0, 1], 'int32'), 5);
    const before = (d2.model.getLayer('s1b0_conv2_lr1').getWeights()[0].dataSync() as Float32Array).slice();
    opt.minimize(() => tf.losses.softmaxCrossEntropy(y, d2.model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar);
    expect(d2.model.getLayer('s1b0_conv2_lr1').getWeights()[0].dataSync()).not.toEqual(before);
    d2.model.dispose();
    m.dispose();
  });

  it('LeNet dense layers: r·(in+out) MACs; the useful rank is where factorising stops paying', async () => {
    const m = buildModel('lenet5', { inputShape: [28, 28, 1], classes: 10, seed: 1 });
    const fc1 = candidates(m, 'channel').find((c) => c.name === 'fc1')!;
    expect(fc1.kind).toBe('dense');
    expect(costAt(fc1, 'channel', 10).flops).toBe(10 * (400 + 120));
    expect(maxUsefulRank(fc1, 'channel')).toBe(92); // 92·520 < 48 000 ≤ 93·520
    const d = await decomposeModel(m, 'channel', { fc1: 10, conv2: 4 });
    expect(d.layers.find((l) => l.name === 'conv2')).toMatchObject({ rank: 4, flopsBefore: 240000, flopsAfter: 4 * 150 * 100 + 16 * 4 * 100 });
    expect(d.model.layers.map((l) => l.name)).toContain('fc1_lr2');
    d.model.dispose();
    await expect(decomposeModel(m, 'channel', { pool1: 2 })).rejects.toThrow(/not a factorisable/);
    m.dispose();
  });

  it('spectra of every conv/dense layer under both schemes', () => {
    const m = buildModel('resnet8', { inputShape: [16, 16, 1], classes: 5, seed: 2 });
    for (const scheme of ['channel', 'spatial'] as const) {
      const sp = modelSpectra(m, scheme);
      expect(sp.length).toBe(m.layers.filter((l) => ['Conv2D', 'Dense'].includes(l.getClassName())).length);
      for (const s of sp) {
        expect(s.singularValues.length).toBe(Math.min(...s.shape));
        expect(s.rankAtEnergy['0.9']).toBeLessThanOrEqual(s.rankAtEnergy['0.99']);
        expect(s.flopsAtRank.length).toBe(s.singularValues.length);
      }
    }
    m.dispose();
  });
});
