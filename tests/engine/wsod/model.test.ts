import { describe, expect, it } from 'vitest';
import { roiAlign, type FeatureMap } from '../../../src/engine/wsod/model';
import { schedule, stageEpochs } from '../../../src/engine/wsod/train';

describe('roiAlign', () => {
  // a 4×4 map, 2 channels: channel 0 = x, channel 1 = y (cell coordinates)
  const data = new Float32Array(4 * 4 * 2);
  for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) data.set([x, y], (y * 4 + x) * 2);
  const map: FeatureMap = { data, fh: 4, fw: 4, ch: 2 };

  it('samples bin centres bilinearly in map coordinates (pixel / stride − 0.5)', () => {
    // stride 4: the box [4, 12) × [0, 8) covers cells x 1..2, y 0..1; with a 2×2 grid the bin centres are at
    // pixels (6, 2), (10, 2), (6, 6), (10, 6) → map (1, 0), (2, 0), (1, 1), (2, 1)
    const out = new Float32Array(2 * 2 * 2);
    roiAlign(map, [{ x1: 4, y1: 0, x2: 12, y2: 8 }], 2, 4, out);
    expect(Array.from(out)).toEqual([1, 0, 2, 0, 1, 1, 2, 1]);
  });

  it('interpolates between cells and averages samples × samples per bin', () => {
    const one = new Float32Array(2);
    // centre of [0, 8) is pixel 4 → map 0.5 on both axes
    roiAlign(map, [{ x1: 0, y1: 0, x2: 8, y2: 8 }], 1, 4, one);
    expect(Array.from(one)).toEqual([0.5, 0.5]);
    // 2 × 2 samples at pixels 2 and 6 → map 0 and 1 → mean 0.5, the same here (linear map)
    roiAlign(map, [{ x1: 0, y1: 0, x2: 8, y2: 8 }], 1, 4, one, 0, 2);
    expect(Array.from(one)).toEqual([0.5, 0.5]);
    // clamped at the border
    roiAlign(map, [{ x1: 12, y1: 12, x2: 24, y2: 24 }], 1, 4, one);
    expect(Array.from(one)).toEqual([3, 3]);
  });
});

describe('schedule', () => {
  it('gives all-at-once one stage-0 phase of every epoch', () => {
    expect(schedule({ epochs: 8, curriculum: false, groups: 3, stage0Share: 0.25 })).toEqual([{ stage: 0, epochs: 8 }]);
  });
  it('spreads the same total over stage 0 and K stages, the last stage never shorter', () => {
    expect(schedule({ epochs: 8, curriculum: true, groups: 3, stage0Share: 0.25 })).toEqual([
      { stage: 0, epochs: 2 },
      { stage: 1, epochs: 2 },
      { stage: 2, epochs: 2 },
      { stage: 3, epochs: 2 },
    ]);
    const s = schedule({ epochs: 10, curriculum: true, groups: 3, stage0Share: 0.25 });
    expect(s.map((p) => p.epochs)).toEqual([3, 2, 2, 3]);
    expect(s.reduce((a, p) => a + p.epochs, 0)).toBe(10);
    // too few epochs: empty stages are dropped, the total still holds
    expect(schedule({ epochs: 2, curriculum: true, groups: 3, stage0Share: 0.25 })).toEqual([
      { stage: 0, epochs: 1 },
      { stage: 3, epochs: 1 },
    ]);
  });
});

describe('stageEpochs', () => {
  it("keeps the planned epochs under an 'epochs' budget and for a stage on every image", () => {
    expect(stageEpochs(2, 500, 1000, 'epochs')).toBe(2);
    expect(stageEpochs(2, 1000, 1000, 'images')).toBe(2);
  });
  it("gives a smaller stage proportionally more epochs under an 'images' budget", () => {
    expect(stageEpochs(2, 500, 1000, 'images')).toBe(4);
    expect(stageEpochs(2, 860, 1080, 'images')).toBe(3); // 2.51 passes rounded
    expect(stageEpochs(2, 520, 1080, 'images')).toBe(4); // 4.15
    expect(stageEpochs(1, 999, 1000, 'images')).toBe(1);
  });
});
