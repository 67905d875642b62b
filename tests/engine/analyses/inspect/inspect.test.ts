import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../../../src/engine/backend/tf';
import { initBackend } from '../../../../src/engine/backend';
import { plainContext } from '../../../../src/engine/core/context';
import { CancelledError } from '../../../../src/engine/core/errors';
import { buildModel } from '../../../../src/engine/models/zoo';
import { saveLayersModel, wrapLayersModel } from '../../../../src/engine/models/io';
import { histogram, run, runOnModel, weightStats } from '../../../../src/engine/analyses/inspect';
import type { InspectResult } from '../../../../src/shared/api';
import { expectUserError, GRAPH_W, tmp, writeGraphModel } from '../../formats/fixtures';

beforeAll(async () => {
  await initBackend();
});

function expectTotalsAreSums(r: InspectResult) {
  expect(r.model.params).toBe(r.layers.reduce((s, l) => s + l.params, 0));
  expect(r.model.flops).toBe(r.layers.reduce((s, l) => s + l.flops, 0));
}

describe('weight statistics', () => {
  it('computes min/max/mean/std/sparsity by hand', () => {
    const s = weightStats([0, 0, 1, 3, -2, 4]);
    expect(s.min).toBe(-2);
    expect(s.max).toBe(4);
    expect(s.mean).toBe(1);
    // deviations -1,-1,0,2,-3,3 → squares 1,1,0,4,9,9 = 24 → /6 = 4
    expect(s.std).toBe(2);
    expect(s.sparsity).toBeCloseTo(2 / 6, 12);
  });

  it('bins values in 32 equal bins, max in the last', () => {
    const h = histogram([0, 1, 2, 3, 31, 32]);
    expect(h.edges).toHaveLength(33);
    expect(h.counts).toHaveLength(32);
    expect(h.edges[0]).toBe(0);
    expect(h.edges[32]).toBe(32);
    expect(h.counts[0]).toBe(1);
    expect(h.counts[1]).toBe(1);
    expect(h.counts[31]).toBe(2); // 31 and the max
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(6);
    const flat = histogram([5, 5, 5]);
    expect(flat.edges[0]).toBe(4.5);
    expect(flat.edges[32]).toBe(5.5);
    expect(flat.counts.reduce((a, b) => a + b, 0)).toBe(3);
  });
});

describe('inspect', () => {
  it('LeNet-5: every weighted layer, hand-counted params and FLOPs, totals = sums', async () => {
    const m = buildModel('lenet5', { inputShape: [28, 28, 1], classes: 10, seed: 1 });
    // half of conv1's kernel zero: sparsity must say 0.5
    const k = m.getLayer('conv1').getWeights()[0];
    const half = tf.tensor(Array.from(k.dataSync()).map((v, i) => (i % 2 ? 0 : v)), k.shape);
    m.getLayer('conv1').setWeights([half, m.getLayer('conv1').getWeights()[1]]);
    const r = await runOnModel(wrapLayersModel(m, { name: 'lenet' }));
    expect(r.model).toEqual({ name: 'lenet', format: 'tfjs-layers', inputShape: [null, 28, 28, 1], outputs: [{ name: 'fc3', shape: [null, 10] }], params: 61706, flops: 416520 });
    expect(r.layers.map((l) => [l.name, l.kind, l.weightShape, l.params, l.flops])).toEqual([
      ['conv1', 'Conv2D', [5, 5, 1, 6], 156, 117600],
      ['conv2', 'Conv2D', [5, 5, 6, 16], 2416, 240000],
      ['fc1', 'Dense', [400, 120], 48120, 48000],
      ['fc2', 'Dense', [120, 84], 10164, 10080],
      ['fc3', 'Dense', [84, 10], 850, 840],
    ]);
    expect(r.layers[1].activationShape).toEqual([null, 10, 10, 16]);
    expect(r.layers[0].stats.sparsity).toBe(0.5);
    expectTotalsAreSums(r);
    for (const l of r.layers) {
      expect(l.histogram.edges).toHaveLength(33);
      expect(l.histogram.counts.reduce((a, b) => a + b, 0)).toBe(l.weightShape.reduce((a, b) => a * b, 1));
      expect(l.histogram.edges[0]).toBe(l.stats.min);
      expect(l.histogram.edges[32]).toBe(l.stats.max);
      expect(l.stats.min).toBeLessThan(l.stats.mean);
      expect(l.stats.mean).toBeLessThan(l.stats.max);
      expect(l.stats.std).toBeGreaterThan(0);
    }
    // he-normal init of fc1: std ≈ sqrt(2/400)·0.88 (truncated normal)
    expect(r.layers[2].stats.std).toBeGreaterThan(0.05);
    expect(r.layers[2].stats.std).toBeLessThan(0.08);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r); // plain data: crosses IPC as is
    m.dispose();
  });

  it('ResNet-20: conv, BN and dense layers; params include BN moving statistics', async () => {
    const m = buildModel('resnet20', { inputShape: [32, 32, 3], classes: 10, seed: 1 });
    const r = await runOnModel(wrapLayersModel(m));
    expect(r.layers).toHaveLength(21 + 21 + 1);
    expect(r.model.params).toBe(274042);
    expect(r.model.params).toBe(m.countParams());
    expectTotalsAreSums(r);
    const bn = r.layers.find((l) => l.name === 'bn1')!;
    expect(bn).toMatchObject({ kind: 'BatchNormalization', weightShape: [16], params: 64, flops: 32 * 32 * 16 });
    expect(bn.stats).toEqual({ min: 1, max: 1, mean: 1, std: 0, sparsity: 0 }); // gamma starts at 1
    const sc = r.layers.find((l) => l.name === 's3b0_sc_conv')!;
    expect(sc).toMatchObject({ weightShape: [1, 1, 32, 64], params: 2048, flops: 32 * 64 * 8 * 8, activationShape: [null, 8, 8, 64] });
    m.dispose();
  });

  it('runs from a file and reports progress; a saved model inspects like the in-memory one', async () => {
    const dir = tmp('ll-insp-');
    const m = buildModel('cifar-quick', { inputShape: [32, 32, 3], classes: 10, seed: 2 });
    await saveLayersModel(m, dir);
    const fractions: number[] = [];
    const r = await run({ model: dir }, plainContext((p) => fractions.push(p.fraction)));
    const mem = await runOnModel(wrapLayersModel(m, { name: r.model.name }));
    expect(r.layers).toEqual(mem.layers);
    expect(r.model.name).toBe(dir.split('/').pop());
    expect(r.model.params).toBe(145578);
    expect(fractions[0]).toBe(0);
    expect(fractions[fractions.length - 1]).toBe(1);
    m.dispose();
  });

  it('stops when cancelled', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(run({ model: 'builtin:whatever' }, { signal: ac.signal, progress: () => {} })).rejects.toBeInstanceOf(CancelledError);
  });

  it('a hand-written graph model is inspected', async () => {
    const file = writeGraphModel(tmp('ll-insp-'));
    const r = await run({ model: file }, plainContext());
    expect(r.model).toMatchObject({ format: 'tfjs-graph', inputShape: [null, 4], params: 15, flops: 12 });
    expect(r.layers).toHaveLength(1);
    const l = r.layers[0];
    expect(l).toMatchObject({ name: 'mm', kind: 'MatMul', weightShape: [4, 3], params: 15, flops: 12, activationShape: [null, 3] });
    expect(l.stats.min).toBe(-1);
    expect(l.stats.max).toBe(2);
    expect(l.stats.mean).toBeCloseTo(GRAPH_W.reduce((a, b) => a + b, 0) / 12, 6);
    expect(l.stats.sparsity).toBe(4 / 12); // W holds four zeros
    expectTotalsAreSums(r);
    const half = await run({ model: writeGraphModel(tmp('ll-insp-'), 'float16') }, plainContext());
    expect(half.layers[0].stats.max).toBe(2);
    expect(half.model.params).toBe(15);
  });

  it('NaN weights are a UserError naming the file (on disk) or the model (in memory)', async () => {
    const dir = tmp('ll-insp-');
    const m = buildModel('lenet5', { inputShape: [28, 28, 1], classes: 10, seed: 1 });
    await saveLayersModel(m, dir);
    const w = readFileSync(join(dir, 'weights.bin'));
    w.writeFloatLE(NaN, 0);
    writeFileSync(join(dir, 'weights.bin'), w);
    await expectUserError(run({ model: dir }, plainContext()), join(dir, 'model.json'), /NaN/);

    m.getLayer('fc2').setWeights([tf.fill([120, 84], NaN), tf.zeros([84])]);
    await expectUserError(runOnModel(wrapLayersModel(m, { ref: 'memory:lenet' })), 'memory:lenet', /fc2\/kernel of layer fc2 contains NaN/);
    m.dispose();
  });
});
