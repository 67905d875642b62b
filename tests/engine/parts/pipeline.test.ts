import { describe, expect, it } from 'vitest';
import { plainContext } from '../../../src/engine/core/context';
import { DEFAULT_MINE } from '../../../src/engine/parts/mine';
import { DEFAULT_MIL } from '../../../src/engine/parts/mil';
import { fitParts, representations } from '../../../src/engine/parts/pipeline';
import { classify, corlocOf, localize, top1Of } from '../../../src/engine/parts/represent';
import { synthetic } from './synthetic';

describe('the whole method on synthetic region features', () => {
  it('detectors per class, a parts representation that classifies (the random global feature cannot), CorLoc on the part', async () => {
    const train = synthetic(90, 3, 11);
    const val = synthetic(30, 3, 12);
    const test = synthetic(60, 3, 13);
    const input = (s: typeof train) => ({ images: s.images, labels: s.labels, width: 64, height: 8 });
    const m = await fitParts(
      input(train),
      input(val),
      3,
      { mine: { ...DEFAULT_MINE, seeds: 30, clusters: 3, patterns: 2, affinity: 'detector', seed: 2 }, mil: { ...DEFAULT_MIL, mode: 'cls', rounds: 2, seed: 2 }, mineOnly: false, pyramid: true, backgroundRows: 500, ridge: 0.1 },
      null,
      plainContext(),
      () => {},
    );
    expect(new Set(m.detectors.map((d) => d.class))).toEqual(new Set([0, 1, 2]));
    expect(m.mining.every((c) => c.purity === null)).toBe(true);
    const r = representations(m, test.images, true, 64, 8);
    // pyramid: five cells per detector
    expect(r.partsDim).toBe(5 * m.detectors.length);
    const y = test.labels.map((l) => l[0]);
    expect(top1Of(classify(m.classifiers!.parts, r.parts), y, 3)).toBeGreaterThan(0.9);
    expect(top1Of(classify(m.classifiers!.global, r.global), y, 3)).toBeLessThan(0.6);
    // CorLoc against each image's part box
    const truth = test.images.map((im, i) => ({ labels: test.labels[i], boxes: [{ ...im.boxes[test.partAt[i]], label: test.labels[i][0] }] }));
    expect(corlocOf(localize(m.detectors, test.images, m.dim, 3), truth, 3)).toBeGreaterThan(0.9);
  });
});
