import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../../src/engine/backend/tf';
import { initBackend } from '../../../src/engine/backend';
import { buildModel } from '../../../src/engine/models/zoo';
import { conv2dFlops, denseFlops, depthwiseFlops, graphCosts, layersCosts } from '../../../src/engine/models/flops';
import { readGraphModel, graphNodes } from '../../../src/engine/formats/tfjs-graph';
import { tmp, writeGraph, writeGraphConvModel, writeGraphModel } from '../formats/fixtures';

beforeAll(async () => {
  await initBackend();
});

function single(inputShape: number[], layer: tf.layers.Layer): tf.LayersModel {
  const x = tf.input({ shape: inputShape });
  return tf.model({ inputs: x, outputs: layer.apply(x) as tf.SymbolicTensor });
}
const only = (m: tf.LayersModel) => layersCosts(m).filter((c) => c.weights.length > 0);

describe('FLOPs (multiply-adds per example) and params', () => {
  it('a single 3×3 conv, same padding: 3·3·3·4·8·8', () => {
    const m = single([8, 8, 3], tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'c' }));
    const [c] = only(m);
    expect(c.flops).toBe(6912);
    expect(c.flops).toBe(conv2dFlops(3, 3, 3, 4, 8, 8));
    expect(c.params).toBe(3 * 3 * 3 * 4 + 4);
    expect(c.activationShape).toEqual([null, 8, 8, 4]);
    expect(c.weights[c.main].name).toBe('c/kernel');
    m.dispose();
  });

  it('a strided valid conv counts only the output positions: 3·3·3·4·4·4', () => {
    const m = single([9, 9, 3], tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'valid' }));
    expect(only(m)[0].flops).toBe(1728);
    expect(only(m)[0].activationShape).toEqual([null, 4, 4, 4]);
    m.dispose();
  });

  it('a single dense layer: 20·7', () => {
    const m = single([20], tf.layers.dense({ units: 7 }));
    const [d] = only(m);
    expect(d.flops).toBe(140);
    expect(d.flops).toBe(denseFlops(20, 7));
    expect(d.params).toBe(147);
    m.dispose();
    // on a sequence each of the 5 rows costs 20·7
    const seq = single([5, 20], tf.layers.dense({ units: 7 }));
    expect(only(seq)[0].flops).toBe(700);
    seq.dispose();
  });

  it('depthwise and separable convs', () => {
    const dw = single([8, 8, 3], tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same' }));
    expect(only(dw)[0].flops).toBe(depthwiseFlops(3, 3, 3, 2, 8, 8));
    expect(only(dw)[0].flops).toBe(3456);
    expect(only(dw)[0].params).toBe(3 * 3 * 3 * 2 + 6);
    const sep = single([8, 8, 3], tf.layers.separableConv2d({ filters: 5, kernelSize: 3, padding: 'same' }));
    // depthwise 3·3·3·64 + pointwise 3·5·64
    expect(only(sep)[0].flops).toBe(1728 + 960);
    expect(only(sep)[0].params).toBe(27 + 15 + 5);
    [dw, sep].forEach((m) => m.dispose());
  });

  it('batch norm counts all four weights and one multiply-add per element', () => {
    const m = single([8, 8, 4], tf.layers.batchNormalization({}));
    expect(only(m)[0].params).toBe(16);
    expect(only(m)[0].flops).toBe(256);
    m.dispose();
  });

  it('layers without weights cost nothing', () => {
    const m = buildModel('lenet5', { inputShape: [28, 28, 1], classes: 10, seed: 1 });
    const costs = layersCosts(m);
    for (const c of costs.filter((x) => x.weights.length === 0)) {
      expect(c.flops).toBe(0);
      expect(c.params).toBe(0);
    }
    expect(costs.find((c) => c.name === 'pool2')!.activationShape).toEqual([null, 5, 5, 16]);
    m.dispose();
  });

  it('LeNet-5 on 28×28: 416,520 multiply-adds, summed by hand', () => {
    const m = buildModel('lenet5', { inputShape: [28, 28, 1], classes: 10, seed: 1 });
    const by = Object.fromEntries(layersCosts(m).map((c) => [c.name, c.flops]));
    expect(by.conv1).toBe(5 * 5 * 1 * 6 * 28 * 28);
    expect(by.conv2).toBe(5 * 5 * 6 * 16 * 10 * 10);
    expect(by.fc1).toBe(400 * 120);
    expect(by.fc2).toBe(120 * 84);
    expect(by.fc3).toBe(84 * 10);
    expect(Object.values(by).reduce((a, b) => a + b, 0)).toBe(416520);
    m.dispose();
  });

  it('flattens nested models as outer/inner', () => {
    const inner = tf.sequential({ name: 'inner', layers: [tf.layers.dense({ units: 3, inputShape: [4], name: 'd' })] });
    const x = tf.input({ shape: [4] });
    const outer = tf.model({ inputs: x, outputs: tf.layers.dense({ units: 2, name: 'head' }).apply(inner.apply(x)) as tf.SymbolicTensor });
    const costs = only(outer);
    expect(costs.map((c) => [c.name, c.flops, c.params])).toEqual([['inner/d', 12, 15], ['head', 6, 8]]);
    outer.dispose();
  });

  it('graph models: MatMul with its BiasAdd, and a Conv2D', async () => {
    const { model: mm } = await readGraphModel(writeGraphModel(tmp('ll-fl-')));
    const [l] = await graphCosts(mm, graphNodes(mm)!);
    expect(l).toMatchObject({ name: 'mm', kind: 'MatMul', params: 15, flops: 12, activationShape: [null, 3] });
    expect(l.weights.map((w) => w.name)).toEqual(['w', 'b']);
    mm.dispose();

    const { model: conv } = await readGraphModel(writeGraphConvModel(tmp('ll-fl-')));
    const costs = await graphCosts(conv, graphNodes(conv)!);
    expect(costs).toHaveLength(1);
    expect(costs[0]).toMatchObject({ name: 'conv', kind: 'Conv2D', params: 72, activationShape: [null, 6, 6, 4] });
    expect(costs[0].flops).toBe(conv2dFlops(3, 3, 2, 4, 6, 6));
    conv.dispose();
  });

  it('graph models: loose float weights become their own layer, shared kernels count once', async () => {
    const T = { T: { type: 'DT_FLOAT' } };
    const mm = (name: string, a: string, b: string) => ({ name, op: 'MatMul', input: [a, b], attr: { ...T, transpose_a: { b: false }, transpose_b: { b: false } } });
    const file = writeGraph(
      tmp('ll-fl-'),
      [-1, 4],
      [
        mm('mm1', 'x', 'w'),
        { name: 'scale', op: 'Mul', input: ['mm1', 's'], attr: T },
        mm('mm2', 'scale', 'w2'),
        mm('mm3', 'mm2', 'w3'),
        mm('mm4', 'mm3', 'w3'), // shares w3
      ],
      [
        { name: 'w', shape: [4, 3], values: Array.from({ length: 12 }, (_, i) => i / 10) },
        { name: 's', shape: [3], values: [1, 2, 3] },
        { name: 'w2', shape: [3, 2], values: [1, 0, 0, 1, 1, 1] },
        { name: 'w3', shape: [2, 2], values: [1, 0, 0, 1] },
      ],
    );
    const { model } = await readGraphModel(file);
    const costs = await graphCosts(model, graphNodes(model)!);
    expect(costs.map((c) => [c.name, c.kind, c.params, c.flops, c.activationShape])).toEqual([
      ['mm1', 'MatMul', 12, 12, [null, 3]],
      ['scale', 'Mul', 3, 0, [null, 3]],
      ['mm2', 'MatMul', 6, 6, [null, 2]],
      ['mm3', 'MatMul', 4, 4, [null, 2]],
      ['mm4', 'MatMul', 0, 4, [null, 2]],
    ]);
    model.dispose();
  });
});
