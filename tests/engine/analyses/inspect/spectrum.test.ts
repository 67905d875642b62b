// Spectra from named weights (any format) agree with the layers-model path of lowrank/ where both apply.
import { describe, expect, it } from 'vitest';
import { initBackend } from '../../../../src/engine/backend';
import { loadModel } from '../../../../src/engine/models/io';
import { modelSpectra } from '../../../../src/engine/lowrank/spectrum';
import { weightSpectra } from '../../../../src/engine/analyses/inspect/spectrum';

describe('weight spectra of any model', () => {
  it('LeNet-5: the same singular values, energy ranks and factorised MACs as the layers path, both schemes', async () => {
    await initBackend();
    const m = await loadModel('builtin:lenet5-mnist');
    try {
      for (const scheme of ['channel', 'spatial'] as const) {
        const a = modelSpectra(m.layers!, scheme);
        const b = await weightSpectra(m, { scheme });
        expect(b.map((l) => [l.name, l.kind, l.shape])).toEqual(a.map((l) => [l.name, l.kind, l.shape]));
        a.forEach((x, i) => {
          const y = b[i];
          x.singularValues.forEach((s, k) => expect(y.singularValues[k]).toBeCloseTo(s, 4));
          expect(y.rankAtEnergy).toEqual(x.rankAtEnergy);
          expect(y.flops).toBe(x.flops);
          if (scheme === 'channel') expect(y.flopsAtRank).toEqual(x.flopsAtRank);
        });
      }
    } finally {
      m.dispose();
    }
  });
});
