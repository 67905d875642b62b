import { describe, expect, it } from 'vitest';
import { backgroundStats } from '../../../src/engine/parts/linear';
import { mineClass, DEFAULT_MINE } from '../../../src/engine/parts/mine';
import { trainMil, DEFAULT_MIL } from '../../../src/engine/parts/mil';
import { scoreRows } from '../../../src/engine/parts/linear';
import { DIM, synthetic } from './synthetic';

const data = synthetic(60, 3, 7);
const all = new Float32Array(data.images.flatMap((im) => Array.from(im.x)));
const bg = backgroundStats(all, DIM, 0.1);
const pos = data.labels.flatMap((l, i) => (l[0] === 0 ? [i] : []));
const neg = data.labels.flatMap((l, i) => (l[0] === 0 ? [] : [i]));
const hidden = (i: number, box: { x1: number }) => data.kinds[i][box.x1 / 8];

/** Share of positive bags whose top region under d is the part. */
function topIsPart(d: { w: Float32Array; b: number }): number {
  return pos.filter((i) => {
    const s = scoreRows(d, data.images[i].x, DIM);
    return s.indexOf(Math.max(...s)) === data.partAt[i];
  }).length / pos.length;
}

describe('mining and MIL on features where a part decides the class', () => {
  const m = mineClass(0, data.images, pos, neg, DIM, bg, { ...DEFAULT_MINE, seeds: 40, perImage: 2, clusters: 5, patterns: 2, affinity: 'detector', seed: 1 }, hidden);

  it('mining: seeds carry their hidden kind; the best pattern is the distinctive part and fires on most positives', () => {
    expect(m.seeds).toHaveLength(40);
    expect(m.seeds.every((s) => pos.includes(s.image))).toBe(true);
    expect(m.affinity).toHaveLength(40 * 40);
    expect(m.kept.length).toBeGreaterThan(0);
    const best = m.clusters[m.kept[0]];
    const kinds = best.members.map((i) => m.seeds[i].hidden);
    expect(kinds.filter((k) => k === 'part').length / kinds.length).toBeGreaterThan(0.8);
    expect(best.representativeness).toBeGreaterThan(0.8);
    expect(best.discriminativeness).toBeGreaterThan(1);
    expect(m.purity).not.toBeNull();
    expect(m.purity!.spectral).toBeGreaterThan(0.5);
    // the same seed mines the same patterns
    const again = mineClass(0, data.images, pos, neg, DIM, bg, { ...DEFAULT_MINE, seeds: 40, perImage: 2, clusters: 5, patterns: 2, affinity: 'detector', seed: 1 }, hidden);
    expect(again.assign).toEqual(m.assign);
  });

  it('co-firing affinity: symmetric shares in [0, 1] with no self-loops; the best pattern is still the part', () => {
    const c = mineClass(0, data.images, pos, neg, DIM, bg, { ...DEFAULT_MINE, seeds: 40, perImage: 2, clusters: 5, clusterCount: 'fixed', patterns: 2, detectorAffinity: 'cofire', fireTop: 10, affinity: 'detector', seed: 1 }, hidden);
    const n = c.seeds.length;
    for (let i = 0; i < n; i++) {
      expect(c.affinity[i * n + i]).toBe(0);
      for (let j = 0; j < n; j++) {
        expect(c.affinity[i * n + j]).toBe(c.affinity[j * n + i]);
        expect(c.affinity[i * n + j]).toBeGreaterThanOrEqual(0);
        expect(c.affinity[i * n + j]).toBeLessThanOrEqual(1);
      }
    }
    expect(c.k).toBe(5);
    const kinds = c.clusters[c.kept[0]].members.map((i) => c.seeds[i].hidden);
    expect(kinds.filter((k) => k === 'part').length / kinds.length).toBeGreaterThan(0.8);
  });

  it('cls-MIL and plain MIL both localise the part from a weak start; the traces have a row per round and a value per bag', () => {
    // a weak start: half part, half body direction
    const w = new Float32Array(DIM);
    w[0] = 0.6;
    w[8] = 0.5;
    const init = { w, b: 0 };
    expect(topIsPart(init)).toBeLessThan(0.9);
    for (const mode of ['cls', 'plain'] as const) {
      const r = trainMil(init, data.images, pos, neg, DIM, { ...DEFAULT_MIL, mode, rounds: 3, seed: 1 });
      expect(topIsPart(r.detector)).toBeGreaterThan(0.95);
      expect(r.trace.confidence).toHaveLength(3);
      expect(r.trace.confidence[0]).toHaveLength(pos.length);
      if (mode === 'plain') expect(r.trace.confidence.flat().every((c) => c === 1)).toBe(true);
      else expect(r.trace.confidence.flat().every((c) => c > 0 && c < 1)).toBe(true);
    }
  });
});
