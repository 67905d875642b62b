import { describe, expect, it } from 'vitest';
import type { PartsRunView } from '../../src/shared/api-parts';
import { affinityRows, classPatterns, confidenceRows, detectorName, eigenSets, rangeHeat } from '../../src/renderer/src/views/parts/parts';

const run = {
  runDir: '/r',
  data: '/d',
  classNames: ['1-part', '2-part'],
  config: {},
  classes: [{ class: 0, eigenvalues: [0, 0.01, 0.02, 0.6, 0.7], order: [2, 0, 1], assign: [0, 0, 1], affinity: [1, 0.8, 0.1, 0.8, 1, 0.2, 0.1, 0.2, 1], purity: null }],
  patterns: [
    { class: 0, cluster: 1, kept: true, rank: 0, size: 2, representativeness: 0.5, discriminativeness: 2, score: 1, members: [], detector: 0 },
    { class: 1, cluster: 0, kept: false, rank: null, size: 1, representativeness: 0.1, discriminativeness: 0, score: -1, members: [], detector: null },
  ],
  detectors: [{ index: 0, class: 0, cluster: 1, confidence: [[0.2, 0.9], [0.1, 0.95]] }],
  matrix: { images: [], labels: [], values: [] },
  record: null,
} satisfies PartsRunView;

describe('Parts view helpers', () => {
  it('rangeHeat maps the chosen z range onto [0, 1] and clips outside it', () => {
    expect(rangeHeat([-1, 0, 1, 2, 3], 0, 2)).toEqual([0, 0, 0.5, 1, 1]);
    // an empty range does not divide by zero
    expect(rangeHeat([1, 2], 1, 1).every((v) => v >= 0 && v <= 1)).toBe(true);
  });

  it('eigenSets: a connected line of the eigenvalues and the position of the largest gap', () => {
    const e = eigenSets(run.classes[0].eigenvalues);
    expect(e.sets[0].points.map((p) => p.y)).toEqual([0, 0.01, 0.02, 0.6, 0.7]);
    expect(e.sets[0].line).toBe(true);
    // 0.02 → 0.6 is the gap: three clusters
    expect(e.gapAt).toBe(3);
  });

  it('affinityRows: n rows of n, labelled by cluster and seed', () => {
    const a = affinityRows(run.classes[0]);
    expect(a.values).toEqual([[1, 0.8, 0.1], [0.8, 1, 0.2], [0.1, 0.2, 1]]);
    expect(a.labels).toEqual(['c0 · 2', 'c0 · 0', 'c1 · 1']);
  });

  it('classPatterns and detectorName', () => {
    expect(classPatterns(run, 0).map((p) => p.cluster)).toEqual([1]);
    expect(classPatterns(run, 1)[0].kept).toBe(false);
    expect(detectorName(run, run.detectors[0])).toBe('#0 1-part · c1');
  });

  it('confidenceRows: rounds × bags, bags ordered by their last confidence', () => {
    const c = confidenceRows(run.detectors[0].confidence);
    expect(c.rounds).toEqual(['round 1', 'round 2']);
    expect(c.bags).toEqual(['1', '0']);
    expect(c.values).toEqual([[0.9, 0.2], [0.95, 0.1]]);
    expect(confidenceRows(null).values).toEqual([]);
  });
});
