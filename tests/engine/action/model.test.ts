// The two-stream network's wiring: output shapes per level, and the fusion really pairs RGB at t with flow at t + d
// (a clip whose flow feature appears only at t0 + d scores differently once the offset weights pick d).
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../../src/engine/backend/tf';
import { initBackend } from '../../../src/engine/backend';
import { buildActionModel, disposeActionModel, forward, modelVariables, offsetWeights, type ActionArch } from '../../../src/engine/action/model';
import { levelScores } from '../../../src/engine/action/train';
import { offsetsOf } from '../../../src/engine/analyses/action/train';

const arch = (levels: ActionArch['levels'], offsets: number[]): ActionArch => ({
  frames: 6, height: 16, width: 16, rgbChannels: 1, flowStack: 2, feature: 8, hidden: 8, levels, classes: 4, coarseClasses: 2, offsets,
});
beforeAll(async () => {
  await initBackend();
});

describe('action model', () => {
  it('gives per-frame scores per level and one fused score per clip', () => {
    for (const levels of ['coarse-to-fine', 'fine'] as const) {
      const m = buildActionModel(arch(levels, offsetsOf({ fusion: 'async', maxOffset: 2 })), 1);
      const o = forward(m, tf.zeros([2 * 6, 16, 16, 1]), tf.zeros([2 * 6, 16, 16, 4]), false);
      const out = { fused: o.fused.shape, rgb: o.rgbFine.shape, coarse: o.rgbCoarse?.shape ?? null };
      expect(out.fused).toEqual([2, 4]);
      expect(out.rgb).toEqual([2, 6, 4]);
      expect(out.coarse).toEqual(levels === 'fine' ? null : [2, 6, 2]);
      expect(offsetWeights(m)).toHaveLength(5);
      // coarse-to-fine has the extra branch, integration layer and coarse classifier
      if (levels === 'fine') expect(modelVariables(m).length).toBeLessThan(modelVariables(buildActionModel(arch('coarse-to-fine', [0]), 1)).length);
      disposeActionModel(m);
    }
    expect(offsetsOf({ fusion: 'sync', maxOffset: 5 })).toEqual([0]);
  });

  it('pairs RGB at t with flow at t + d (not t − d)', () => {
    const m = buildActionModel(arch('fine', [-2, 0, 2]), 3);
    const oneAt = (t0: number, channels: number) =>
      tf.tidy(() => tf.concat(Array.from({ length: 6 }, (_, t) => (t === t0 ? tf.ones([1, 16, 16, channels]) : tf.zeros([1, 16, 16, channels]))), 0) as tf.Tensor4D);
    const fused = (rgbAt: number, flowAt: number) => tf.tidy(() => Array.from(forward(m, oneAt(rgbAt, 1), oneAt(flowAt, 4), false).fused.dataSync()));
    // all the weight on offset +2
    m.fusion.offsetLogits.assign(tf.tensor2d([0, 1, 2].map((k) => new Array(4).fill(k === 2 ? 5 : -5))));
    // RGB at 1 meets flow at 3; shifting both by one frame meets the same pair (same scores), moving only the
    // flow breaks the pair (other scores); and flow two frames EARLIER than the RGB is not what +2 pairs
    const met = fused(1, 3);
    fused(2, 4).forEach((v, i) => expect(v).toBeCloseTo(met[i], 5));
    expect(fused(1, 4)).not.toEqual(met);
    const before = fused(3, 1);
    expect(before).not.toEqual(met);
    disposeActionModel(m);
  });

  it('scores top-1 per level, the coarse one from summed fine probabilities', () => {
    const coarseOf = [0, 0, 1, 1];
    const probs = [
      [0.6, 0.1, 0.2, 0.1], // true 0: fine right, coarse right
      [0.1, 0.2, 0.35, 0.35], // true 1: fine wrong (2), coarse wrong (0.3 vs 0.7)
      [0.4, 0.0, 0.3, 0.3], // true 2: fine wrong (0), coarse right (0.6 vs 0.4)
    ];
    const s = levelScores(probs, [0, 1, 2], coarseOf, 2);
    expect(s.top1Fine).toBeCloseTo(1 / 3);
    expect(s.top1Coarse).toBeCloseTo(2 / 3);
    expect(s.confusionFine[1][2]).toBe(1);
    expect(s.confusionCoarse).toEqual([[1, 1], [0, 1]]);
  });
});
