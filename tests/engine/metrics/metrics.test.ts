// Known-answer tests: every expected number below is worked out by hand in the comment beside it.
import { describe, expect, it } from 'vitest';
import { UserError } from '../../../src/engine/core/errors';
import { computeMetrics, getMetric, listMetrics, scalarMetric, selectionMetric } from '../../../src/engine/metrics';
import { averagePrecision, mAP50 } from '../../../src/engine/metrics/map50';
import { corloc } from '../../../src/engine/metrics/corloc';
import type { Box } from '../../../src/engine/data/types';
import type { Detection, DetectionOutputs } from '../../../src/engine/metrics';
import { listTasks } from '../../../src/engine/tasks';

const box = (x1: number, y1: number, x2: number, y2: number, label = 0, difficult = false): Box => ({ x1, y1, x2, y2, label, ...(difficult ? { difficult } : {}) });
const det = (image: number, score: number, b: [number, number, number, number], label = 0): Detection => ({ image, label, score, box: b });
const A: [number, number, number, number] = [0, 0, 10, 10];
const B: [number, number, number, number] = [20, 20, 30, 30];
const NOWHERE: [number, number, number, number] = [50, 50, 60, 60];
const oneClass = (boxes: Box[], detections: Detection[]): DetectionOutputs => ({ classes: 1, images: [{ labels: [0], boxes }], detections });
const ap0 = (o: DetectionOutputs) => mAP50.compute(o).details!.ap[0];

describe('classification metrics', () => {
  // labels [0,0,1,2,2,2]; predictions [0,1,1,2,0,2] as one-hot-ish scores
  const preds = [0, 1, 1, 2, 0, 2];
  const scores = Float32Array.from(preds.flatMap((p) => [0, 1, 2].map((c) => (c === p ? 0.8 : 0.1))));
  const o = { n: 6, classes: 3, scores, labels: [0, 0, 1, 2, 2, 2] };

  it('top-1, confusion and per-class accuracy on a hand case', () => {
    const r = computeMetrics('classification', o, ['top1', 'confusion', 'perClass']);
    expect(r.metrics.top1).toBeCloseTo(4 / 6, 12);
    // rows true, columns predicted
    expect(r.metrics.confusion).toEqual([
      [1, 1, 0],
      [0, 1, 0],
      [1, 0, 2],
    ]);
    const pc = r.metrics.perClass as number[];
    expect(pc[0]).toBeCloseTo(0.5, 12);
    expect(pc[1]).toBe(1);
    expect(pc[2]).toBeCloseTo(2 / 3, 12);
    expect((r.details.perClass as { mean: number }).mean).toBeCloseTo((0.5 + 1 + 2 / 3) / 3, 12);
  });

  it('per-class accuracy of a class with no example is null, not 0', () => {
    const r = getMetric('perClass').compute({ n: 2, classes: 3, scores: Float32Array.from([1, 0, 0, 0, 1, 0]), labels: [0, 0] });
    expect(r.value).toEqual([0.5, null, null]);
  });

  it('top-5: the class ranked 5th counts, 6th does not; ties rank like argMax (lower class id first)', () => {
    // 7 classes; example 0: label 4 scored 5th highest; example 1: label 5 scored 6th; example 2: all equal, label 4
    // (classes 0..3 come before it: rank 5 → hit); example 3: all equal, label 5 (rank 6 → miss)
    const rows = [
      [0.9, 0.8, 0.7, 0.6, 0.5, 0.1, 0.2],
      [0.9, 0.8, 0.7, 0.6, 0.5, 0.3, 0.4],
      [1, 1, 1, 1, 1, 1, 1],
      [1, 1, 1, 1, 1, 1, 1],
    ];
    const r = getMetric('top5').compute({ n: 4, classes: 7, scores: Float32Array.from(rows.flat()), labels: [4, 5, 4, 5] });
    expect(r.value).toBe(0.5);
    // with three classes, top-5 is always right
    expect(getMetric('top5').compute(o).value).toBe(1);
  });
});

describe('mAP@0.5 (VOC all-point)', () => {
  it('a TP, an FP, a TP: AP = 0.5·1 + 0.5·(2/3)', () => {
    // after each: (r, p) = (.5, 1), (.5, .5), (1, 2/3); envelope 1 up to r=.5, 2/3 up to r=1
    const o = oneClass([box(...A), box(...B)], [det(0, 0.9, A), det(0, 0.8, NOWHERE), det(0, 0.7, B)]);
    const r = mAP50.compute(o);
    expect(r.value).toBeCloseTo(0.5 + 0.5 * (2 / 3), 12);
    expect(r.details!.pr[0].recall).toEqual([0.5, 0.5, 1]);
    expect(r.details!.pr[0].precision.map((p) => +p.toFixed(6))).toEqual([1, 0.5, 0.666667]);
    expect(r.details!.positives).toEqual([2]);
  });

  it('equal scores keep their input order (stable): FP-then-TP gives 0.5, TP-then-FP gives 1', () => {
    expect(ap0(oneClass([box(...A)], [det(0, 0.8, NOWHERE), det(0, 0.8, A)]))).toBeCloseTo(0.5, 12);
    expect(ap0(oneClass([box(...A)], [det(0, 0.8, A), det(0, 0.8, NOWHERE)]))).toBe(1);
  });

  it('ranks by score whatever the input order, and a second hit on a taken box is an FP', () => {
    // sorted: .9 on A (TP), .6 on A again (FP), .3 on B (TP) → (.5,1), (.5,.5), (1,2/3) as above
    const o = oneClass([box(...A), box(...B)], [det(0, 0.3, B), det(0, 0.9, A), det(0, 0.6, A)]);
    expect(ap0(o)).toBeCloseTo(0.5 + 0.5 * (2 / 3), 12);
  });

  it('no detections: AP 0; a class with no ground truth has no AP and is left out of the mean', () => {
    expect(ap0(oneClass([box(...A)], []))).toBe(0);
    // class 0: one perfect hit (AP 1); class 1: detections but no box anywhere (null); class 2: boxes, no detections (0)
    const o: DetectionOutputs = {
      classes: 3,
      images: [{ labels: [0, 2], boxes: [box(...A, 0), box(...B, 2)] }],
      detections: [det(0, 0.9, A, 0), det(0, 0.5, B, 1)],
    };
    const r = mAP50.compute(o);
    expect(r.details!.ap).toEqual([1, null, 0]);
    expect(r.value).toBe(0.5);
  });

  it('a match to a difficult box counts neither TP nor FP, and the box is not a positive', () => {
    // A difficult, B not: .9 on A ignored; .8 nowhere FP (r 0, p 0); .7 on B TP (r 1, p .5) → AP .5
    const dets = [det(0, 0.9, A), det(0, 0.8, NOWHERE), det(0, 0.7, B)];
    const withDifficult = mAP50.compute(oneClass([box(...A, 0, true), box(...B)], dets));
    expect(withDifficult.value).toBeCloseTo(0.5, 12);
    expect(withDifficult.details!.positives).toEqual([1]);
    expect(withDifficult.details!.pr[0].recall).toEqual([0, 1]);
    // had the first been an FP, AP would be 1/3; had A been an ordinary box, 0.5 + 0.5·(2/3)
    expect(ap0(oneClass([box(...A), box(...B)], dets))).toBeCloseTo(0.5 + 0.5 * (2 / 3), 12);
  });

  it('IoU exactly 0.5 matches (devkit: ovmax ≥ 0.5); just below does not; other images and classes do not match', () => {
    expect(ap0(oneClass([box(0, 0, 10, 20)], [det(0, 1, [0, 0, 10, 10])]))).toBe(1); // 100 / 200
    expect(ap0(oneClass([box(0, 0, 10, 21)], [det(0, 1, [0, 0, 10, 10])]))).toBe(0); // 100 / 210
    const two: DetectionOutputs = { classes: 2, images: [{ labels: [0], boxes: [box(...A, 0)] }, { labels: [1], boxes: [box(...A, 1)] }], detections: [det(1, 1, A, 0), det(0, 1, A, 1)] };
    expect(mAP50.compute(two).details!.ap).toEqual([0, 0]);
  });

  it('all-point interpolation of a known curve', () => {
    // envelope: 1 on (0, .2], .75 on (.2, .6], .5 on (.6, .8], 0 after → .2 + .3 + .1
    expect(averagePrecision([0.2, 0.2, 0.4, 0.6, 0.8], [1, 0.5, 0.66, 0.75, 0.5])).toBeCloseTo(0.2 + 0.4 * 0.75 + 0.2 * 0.5, 12);
  });
});

describe('CorLoc', () => {
  it('top-scoring box per positive image and class, mean over classes', () => {
    const o: DetectionOutputs = {
      classes: 2,
      images: [
        // class 0 hit by its top box
        { labels: [0], boxes: [box(...A, 0)] },
        // class 0: top box misses (a lower one would hit: does not count); class 1 hit
        { labels: [0, 1], boxes: [box(...A, 0), box(20, 20, 40, 40, 1)] },
        // class 1: no detection at all → miss
        { labels: [1], boxes: [box(0, 0, 8, 8, 1)] },
        // class 0: IoU 90/100 → hit
        { labels: [0], boxes: [box(5, 5, 15, 15, 0)] },
      ],
      detections: [
        det(0, 0.9, A, 0),
        det(0, 0.5, NOWHERE, 0),
        det(1, 0.9, [30, 30, 40, 40], 0),
        det(1, 0.3, A, 0),
        det(1, 0.6, [20, 20, 40, 40], 1),
        det(3, 0.4, [5, 5, 15, 14], 0),
      ],
    };
    const r = corloc.compute(o);
    // class 0: 2 of 3 images; class 1: 1 of 2
    expect(r.details!.perClass[0]).toBeCloseTo(2 / 3, 12);
    expect(r.details!.perClass[1]).toBe(0.5);
    expect(r.details!.images).toEqual([3, 2]);
    expect(r.value).toBeCloseTo((2 / 3 + 0.5) / 2, 12);
  });

  it('images without boxes of a class, and classes without positive images, are left out', () => {
    const o: DetectionOutputs = { classes: 3, images: [{ labels: [0], boxes: [box(...A, 0)] }, { labels: [1] }], detections: [det(0, 1, B, 0)] };
    const r = corloc.compute(o);
    expect(r.details!.perClass).toEqual([0, null, null]);
    expect(r.value).toBe(0);
  });
});

describe('clip accuracy', () => {
  it('averages frame scores per clip before top-1 (not a vote); a clip without frames is wrong', () => {
    // clip 0: frames favour class 0 twice (.6) and class 1 once (1.0) → mean [.4, .6, 0] → 1 = its label (a vote says 0)
    // clip 1: one frame, class 2 = its label; clip 2: no frames, label 0 → miss
    const scores = Float32Array.from([0.6, 0.4, 0, 0.6, 0.4, 0, 0, 1, 0, 0, 0, 1]);
    const r = computeMetrics('video', { classes: 3, scores, clipOf: [0, 0, 0, 1], labels: [1, 2, 0] });
    expect(r.metrics.clipTop1).toBeCloseTo(2 / 3, 12);
  });
});

describe('registry', () => {
  it('every task’s default and selection metrics exist and serve that task; every metric serves a known task', () => {
    for (const t of listTasks()) {
      for (const name of t.defaultMetrics) expect(getMetric(name, t.name).task).toBe(t.name);
      expect(selectionMetric(t.name).scalar).toBe(true);
    }
    const tasks = new Set(listTasks().map((t) => t.name));
    for (const m of listMetrics()) expect(tasks.has(m.task)).toBe(true);
    expect(listTasks().find((t) => t.name === 'classification')!.defaultMetrics).toEqual(['top1', 'top5', 'perClass', 'confusion']);
    expect(listTasks().find((t) => t.name === 'detection')!.defaultMetrics).toEqual(['mAP50', 'corloc']);
  });

  it('one-line errors for an unknown metric, a metric of another task, and a non-scalar selection metric', () => {
    expect(() => getMetric('f1')).toThrow(UserError);
    expect(() => getMetric('mAP50', 'classification')).toThrow('metric mAP50 is for detection, not classification (classification metrics: top1, top5, perClass, confusion)');
    expect(() => selectionMetric('classification', 'confusion')).toThrow(/not one number/);
    expect(scalarMetric('classification', { n: 1, classes: 2, scores: Float32Array.from([0, 1]), labels: [1] }, 'top5')).toBe(1);
  });
});
