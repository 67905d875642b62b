import { describe, expect, it } from 'vitest';
import type { GroundTruthBox, ReviewBox } from '@shared/api-review';
import { iou, precompute, TP, FP } from '@renderer/views/review/match';
import { applyFilter, defaultFilter, pageOf } from '@renderer/views/review/filter';
import { commitRedo, commitUndo, emptyStack, peekRedo, peekUndo, record, stateOf } from '@renderer/views/review/undo';
import { actionFor, shortcuts } from '@renderer/views/review/keys';
import { clampRect, moveRect, rectFromDrag, resizeRect } from '@renderer/components/image-boxes';
import { confusionCells, prSets } from '@renderer/views/review/charts';

const R = (x1: number, y1: number, x2: number, y2: number) => ({ x1, y1, x2, y2 });
let n = 0;
function box(imageId: string, label: number, rect: ReturnType<typeof R>, score: number | null, extra: Partial<ReviewBox> = {}): ReviewBox {
  return { id: `b${++n}`, imageId, label, box: rect, score, status: 'pending', origin: score === null ? 'drawn' : 'detector', version: 1, ...extra };
}
const gt = (imageId: string, label: number, rect: ReturnType<typeof R>): GroundTruthBox => ({ imageId, label, box: rect });

describe('iou', () => {
  it('is 1 for the same box, 0 apart, and the overlap ratio otherwise', () => {
    expect(iou(R(0, 0, 10, 10), R(0, 0, 10, 10))).toBe(1);
    expect(iou(R(0, 0, 10, 10), R(10, 0, 20, 10))).toBe(0);
    expect(iou(R(0, 0, 10, 10), R(5, 0, 15, 10))).toBeCloseTo(50 / 150);
  });
});

describe('precompute: TP/FP/FN matching', () => {
  const images = ['a', 'b', 'c'];
  const ground = [gt('a', 0, R(0, 0, 10, 10)), gt('a', 1, R(20, 20, 30, 30)), gt('b', 0, R(0, 0, 10, 10))];
  const boxes = [
    box('a', 0, R(0, 0, 10, 9), 0.9), // TP (IoU 0.9)
    box('a', 0, R(1, 0, 10, 10), 0.8), // duplicate of the same object: FP (the GT is taken)
    box('a', 0, R(20, 20, 30, 30), 0.7), // right place, wrong class: FP
    box('b', 0, R(0, 0, 10, 10), 0.3, { status: 'rejected' }), // rejected: takes no ground truth
    box('b', 0, R(0, 0, 9, 10), 0.2), // so this one matches
    box('c', 1, R(0, 0, 5, 5), null), // drawn, no ground truth on c: FP, score +∞
  ];
  const p = precompute(images, boxes, ground);

  it('matches greedily by score, one ground-truth box per detection, same class, IoU ≥ 0.5', () => {
    expect(Array.from(p.match)).toEqual([TP, FP, FP, TP, TP, FP]);
    expect(p.bestIoU[0]).toBeCloseTo(0.9);
    expect(p.bestIoU[2]).toBe(0); // no class-0 ground truth there
    expect(p.score[5]).toBe(Infinity);
  });
  it('remembers which score matched each ground-truth box (FN at any threshold is one comparison)', () => {
    expect(Array.from(p.gtMatchScore)).toEqual([0.9, -Infinity, 0.2]);
  });
  it('difficult ground truth is never missed, and a box on it is neither TP nor FP', () => {
    const q = precompute(['a'], [box('a', 0, R(0, 0, 10, 10), 0.9)], [{ ...gt('a', 0, R(0, 0, 10, 10)), difficult: true }, { ...gt('a', 1, R(20, 20, 30, 30)), difficult: true }]);
    expect(Array.from(q.match)).toEqual([0]);
    expect(applyFilter(q, { ...defaultFilter(), minScore: 0.95 }).fnCount).toBe(0);
  });
  it('without ground truth nothing is judged', () => {
    const q = precompute(images, boxes, []);
    expect(q.hasGroundTruth).toBe(false);
    expect(Array.from(q.match)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('filters by score, class, status, match and IoU; FN follows the threshold', () => {
    const f = defaultFilter();
    let r = applyFilter(p, { ...f, minScore: 0 });
    expect(r.keptCount).toBe(6);
    expect([r.tp, r.fp, r.fnCount]).toEqual([3, 3, 1]);
    expect(r.images).toEqual([0, 1, 2]);
    // above 0.25 the only match of b's ground truth is gone: it becomes a miss
    r = applyFilter(p, { ...f, minScore: 0.25 });
    expect(Array.from(r.kept)).toEqual([1, 1, 1, 1, 0, 1]);
    expect(Array.from(r.fn)).toEqual([0, 1, 1]);
    expect(Array.from(r.fnPerImage)).toEqual([1, 1, 0]);
    r = applyFilter(p, { ...f, minScore: 0, classes: [1] });
    expect(Array.from(r.kept)).toEqual([0, 0, 0, 0, 0, 1]);
    expect(Array.from(r.fn)).toEqual([0, 1, 0]);
    r = applyFilter(p, { ...f, minScore: 0, statuses: ['rejected'] });
    expect(r.keptCount).toBe(1);
    r = applyFilter(p, { ...f, minScore: 0, matches: ['fp'] });
    expect(Array.from(r.kept)).toEqual([0, 1, 1, 0, 0, 1]);
    expect(r.fnCount).toBe(0);
    // only misses: no box passes, the images with misses are listed
    r = applyFilter(p, { ...f, minScore: 0.5, matches: ['fn'] });
    expect(r.keptCount).toBe(0);
    expect(r.images).toEqual([0, 1]);
    r = applyFilter(p, { ...f, minScore: 0, minIoU: 0.5 });
    expect(Array.from(r.kept)).toEqual([1, 1, 0, 1, 1, 0]);
  });
  it('"changed after compression" keeps boxes that differ from the compressed detector', () => {
    const q = precompute(['a'], [box('a', 0, R(0, 0, 4, 4), 0.5, { change: 'same' }), box('a', 0, R(0, 0, 4, 4), 0.5, { change: 'moved' }), box('a', 0, R(0, 0, 4, 4), 0.5)], []);
    expect(Array.from(applyFilter(q, { ...defaultFilter(), changedOnly: true }).kept)).toEqual([0, 1, 0]);
  });
  it('pages the grid', () => {
    expect(pageOf([1, 2, 3, 4, 5], 1, 2)).toEqual({ items: [3, 4], page: 1, pages: 3 });
    expect(pageOf([1, 2, 3], 9, 2)).toEqual({ items: [3], page: 1, pages: 2 });
    expect(pageOf([], 0, 2)).toEqual({ items: [], page: 0, pages: 1 });
  });
});

describe('undo/redo stack', () => {
  it('undo gives the before state, redo the after state; a new edit clears redo', () => {
    const s = emptyStack();
    const a = stateOf({ label: 0, box: R(0, 0, 2, 2), status: 'pending' });
    const b = { ...a, status: 'accepted' as const };
    const c = { ...b, rect: R(1, 0, 3, 2) };
    record(s, { box: 'x', before: a, after: b });
    record(s, { box: 'x', before: b, after: c });
    expect(peekUndo(s)).toEqual({ box: 'x', state: b });
    commitUndo(s);
    expect(peekUndo(s)).toEqual({ box: 'x', state: a });
    expect(peekRedo(s)).toEqual({ box: 'x', state: c });
    commitRedo(s);
    expect(peekRedo(s)).toBeNull();
    commitUndo(s);
    record(s, { box: 'y', before: a, after: { ...a, deleted: true } });
    expect(peekRedo(s)).toBeNull();
    expect(s.done.map((e) => e.box)).toEqual(['x', 'y']);
  });
});

describe('keyboard map', () => {
  it('maps the documented keys', () => {
    expect(actionFor({ key: 'a' })).toEqual({ type: 'accept' });
    expect(actionFor({ key: 'R' })).toEqual({ type: 'reject' });
    expect(actionFor({ key: '3' })).toEqual({ type: 'relabel', label: 3 });
    expect(actionFor({ key: 'ArrowLeft' })).toEqual({ type: 'move', dx: -1, dy: 0 });
    expect(actionFor({ key: 'ArrowDown', altKey: true })).toEqual({ type: 'move', dx: 0, dy: 10 });
    expect(actionFor({ key: 'ArrowRight', shiftKey: true })).toEqual({ type: 'resize', dw: 1, dh: 0 });
    expect(actionFor({ key: 'n' })).toEqual({ type: 'nextBox' });
    expect(actionFor({ key: 'p' })).toEqual({ type: 'prevBox' });
    expect(actionFor({ key: 'z', ctrlKey: true })).toEqual({ type: 'undo' });
    expect(actionFor({ key: 'Z', ctrlKey: true, shiftKey: true })).toEqual({ type: 'redo' });
    expect(actionFor({ key: 'y', metaKey: true })).toEqual({ type: 'redo' });
    expect(actionFor({ key: 'd' })).toEqual({ type: 'draw' });
    expect(actionFor({ key: 'Delete' })).toEqual({ type: 'delete' });
    // a modifier turns a letter into something else (the browser's own shortcut)
    expect(actionFor({ key: 'a', ctrlKey: true })).toBeNull();
    expect(actionFor({ key: 'x' })).toBeNull();
  });
  it('documents every key it maps', () => {
    const doc = shortcuts.map((s) => s.keys).join(' ');
    for (const k of ['A', 'R', '0–9', 'N / P', 'Ctrl+Z', 'Ctrl+Shift+Z', 'D', 'Shift + arrows', 'Delete']) expect(doc).toContain(k);
  });
});

describe('box geometry', () => {
  it('moves inside the image and keeps the size', () => {
    expect(moveRect(R(2, 2, 6, 6), -5, 1, 10, 10)).toEqual(R(0, 3, 4, 7));
    expect(moveRect(R(2, 2, 6, 6), 10, 0, 10, 10)).toEqual(R(6, 2, 10, 6));
    expect(clampRect(R(-2, -2, 20, 3), 10, 10)).toEqual(R(0, 0, 10, 5));
  });
  it('resizes from a corner, the opposite corner fixed, never under 1 px or outside', () => {
    expect(resizeRect(R(2, 2, 6, 6), 'se', 2, 1, 10, 10)).toEqual(R(2, 2, 8, 7));
    expect(resizeRect(R(2, 2, 6, 6), 'nw', 1, 1, 10, 10)).toEqual(R(3, 3, 6, 6));
    expect(resizeRect(R(2, 2, 6, 6), 'nw', 9, -9, 10, 10)).toEqual(R(5, 0, 6, 6));
    expect(resizeRect(R(2, 2, 6, 6), 'ne', 99, 0, 10, 10)).toEqual(R(2, 2, 10, 6));
  });
  it('a drag spans a box in either direction; a click is not a box', () => {
    expect(rectFromDrag({ x: 8.2, y: 1 }, { x: 2, y: 7.6 }, 10, 10)).toEqual(R(2, 1, 8, 8));
    expect(rectFromDrag({ x: 3, y: 3 }, { x: 3.5, y: 3.5 }, 10, 10)).toBeNull();
  });
});

describe('review chart inputs', () => {
  const m = {
    mAP50: 0.5,
    perClass: [
      { name: 'zero', ap: 0.75, recall: [0.5, 1], precision: [1, 0.5] },
      { name: 'one', ap: null, recall: [], precision: [] },
    ],
    confusion: [
      [3, 1, 2],
      [0, 0, 0],
      [4, 0, 0],
    ],
  };
  it('one PR line per class with ground truth; the class filter narrows it', () => {
    const s = prSets(m);
    expect(s).toHaveLength(1);
    expect(s[0]).toMatchObject({ name: 'zero', line: true, points: [{ x: 0.5, y: 1 }, { x: 1, y: 0.5 }] });
    expect(prSets(m, [1])).toEqual([]);
  });
  it('confusion rows and columns end in background; the diagonal can be hidden', () => {
    const c = confusionCells(m, ['zero', 'one'], true);
    expect(c.cols).toEqual(['zero', 'one', 'bg']);
    expect(c.rows).toEqual(['zero', 'one', 'background']);
    expect(c.values[0]).toEqual([null, 1, 2]);
    expect(c.values[2]).toEqual([4, 0, null]);
    expect(confusionCells(m, ['zero', 'one'], false).values[0][0]).toBe(3);
  });
});
