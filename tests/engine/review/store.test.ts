import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Workspace } from '../../../src/engine/jobs/workspace';
import { ReviewStore, type NewBox } from '../../../src/engine/review/store';

const open: Workspace[] = [];
function store(dir: string) {
  const ws = new Workspace(dir);
  open.push(ws);
  return new ReviewStore(ws.db);
}
afterEach(() => {
  while (open.length) open.pop()!.close();
});

const rect = (x1: number, y1: number, x2: number, y2: number) => ({ x1, y1, x2, y2 });
const boxes: NewBox[] = [
  { imageId: 'a.png', label: 0, box: rect(0, 0, 10, 10), score: 0.9, origin: 'detector' },
  { imageId: 'a.png', label: 1, box: rect(5, 5, 20, 20), score: 0.4, origin: 'detector' },
  { imageId: 'b.png', label: 1, box: rect(1, 1, 8, 8), score: 0.7, origin: 'detector' },
];
function makeSet(s: ReviewStore, key = 'k1') {
  return s.createSet(
    {
      key,
      name: 'test',
      data: '/data',
      split: 'test',
      detections: '/dets.json',
      classNames: ['zero', 'one'],
      images: [
        { id: 'a.png', width: 32, height: 32 },
        { id: 'b.png', width: 32, height: 32 },
      ],
    },
    boxes,
  );
}

describe('review store', () => {
  it('edits bump the version, write history, and the state survives reopening', () => {
    const dir = mkdtempSync(join(tmpdir(), 'll-review-'));
    const s = store(dir);
    const set = makeSet(s);
    expect(s.findSet('k1')?.id).toBe(set.id);
    expect(s.boxes(set.id).map((b) => [b.id, b.status, b.version])).toEqual([
      ['b0', 'pending', 1],
      ['b1', 'pending', 1],
      ['b2', 'pending', 1],
    ]);
    const a = s.edit({ op: 'accept', set: set.id, box: 'b0', expectedVersion: 1 });
    expect(a.box).toMatchObject({ id: 'b0', status: 'accepted', version: 2 });
    const m = s.edit({ op: 'move', set: set.id, box: 'b0', expectedVersion: 2, rect: rect(1, 2, 11, 12) });
    expect(m.seq).toBeGreaterThan(a.seq);
    s.edit({ op: 'relabel', set: set.id, box: 'b1', expectedVersion: 1, label: 0 });
    s.edit({ op: 'reject', set: set.id, box: 'b2', expectedVersion: 1 });
    const d = s.edit({ op: 'draw', set: set.id, box: 'mine', image: 'b.png', label: 1, rect: rect(2, 2, 6, 6) });
    expect(d.box).toMatchObject({ id: 'mine', origin: 'drawn', status: 'accepted', score: null, version: 1 });
    s.edit({ op: 'delete', set: set.id, box: 'b1', expectedVersion: 2 });

    const again = store(dir);
    const after = again.boxes(set.id);
    expect(after.map((b) => b.id)).toEqual(['b0', 'b2', 'mine']);
    expect(after[0]).toMatchObject({ status: 'accepted', box: rect(1, 2, 11, 12), version: 3 });
    expect(again.boxes(set.id, { deleted: true }).find((b) => b.id === 'b1')).toMatchObject({ label: 0, deleted: true, version: 3 });
    // the detector's originals are kept apart from edits
    expect(again.originalDetections(set.id).map((b) => [b.label, b.box])).toEqual(boxes.map((b) => [b.label, b.box]));
    const h = again.history(set.id);
    expect(h.map((e) => e.op)).toEqual(['accept', 'move', 'relabel', 'reject', 'draw', 'delete']);
    expect(h[1]).toMatchObject({ box: 'b0', before: { rect: rect(0, 0, 10, 10), status: 'accepted' }, after: { rect: rect(1, 2, 11, 12) } });
    expect(h[4].before).toBeNull();
    expect(again.history(set.id, 'b0').map((e) => e.op)).toEqual(['accept', 'move']);
    expect(again.history(set.id, undefined, 2).map((e) => e.op)).toEqual(['draw', 'delete']);
  });

  it('two windows: the second edit of the same version is refused and nothing is written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'll-review-'));
    const w1 = store(dir);
    const w2 = store(dir);
    const set = makeSet(w1);
    expect(w2.boxes(set.id)[0].version).toBe(1);
    w1.edit({ op: 'accept', set: set.id, box: 'b0', expectedVersion: 1 });
    expect(() => w2.edit({ op: 'reject', set: set.id, box: 'b0', expectedVersion: 1 })).toThrow(
      'box b0 was changed elsewhere (you saw version 1, it is now 2): reload to see it',
    );
    expect(w1.boxes(set.id)[0]).toMatchObject({ status: 'accepted', version: 2 });
    expect(w1.history(set.id)).toHaveLength(1);
    // after reloading it can
    w2.edit({ op: 'reject', set: set.id, box: 'b0', expectedVersion: 2 });
    expect(w1.boxes(set.id)[0]).toMatchObject({ status: 'rejected', version: 3 });
  });

  it('restore undoes and redoes any edit under the same version check, and revives deleted boxes', () => {
    const s = store(mkdtempSync(join(tmpdir(), 'll-review-')));
    const set = makeSet(s);
    const moved = s.edit({ op: 'move', set: set.id, box: 'b1', expectedVersion: 1, rect: rect(6, 6, 19, 19) });
    const [entry] = s.history(set.id, 'b1');
    const undo = s.edit({ op: 'restore', set: set.id, box: 'b1', expectedVersion: moved.box.version, state: entry.before as never });
    expect(undo.box).toMatchObject({ box: rect(5, 5, 20, 20), version: 3 });
    const redo = s.edit({ op: 'restore', set: set.id, box: 'b1', expectedVersion: 3, state: entry.after as never });
    expect(redo.box.box).toEqual(rect(6, 6, 19, 19));
    expect(() => s.edit({ op: 'restore', set: set.id, box: 'b1', expectedVersion: 3, state: entry.before as never })).toThrow(/changed elsewhere/);

    const del = s.edit({ op: 'delete', set: set.id, box: 'b2', expectedVersion: 1 });
    expect(del.box.deleted).toBe(true);
    expect(() => s.edit({ op: 'accept', set: set.id, box: 'b2', expectedVersion: 2 })).toThrow('box b2 is deleted: restore it first');
    const back = s.edit({ op: 'restore', set: set.id, box: 'b2', expectedVersion: 2, state: { label: 1, rect: rect(1, 1, 8, 8), status: 'pending', deleted: false } });
    expect(back.box.deleted).toBeUndefined();
    expect(s.boxes(set.id).map((b) => b.id)).toEqual(['b0', 'b1', 'b2']);
    // undo of a draw is a restore to deleted
    const d = s.edit({ op: 'draw', set: set.id, box: 'x', image: 'a.png', label: 0, rect: rect(0, 0, 4, 4) });
    s.edit({ op: 'restore', set: set.id, box: 'x', expectedVersion: d.box.version, state: { label: 0, rect: rect(0, 0, 4, 4), status: 'accepted', deleted: true } });
    expect(s.boxes(set.id).map((b) => b.id)).toEqual(['b0', 'b1', 'b2']);
  });

  it('bad edits: one-line errors naming the box, label or image', () => {
    const s = store(mkdtempSync(join(tmpdir(), 'll-review-')));
    const set = makeSet(s);
    expect(() => s.edit({ op: 'accept', set: set.id, box: 'nope', expectedVersion: 1 })).toThrow(`no box "nope" in review set ${set.id}`);
    expect(() => s.edit({ op: 'accept', set: 'rs-none', box: 'b0', expectedVersion: 1 })).toThrow('no review set "rs-none" in this workspace');
    expect(() => s.edit({ op: 'relabel', set: set.id, box: 'b0', expectedVersion: 1, label: 2 })).toThrow(/label 2 is not a class/);
    expect(() => s.edit({ op: 'draw', set: set.id, image: 'c.png', label: 0, rect: rect(0, 0, 1, 1) })).toThrow(/image "c.png" is not in review set/);
    s.edit({ op: 'draw', set: set.id, box: 'dup', image: 'a.png', label: 0, rect: rect(0, 0, 1, 1) });
    expect(() => s.edit({ op: 'draw', set: set.id, box: 'dup', image: 'a.png', label: 0, rect: rect(0, 0, 1, 1) })).toThrow(/box dup already exists/);
    expect(s.history(set.id)).toHaveLength(1);
    expect(s.boxes(set.id).every((b) => b.version === 1)).toBe(true);
  });
});
