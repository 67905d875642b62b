import { describe, expect, it } from 'vitest';
import { easCurve, energyMap, measOf, rankIntoGroups, spearman } from '../../../src/engine/wsod/meas';

describe('energyMap', () => {
  it('sums the scores of the boxes covering each cell and divides by the maximum', () => {
    // 4×4 image, one cell per pixel; box A covers the left half (score 1), box B the top-left quarter (score 3)
    const e = energyMap(
      [
        { x1: 0, y1: 0, x2: 2, y2: 4 },
        { x1: 0, y1: 0, x2: 2, y2: 2 },
      ],
      [1, 3],
      4,
      4,
    );
    expect(Array.from(e)).toEqual([1, 1, 0, 0, 1, 1, 0, 0, 0.25, 0.25, 0, 0, 0.25, 0.25, 0, 0]);
  });

  it('maps pixels to a coarser grid by cell centre and stays zero without scores', () => {
    const e = energyMap([{ x1: 0, y1: 0, x2: 4, y2: 4 }], [0.5], 8, 8, 2, 2);
    expect(Array.from(e)).toEqual([1, 0, 0, 0]);
    expect(Array.from(energyMap([{ x1: 0, y1: 0, x2: 4, y2: 4 }], [0], 8, 8, 2, 2))).toEqual([0, 0, 0, 0]);
  });
});

describe('EAS and mEAS', () => {
  const boxes = [
    { x1: 0, y1: 0, x2: 2, y2: 2 },
    { x1: 2, y1: 2, x2: 4, y2: 4 },
  ];
  it('EAS_τ is the share of the thresholded energy inside the top box', () => {
    // energy: top-left quarter 1, bottom-right quarter 0.5 (normalised from 2 and 1)
    const e = energyMap(boxes, [2, 1], 4, 4);
    const eas = easCurve(e, 4, 4, 4, 4, boxes[0], [0, 0.6]);
    expect(eas[0]).toBeCloseTo(4 / 6, 10); // 4 cells × 1 of 4 × 1 + 4 × 0.5
    expect(eas[1]).toBeCloseTo(1, 10); // the 0.5 cells drop below τ
  });

  it('is 1 when all energy sits in the top box and lower when it is scattered', () => {
    expect(measOf(boxes, [1, 0], 4, 4, 4).meas).toBeCloseTo(1, 10);
    const scattered = measOf(boxes, [1, 1], 4, 4, 4, [0, 0.5]);
    expect(scattered.top).toBe(0);
    expect(scattered.meas).toBeCloseTo(0.5, 10);
    expect(scattered.eas).toEqual([0.5, 0.5]);
  });
});

describe('rankIntoGroups', () => {
  it('ranks by mEAS descending into K equal quantile groups (0 = easiest), ties in input order', () => {
    const { rank, group } = rankIntoGroups([0.1, 0.9, 0.5, 0.7, 0.3, 0.5], 3);
    expect(rank).toEqual([5, 0, 2, 1, 4, 3]);
    expect(group).toEqual([2, 0, 1, 0, 2, 1]);
  });
});

describe('spearman', () => {
  it('is ±1 for monotone pairs, uses average ranks for ties, NaN when a side is constant', () => {
    expect(spearman([1, 2, 3, 4], [10, 20, 30, 45])).toBeCloseTo(1, 12);
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(-1, 12);
    // x ranks 1,2,3,4; y ranks 1.5,1.5,3,4 → Pearson of those
    expect(spearman([1, 2, 3, 4], [5, 5, 6, 7])).toBeCloseTo(0.9486832980505138, 12);
    expect(spearman([1, 2, 3], [2, 2, 2])).toBeNaN();
  });
});
