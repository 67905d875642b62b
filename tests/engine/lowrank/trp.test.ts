import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../../src/engine/backend/tf';
import { initBackend } from '../../../src/engine/backend';
import { plainContext } from '../../../src/engine/core/context';
import { buildModel } from '../../../src/engine/models/zoo';
import { loadModel } from '../../../src/engine/models/io';
import { TrpProjector } from '../../../src/engine/lowrank/trp';
import { kernelToMatrix } from '../../../src/engine/lowrank/reshape';
import { energyRank } from '../../../src/engine/lowrank/rank';
import { svd } from '../../../src/engine/lowrank/svd';
import { run } from '../../../src/engine/analyses/lowrank/run';
import { LowrankConfig } from '../../../src/shared/api-lowrank';
import { lowrankJobAnalyses } from '../../../src/engine/analyses/lowrank/jobs';
import type { RunContext } from '../../../src/engine/core/context';

beforeAll(async () => {
  await initBackend();
});

const spectrumOf = (m: tf.LayersModel, name: string, scheme: 'channel' | 'spatial') => {
  const w = m.getLayer(name).weights[0];
  return svd(kernelToMatrix(w.read().dataSync(), w.shape as number[], scheme)).s;
};

describe('TRP projector', () => {
  it.each(['channel', 'spatial'] as const)('%s: a projection step leaves each kernel at rank r(e); the nuclear term has gradient λ·U_r V_rᵀ', (scheme) => {
    const m = buildModel('resnet8', { inputShape: [12, 12, 1], classes: 3, seed: 4 });
    const layers = ['s1b0_conv1', 's2b0_conv2'];
    const before = layers.map((n) => energyRank(spectrumOf(m, n, scheme), 0.8));
    const p = new TrpProjector({ scheme, energy: 0.8, period: 3, nuclear: 0.01, layers });
    const hooks = p.hooks();
    hooks.beforeStep!(1, m); // not a TRP iteration
    expect(p.projections).toBe(0);
    hooks.beforeStep!(3, m);
    expect(p.projections).toBe(1);
    layers.forEach((n, i) => {
      expect(p.ranks[n]).toBe(before[i]);
      const s = spectrumOf(m, n, scheme);
      expect(s[p.ranks[n]] / s[0]).toBeLessThan(1e-5);
    });
    // ⟨W, G⟩ with G fixed: d/dW = λ·G, and ⟨W_r, U_r V_rᵀ⟩ = Σ_{i≤r} σ_i (the truncated nuclear norm)
    const w = m.getLayer('s1b0_conv1').weights[0];
    const loss = p.nuclearLoss(m, 3)!;
    const s = spectrumOf(m, 's1b0_conv1', scheme);
    const s2 = spectrumOf(m, 's2b0_conv2', scheme);
    const nuc = (xs: Float64Array, r: number) => Array.from(xs.slice(0, r)).reduce((a, b) => a + b, 0);
    expect(loss.dataSync()[0]).toBeCloseTo(0.01 * (nuc(s, p.ranks.s1b0_conv1) + nuc(s2, p.ranks.s2b0_conv2)), 3);
    const { grads } = tf.variableGrads(() => p.nuclearLoss(m, 3)!, [w.read() as tf.Variable]);
    const g = Object.values(grads)[0];
    const gs = svd(kernelToMatrix(g.dataSync(), w.shape as number[], scheme)).s;
    expect(gs[0]).toBeCloseTo(0.01, 5);
    expect(gs[p.ranks.s1b0_conv1 - 1]).toBeCloseTo(0.01, 5);
    expect(p.nuclearLoss(m, 4)).toBeNull();
    p.dispose();
    m.dispose();
  });
});

describe('lowrank job (small settings; CI)', () => {
  it('svd on the builtin LeNet: fewer FLOPs, a loadable model, the record', async () => {
    const out = mkdtempSync(join(tmpdir(), 'll-lr-svd-'));
    const r = await run(LowrankConfig.parse({ model: 'builtin:lenet5-mnist', data: 'mnist', method: 'svd', energy: 0.9, testLimit: 500, evalLimit: 300, out }), plainContext());
    expect(r.decomposed.flops).toBeLessThan(r.baseline.flops);
    // reported figures on test (testLimit), their val copies (what sweeps select on) on val (evalLimit)
    expect([r.split, r.n]).toEqual(['test', 500]);
    expect([r.val.split, r.val.n]).toEqual(['val', 300]);
    expect(r.val.posthoc).toBe(r.val.decomposed); // svd: no separate post-hoc model
    expect(r.splits).toMatchObject({ nVal: 800, nTest: 2000, valSeed: 4321 });
    expect(r.baseline.top1).toBeGreaterThan(0.97);
    expect(r.decomposed.top1).toBeGreaterThan(0.95);
    expect(Object.keys(r.ranks).sort()).toEqual(['conv2', 'fc1', 'fc2']);
    const back = await loadModel(r.modelPath);
    expect(back.layers!.layers.some((l) => l.name === 'conv2_lr1')).toBe(true);
    back.dispose();
  });

  it('TRP fine-tuning of the builtin LeNet: ranks shrink below the baseline, TRP beats post-hoc at the same FLOPs', async () => {
    const out = mkdtempSync(join(tmpdir(), 'll-lr-trp-'));
    const events: Record<string, number>[] = [];
    const cfg = LowrankConfig.parse({
      model: 'builtin:lenet5-mnist',
      data: 'mnist',
      method: 'trp',
      energy: 0.9,
      period: 2,
      epochs: 1,
      limit: 768,
      evalLimit: 200,
      testLimit: 600,
      learningRate: 5e-4,
      seed: 3,
      out,
    });
    const r = await run(cfg, plainContext((p) => p.metrics && events.push(p.metrics)));
    expect(r.trp!.projections).toBe(6);
    expect(r.rankHistory).toHaveLength(1);
    expect(events.some((m) => typeof m['rank:conv2'] === 'number')).toBe(true);
    // the TRP-trained net is cut at lower ranks than the baseline's own 0.9-energy ranks
    const base = Object.fromEntries(r.spectra.baseline.map((s) => [s.name, s.rankAtEnergy['0.9']]));
    for (const [n, k] of Object.entries(r.ranks)) expect(k).toBeLessThan(base[n]);
    expect(r.posthoc.flops).toBe(r.decomposed.flops);
    expect(r.decomposed.flops).toBeLessThan(r.baseline.flops * 0.8);
    expect(r.decomposed.top1).toBeGreaterThan(r.posthoc.top1);
    // one short epoch of TRP at e = 0.9 does not recover full accuracy; it must still beat the cut baseline
    expect(r.decomposed.top1).toBeGreaterThan(0.6);
  });

  it('a TRP job stopped during TRP training resumes from its checkpoints to the result of an uninterrupted run', async () => {
    const settings = {
      model: 'builtin:lenet5-mnist',
      data: 'mnist',
      method: 'trp',
      scheme: 'spatial',
      speedup: 2,
      ramp: 0.5,
      period: 2,
      epochs: 2,
      limit: 256,
      evalLimit: 100,
      testLimit: 300,
      seed: 5,
      includeFirst: true,
    } as const;
    const whole = await run(LowrankConfig.parse({ ...settings, out: mkdtempSync(join(tmpdir(), 'll-lr-whole-')) }), plainContext());

    const cfg = LowrankConfig.parse({ ...settings, out: mkdtempSync(join(tmpdir(), 'll-lr-killed-')) });
    const stop = new AbortController();
    // stop right after the TRP net's first epoch (its checkpoint is written before this event)
    const ctx: RunContext = { signal: stop.signal, progress: (p) => p.metrics?.phase === 1 && p.metrics.epoch === 1 && p.metrics.valTop1 !== undefined && stop.abort(), workDir: cfg.out };
    await expect(run(cfg, ctx)).rejects.toThrow(/cancelled/);
    expect(lowrankJobAnalyses.lowrank.resumable!(cfg)).toBe(true);

    const seen: Record<string, number>[] = [];
    const resumed = await run(cfg, plainContext((p) => p.metrics && seen.push(p.metrics), cfg.out));
    // it picked up where it stopped: no baseline epoch and no first TRP epoch trained again
    const epochsTrained = seen.filter((m) => m.valTop1 !== undefined).map((m) => `${m.phase}:${m.epoch}`);
    expect(epochsTrained).toEqual(['1:2']);
    expect(resumed.ranks).toEqual(whole.ranks);
    expect(resumed.rankHistory).toEqual(whole.rankHistory);
    expect(resumed.trp!.projections).toBe(whole.trp!.projections);
    for (const k of ['baseline', 'decomposed', 'posthoc'] as const) expect(resumed[k].top1).toBe(whole[k].top1);
    // a post-hoc run has nothing to resume
    expect(lowrankJobAnalyses.lowrank.resumable!(LowrankConfig.parse({ ...settings, method: 'svd', out: cfg.out }))).toBe(false);
  });
});
