import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/engine/backend';
import { loadModel } from '../../../src/engine/models/io';
import { buildModel } from '../../../src/engine/models/zoo';
import { candidates, costAt, decomposeModel, maxUsefulRank, modelFlops, selectLayers } from '../../../src/engine/lowrank/decompose';
import { budgetRanks, planRanks, rampedRule } from '../../../src/engine/lowrank/plan';
import { cumulativeEnergy } from '../../../src/engine/lowrank/rank';
import { modelSpectra } from '../../../src/engine/lowrank/spectrum';

beforeAll(async () => {
  await initBackend();
});

describe('rank plans over a whole model', () => {
  it.each(['channel', 'spatial'] as const)('%s: a speed-up budget is met by the factorised model and no layer could keep one more rank', async (scheme) => {
    const model = (await loadModel('builtin:lenet5-mnist')).layers!;
    const cands = selectLayers(candidates(model, scheme), { includeFirst: true });
    const spectra = new Map(modelSpectra(model, scheme).map((s) => [s.name, s.singularValues]));
    const flops = modelFlops(model);
    for (const speedup of [1.5, 2, 3]) {
      const ranks = budgetRanks(cands.map((c) => ({ candidate: c, s: spectra.get(c.name)! })), scheme, flops, speedup);
      const dec = await decomposeModel(model, scheme, ranks);
      expect(dec.flopsAfter).toBeLessThanOrEqual(flops / speedup);
      // maximal: one more rank in any factorised layer (or keeping it whole) breaks the budget or is useless
      for (const c of cands) {
        const r = ranks[c.name];
        if (r >= c.fullRank) continue;
        const next = r + 1 <= maxUsefulRank(c, scheme) ? costAt(c, scheme, r + 1).flops : c.flops;
        expect(dec.flopsAfter - costAt(c, scheme, r).flops + next).toBeGreaterThan(flops / speedup);
      }
      dec.model.dispose();
    }
    model.dispose();
  });

  it('spends the budget where it drops less energy than one e for every layer at the same FLOPs', async () => {
    const model = (await loadModel('builtin:lenet5-mnist')).layers!;
    const cands = selectLayers(candidates(model, 'spatial'), { includeFirst: true });
    const spectra = new Map(modelSpectra(model, 'spatial').map((s) => [s.name, s.singularValues]));
    const lost = (ranks: Record<string, number>) =>
      cands.reduce((a, c) => {
        const r = ranks[c.name];
        return a + (r >= c.fullRank || r > maxUsefulRank(c, 'spatial') ? 0 : 1 - cumulativeEnergy(spectra.get(c.name)!)[r - 1]);
      }, 0);
    const uniform = planRanks(cands.map((c) => ({ candidate: c, s: spectra.get(c.name)! })), { kind: 'energy', energy: 0.9 }, 'spatial', modelFlops(model));
    const dec = await decomposeModel(model, 'spatial', uniform);
    const budget = budgetRanks(cands.map((c) => ({ candidate: c, s: spectra.get(c.name)! })), 'spatial', modelFlops(model), modelFlops(model) / dec.flopsAfter);
    const decB = await decomposeModel(model, 'spatial', budget);
    expect(decB.flopsAfter).toBeLessThanOrEqual(dec.flopsAfter);
    expect(lost(budget)).toBeLessThanOrEqual(lost(uniform) + 1e-12);
    dec.model.dispose();
    decB.model.dispose();
    model.dispose();
  });

  it('speed-up 1 keeps every layer whole; an unreachable budget gives rank 1 everywhere', () => {
    const model = buildModel('lenet5', { inputShape: [28, 28, 1], classes: 10, seed: 1 });
    const cands = selectLayers(candidates(model, 'channel'), { includeFirst: true });
    const spectra = new Map(modelSpectra(model, 'channel').map((s) => [s.name, s.singularValues]));
    const input = cands.map((c) => ({ candidate: c, s: spectra.get(c.name)! }));
    expect(budgetRanks(input, 'channel', modelFlops(model), 1)).toEqual(Object.fromEntries(cands.map((c) => [c.name, c.fullRank])));
    expect(budgetRanks(input, 'channel', modelFlops(model), 1000)).toEqual(Object.fromEntries(cands.map((c) => [c.name, 1])));
    model.dispose();
  });
});

describe('ramped rules', () => {
  it('start from keep-everything, reach the final rule at the end of the ramp, and move one way', () => {
    expect(rampedRule({ kind: 'energy', energy: 0.9 }, 0, 0.5)).toEqual({ kind: 'energy', energy: 1 });
    expect(rampedRule({ kind: 'energy', energy: 0.9 }, 0.5, 0.5)).toEqual({ kind: 'energy', energy: 0.9 });
    expect(rampedRule({ kind: 'energy', energy: 0.9 }, 0.2, 0)).toEqual({ kind: 'energy', energy: 0.9 });
    expect(rampedRule({ kind: 'speedup', speedup: 2 }, 0, 0.5)).toEqual({ kind: 'speedup', speedup: 1 });
    expect(rampedRule({ kind: 'speedup', speedup: 2 }, 0.9, 0.5)).toEqual({ kind: 'speedup', speedup: 2 });
    let prev = 1;
    for (let p = 0; p <= 1; p += 0.05) {
      const r = rampedRule({ kind: 'speedup', speedup: 3 }, p, 0.6) as { speedup: number };
      expect(r.speedup).toBeGreaterThanOrEqual(prev - 1e-12);
      prev = r.speedup;
    }
    expect(rampedRule({ kind: 'threshold', tau: 0.05 }, 0.1, 0.5)).toEqual({ kind: 'threshold', tau: 0.05 });
  });
});
