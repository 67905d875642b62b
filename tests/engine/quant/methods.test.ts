// Small settings of every quant method on the real builtin LeNet-5 (the full runs: scripts/experiments/quant.ts).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/engine/backend';
import { plainContext } from '../../../src/engine/core/context';
import * as sensitivity from '../../../src/engine/analyses/quant/sensitivity';
import * as quantize from '../../../src/engine/analyses/quant/quantize';
import * as evaluate from '../../../src/engine/analyses/eval';
import { Controller, reward } from '../../../src/engine/quant/controller';
import { compressionRatio, layerBits } from '../../../src/engine/quant/policy';
import { loadModel } from '../../../src/engine/models/io';
import { Evaluator, quantLayers, readKernel, seededSubset } from '../../../src/engine/quant/session';
import { prepare, writeQuantized } from '../../../src/engine/analyses/quant/common';
import { specFor } from '../../../src/engine/quant/policy';
import { QuantizeConfig, SensitivityConfig } from '../../../src/shared/api-quant';
import { Policy } from '../../../src/shared/common';

beforeAll(async () => {
  await initBackend();
});

const M = 'builtin:lenet5-mnist';
const distinct = (a: Float32Array) => new Set(Array.from(a)).size;

describe('compression accounting', () => {
  it('codes plus codebooks / scales', () => {
    // 1000 weights at 3 bits, per-tensor k-means: 5 levels × 32 bits of codebook
    expect(layerBits(1000, [10, 100], { bits: 3, method: 'kmeans', granularity: 'per-tensor', symmetric: true })).toBe(3000 + 5 * 32);
    // per-channel symmetric uniform: one float scale per output channel
    expect(layerBits(1000, [10, 100], { bits: 4, method: 'uniform', granularity: 'per-channel', symmetric: true })).toBe(4000 + 100 * 32);
    expect(layerBits(1000, [10, 100], { bits: 2, method: 'ternary', granularity: 'per-tensor', symmetric: true })).toBe(2000 + 32);
    const cr = compressionRatio(
      [{ size: 1000, shape: [10, 100] }, { size: 100, shape: [100] }],
      [{ bits: 2, method: 'ternary', granularity: 'per-tensor', symmetric: true }, null],
    );
    expect(cr).toBeCloseTo((32 * 1100) / (2032 + 3200), 10);
  });
});

describe('REINFORCE controller', () => {
  it('both reward forms rise with accuracy and with compression', () => {
    const a = { reward: 'additive' as const, lambda: 0.1, beta: 0.5, crTarget: 10 };
    const m = { ...a, reward: 'multiplicative' as const };
    expect(reward(a, 0.9, 10)).toBeCloseTo(1.0);
    expect(reward(m, 0.9, 40)).toBeCloseTo(1.8);
    for (const c of [a, m]) {
      expect(reward(c, 0.95, 10)).toBeGreaterThan(reward(c, 0.9, 10));
      expect(reward(c, 0.9, 12)).toBeGreaterThan(reward(c, 0.9, 10));
    }
  });

  for (const policy of ['lstm', 'mlp'] as const) {
    it(`${policy}: learns a toy reward (4 bits everywhere but a pinned layer) and is seeded`, () => {
      const cfg = { policy, hidden: 16, bits: [2, 4, 8], reward: 'additive' as const, lambda: 0, beta: 0, crTarget: 1, samplesPerUpdate: 8, baselineDecay: 0.8, learningRate: 0.05, seed: 3 };
      const layers = [{ size: 100, kind: 'Conv2D' }, { size: 1000, kind: 'Dense' }, { size: 10, kind: 'Dense' }];
      const run = () => {
        const c = new Controller(cfg, layers, [null, null, 8]);
        const first = c.sample();
        for (let u = 0; u < 60; u++) {
          const s = Array.from({ length: 8 }, () => c.sample());
          c.update(s, s.map((a) => a.slice(0, 2).filter((k) => k === 1).length));
        }
        const g = c.greedy();
        c.dispose();
        return { first, g };
      };
      const r1 = run();
      expect(r1.g).toEqual([1, 1, 2]);
      expect(run().first).toEqual(r1.first);
    });
  }
});

describe('sensitivity', () => {
  it('every layer at every listed bit-width, with a spread over subsets', async () => {
    const r = await sensitivity.run(SensitivityConfig.parse({ model: M, data: 'mnist', bits: [2, 8], limit: 400, subsets: 4 }), plainContext());
    expect(r.layers.map((l) => l.name)).toEqual(['conv1', 'conv2', 'fc1', 'fc2', 'fc3']);
    expect(r.n).toBe(400);
    expect(r.baseline).toBeGreaterThan(0.97);
    for (const l of r.layers) {
      expect(Object.keys(l.bits)).toEqual(['2', '8']);
      expect(l.bits['8']).toBeGreaterThanOrEqual(r.baseline - 0.01);
      expect(l.spread!['2'].min).toBeLessThanOrEqual(l.spread!['2'].max);
    }
    // the 150-weight first conv is the most fragile at 2 bits
    expect(r.layers[0].bits['2']).toBeLessThan(r.layers[0].bits['8']);
  });

  it('groups move together; an unknown layer is a one-line error', async () => {
    // a limit past the val size: every val image (800), never the 2,000 test images
    const r = await sensitivity.run(SensitivityConfig.parse({ model: M, data: 'mnist', bits: [4], limit: 5000, groups: [['fc1', 'fc2']] }), plainContext());
    expect(r.split).toBe('val');
    expect(r.n).toBe(800);
    expect(r.splits.nVal).toBe(800);
    expect(r.layers.map((l) => l.name)).toEqual(['conv1', 'conv2', 'fc1+fc2', 'fc3']);
    expect(r.layers[2].params).toBe(48000 + 10080);
    await expect(sensitivity.run(SensitivityConfig.parse({ model: M, data: 'mnist', groups: [['fc9']] }), plainContext())).rejects.toThrow(/unknown layer "fc9"/);
  });

  it('cells take the metric of the task (top1) unless another scalar metric is asked for', async () => {
    const base = { model: M, data: 'mnist', bits: [2], limit: 200 };
    const t1 = await sensitivity.run(SensitivityConfig.parse(base), plainContext());
    const t5 = await sensitivity.run(SensitivityConfig.parse({ ...base, metric: 'top5' }), plainContext());
    expect([t1.metric, t5.metric]).toEqual(['top1', 'top5']);
    t5.layers.forEach((l, i) => expect(l.bits['2']).toBeGreaterThanOrEqual(t1.layers[i].bits['2']));
    expect(t5.layers.some((l, i) => l.bits['2'] > t1.layers[i].bits['2'])).toBe(true);
    await expect(sensitivity.run(SensitivityConfig.parse({ ...base, metric: 'confusion' }), plainContext())).rejects.toThrow(/not one number/);
  });
});

describe('quantize (small settings)', () => {
  const small = { model: M, data: 'mnist', trainLimit: 512, evalLimit: 500, fractions: [0.5, 1], retrainEpochs: 1, seed: 1 };

  it('dnq with a fixed policy: both orders after every step, frozen kernels on their levels, eval reproduces top-1', async () => {
    const out = mkdtempSync(join(tmpdir(), 'll-dnq-'));
    const r = await quantize.run(QuantizeConfig.parse({ ...small, method: 'dnq', policy: { conv1: 6, conv2: 4, fc1: 2, fc2: 3, fc3: 4 }, episodes: 0, out }), plainContext());
    expect(Object.keys(r.stepsByOrder!).sort()).toEqual(['distance', 'magnitude']);
    for (const steps of Object.values(r.stepsByOrder!)) expect(steps.map((s) => s.fraction)).toEqual([0.5, 1]);
    expect(r.steps).toEqual(r.stepsByOrder!.distance);
    expect(r.compressionRatio).toBeGreaterThan(10);
    expect(r.quantized.top1).toBeGreaterThan(0.95);
    expect(r.baseline.top1 - r.quantized.top1).toBeLessThan(0.02);
    const policy = Policy.parse(JSON.parse(readFileSync(join(out, 'policy.json'), 'utf8')));
    expect(policy.layers.fc1).toEqual({ bits: 2, method: 'kmeans', granularity: 'per-tensor', symmetric: true });
    const m = await loadModel(join(out, 'model.json'));
    const levels = quantLayers(m.layers!).map((l) => distinct(readKernel(l)));
    m.dispose();
    // 2^(b-1)+1 levels at most
    expect(levels[2]).toBeLessThanOrEqual(3);
    expect(levels[0]).toBeLessThanOrEqual(33);
    const e = await evaluate.run({ model: out, data: 'mnist', limit: 500 }, plainContext());
    expect(e.metrics.top1 as number).toBeCloseTo(r.quantized.top1, 6);
    expect([e.split, r.quantized.split, r.baseline.split]).toEqual(['test', 'test', 'test']);
    // the val copies (what a sweep selects on) are the same model on the first 500 val images
    const v = await evaluate.run({ model: out, data: 'mnist', limit: 500, split: 'val' }, plainContext());
    expect(v.metrics.top1 as number).toBeCloseTo(r.val.quantized, 6);
    expect(r.val.n).toBe(500);
  });

  it('dnq search: one record per episode, reward from its accuracy and compression, seeded', async () => {
    const cfg = QuantizeConfig.parse({ ...small, method: 'dnq', episodes: 8, episodeEvalSize: 100, retrainEpochs: 0, fractions: [1], compareOrders: false });
    const r = await quantize.run(cfg, plainContext());
    expect(r.episodes).toHaveLength(8);
    for (const e of r.episodes) expect(e.reward).toBeCloseTo(reward(cfg, e.top1, e.compressionRatio), 10);
    expect(r.search!.evalSize).toBe(100);
    expect(r.search!.split).toBe('val');
    expect(r.uniformReferences!.map((u) => u.bits)).toEqual(cfg.bitChoices);
    // rewards read val: the 4-bit reference is the model at 4 bits on the seeded 100-image subset of val
    const p = await prepare(M, 'mnist');
    try {
      p.layers.forEach((_, i) => writeQuantized(p, i, specFor(4, { method: cfg.codebook, granularity: cfg.granularity, symmetric: true }, cfg.seed)));
      const onVal = new Evaluator(p.model, p.data.val, p.data.shape, seededSubset(p.data.val.n, 100, r.search!.evalSeed));
      expect(r.uniformReferences!.find((u) => u.bits === 4)!.top1).toBeCloseTo(await onVal.score(), 10);
      onVal.dispose();
    } finally {
      p.dispose();
    }
    const best = r.episodes.reduce((a, b) => (b.reward > a.reward ? b : a));
    expect(r.policy).toEqual(best.policy);
    const again = await quantize.run(cfg, plainContext());
    expect(again.episodes.map((e) => e.policy)).toEqual(r.episodes.map((e) => e.policy));
  });

  it('slq 4 bits and mlq ternary: every kernel ends on its codebook', async () => {
    for (const method of ['slq', 'mlq'] as const) {
      const out = mkdtempSync(join(tmpdir(), `ll-${method}-`));
      const r = await quantize.run(QuantizeConfig.parse({ ...small, method, bits: 4, retrainEpochs: 0.5, out }), plainContext());
      expect(r.quantized.top1).toBeGreaterThan(method === 'slq' ? 0.97 : 0.9);
      const m = await loadModel(join(out, 'model.json'));
      for (const l of quantLayers(m.layers!)) expect(distinct(readKernel(l))).toBeLessThanOrEqual(method === 'slq' ? 9 : 3);
      m.dispose();
      // mlq: one group per layer, each with its two steps
      if (method === 'mlq') expect(r.steps).toHaveLength(10);
    }
  });

  it('bad configs name the flag', async () => {
    await expect(quantize.run(QuantizeConfig.parse({ ...small, method: 'slq', fractions: [0.5, 0.9] }), plainContext())).rejects.toThrow(/last fraction must be 1/);
    await expect(quantize.run(QuantizeConfig.parse({ ...small, method: 'dnq', policy: { conv1: 4 } }), plainContext())).rejects.toThrow(/--policy: no bits for conv2/);
  });
});
