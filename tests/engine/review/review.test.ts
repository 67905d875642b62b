import { copyFileSync, mkdtempSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reviewHandlers } from '../../../src/engine/analyses/review/handlers';
import { Workspace } from '../../../src/engine/jobs/workspace';
import { generateClutter } from '../../../src/engine/data/detection/clutter';
import { writeDetectionFolder } from '../../../src/engine/data/detection/folder';
import { readCocoInstances } from '../../../src/engine/data/detection/coco';
import { readVocFolder } from '../../../src/engine/data/detection/voc';
import type { DetectionImage } from '../../../src/engine/data/types';
import { validateRequest, type Method, type Request, type Response } from '../../../src/shared/api';

let ws: Workspace;
let call: <M extends Method>(m: M, r: Request<M>) => Promise<Response<M>>;
let coco: string;
let voc: string;
let test: DetectionImage[];

const tmp = (p: string) => mkdtempSync(join(tmpdir(), p));
const bbox = (b: { x1: number; y1: number; x2: number; y2: number }) => [b.x1, b.y1, b.x2 - b.x1, b.y2 - b.y1];

beforeAll(async () => {
  const data = await generateClutter({ source: 'mnist', classes: 3, images: 12, testImages: 8, size: 48, difficulty: 0.5, maxObjects: 2, seed: 3 });
  coco = tmp('ll-review-coco-');
  voc = tmp('ll-review-voc-');
  await writeDetectionFolder(coco, data, 'coco');
  await writeDetectionFolder(voc, data, 'voc');
  test = data.test;
  ws = new Workspace(tmp('ll-review-ws-'));
  const h = reviewHandlers({ workspace: ws, runner: undefined as never });
  call = async (m, r) => {
    const p = validateRequest(m, r);
    return (h as Record<string, (x: unknown) => Promise<unknown>>)[p.method](p.req) as never;
  };
}, 120_000);
afterAll(() => ws?.close());

/** COCO results: every ground-truth box of the test part (score 0.9), except image 0's first box gets the next class. */
function resultsFile(edit?: (rows: Record<string, unknown>[]) => void): string {
  const rows = test.flatMap((im, i) =>
    im.boxes!.map((b, j) => ({ image_id: i + 1, category_id: (i === 0 && j === 0 ? (b.label + 1) % 3 : b.label) + 1, bbox: bbox(b), score: 0.9 - 0.01 * j })),
  );
  edit?.(rows);
  const f = join(tmp('ll-review-dets-'), 'results.json');
  writeFileSync(f, JSON.stringify(rows));
  return f;
}

describe('review over a detection folder', () => {
  it('opens detections, reopens the same set with its edits, scores detections vs the reviewed state', async () => {
    const dets = resultsFile();
    const set = await call('review.open', { data: coco, detections: dets });
    expect(set.images.map((i) => i.id)).toEqual(test.map((t) => t.id));
    expect(set.classNames).toEqual(['0', '1', '2']);
    const items = await call('review.items', { set: set.id });
    const nGt = test.reduce((s, im) => s + im.boxes!.length, 0);
    expect(items.total).toBe(nGt);
    expect(items.groundTruth).toHaveLength(nGt);
    expect(items.reviewed).toBe(0);

    const before = await call('review.metrics', { set: set.id });
    const wrong = items.boxes[0];
    const truth = test[0].boxes![0].label;
    expect(wrong.label).toBe((truth + 1) % 3);
    // the mislabelled box sits on its object: confusion truth → wrong class, every other box on the diagonal
    expect(before.confusion[truth][wrong.label]).toBe(1);
    const offDiagonal = before.confusion.flatMap((row, g) => row.filter((_, p) => p !== g)).reduce((a, b) => a + b, 0);
    expect(offDiagonal).toBe(1);
    expect(before.confusion.reduce((s, row, g) => s + row[g], 0)).toBe(nGt - 1);
    expect(before.mAP50).toBeLessThan(1);

    const r = await call('review.edit', { op: 'relabel', set: set.id, box: wrong.id, expectedVersion: 1, label: truth });
    expect(r.box.version).toBe(2);
    await call('review.edit', { op: 'accept', set: set.id, box: wrong.id, expectedVersion: 2 });
    const again = await call('review.open', { data: coco, detections: dets });
    expect(again.id).toBe(set.id);
    expect((await call('review.items', { set: set.id })).reviewed).toBe(1);
    const reviewed = await call('review.metrics', { set: set.id, which: 'reviewed' });
    expect(reviewed.mAP50).toBeCloseTo(1, 10);
    expect(reviewed.perClass.every((c) => c.ap === null || c.ap === 1)).toBe(true);
    reviewed.confusion.forEach((row, g) => row.forEach((v, p) => g !== p && expect(v).toBe(0)));
    // the original detections are scored as the detector gave them, whatever the review did
    expect((await call('review.metrics', { set: set.id, which: 'detections' })).mAP50).toBe(before.mAP50);
    expect((await call('review.history', { set: set.id })).map((h) => h.op)).toEqual(['relabel', 'accept']);
    // detections written again to the same path are new detections: a new set
    writeFileSync(dets, JSON.stringify(JSON.parse(readFileSync(dets, 'utf8')).slice(1)));
    const fresh = await call('review.open', { data: coco, detections: dets });
    expect(fresh.id).not.toBe(set.id);
    expect((await call('review.items', { set: fresh.id })).total).toBe(nGt - 1);
    expect((await call('review.sets', {})).map((s) => s.id)).toContain(set.id);
  });

  it('a wsod run folder opens through its detections-<split>.json', async () => {
    const run = tmp('ll-review-run-');
    copyFileSync(resultsFile(), join(run, 'detections-test.json'));
    const set = await call('review.open', { data: coco, detections: run });
    expect(set.detections).toBe(join(run, 'detections-test.json'));
    expect((await call('review.items', { set: set.id })).total).toBe(test.reduce((s, im) => s + im.boxes!.length, 0));
    await expect(call('review.open', { data: coco, detections: run, split: 'val' })).rejects.toThrow(`${run}: has no detections-val.json`);
  });

  it('compare: marks same / moved / rescored / gone / new against the compressed detector', async () => {
    const dets = resultsFile();
    const cmp = resultsFile((rows) => {
      const [a, b, c] = rows;
      const [x, y, w, h] = a.bbox as number[];
      a.bbox = [x + Math.round(w * 0.2), y, w, h]; // IoU ≈ 0.67: moved
      b.score = 0.5; // rescored
      rows.splice(2, 1); // c gone
      rows.push({ ...c, bbox: [0, 0, 5, 5], score: 0.3 }); // new
    });
    const set = await call('review.open', { data: coco, detections: dets, compare: cmp });
    const { boxes } = await call('review.items', { set: set.id });
    expect(boxes.slice(0, 4).map((b) => b.change)).toEqual(['moved', 'rescored', 'gone', 'same']);
    expect(boxes[1].compareScore).toBe(0.5);
    expect(boxes.at(-1)).toMatchObject({ change: 'new', box: { x1: 0, y1: 0, x2: 5, y2: 5 } });
    expect(boxes.filter((b) => b.change === 'new')).toHaveLength(1);
    const m = await call('review.metrics', { set: set.id, which: 'compare' });
    expect(m.mAP50).toBeLessThan((await call('review.metrics', { set: set.id, which: 'detections' })).mAP50 + 1e-9);
  });

  it('exports COCO and VOC that re-import to identical annotations', async () => {
    for (const [format, data] of [['coco', coco], ['voc', voc]] as const) {
      const dets = resultsFile();
      const set = await call('review.open', { data, detections: dets });
      const items = await call('review.items', { set: set.id });
      await call('review.edit', { op: 'reject', set: set.id, box: items.boxes[1].id, expectedVersion: 1 });
      await call('review.edit', { op: 'move', set: set.id, box: items.boxes[2].id, expectedVersion: 1, rect: { x1: 1, y1: 2, x2: 20, y2: 21 } });
      await call('review.edit', { op: 'draw', set: set.id, image: test[3].id, label: 2, rect: { x1: 3, y1: 4, x2: 13, y2: 14 } });
      const out = join(tmp('ll-review-out-'), format === 'coco' ? 'a.json' : 'a');
      const ex = await call('review.export', { set: set.id, format, out });
      expect(ex).toEqual({ path: out, images: test.length, boxes: items.total });
      const kept = (await call('review.items', { set: set.id })).boxes.filter((b) => b.status !== 'rejected');
      // re-import: the kept boxes, exactly
      const imp = await call('annotations.import', { data, format, file: out });
      expect(imp).toMatchObject({ file: out, images: test.length, boxes: kept.length });
      const back = (await call('review.items', { set: imp.set })).boxes;
      const key = (b: { imageId: string; label: number; box: object }) => JSON.stringify([b.imageId, b.label, b.box]);
      expect(back.map(key).sort()).toEqual(kept.map(key).sort());
      expect(back.every((b) => b.origin === 'imported' && b.status === 'accepted')).toBe(true);
      // and exporting the imported set writes the same annotations again
      const out2 = join(tmp('ll-review-out-'), format === 'coco' ? 'b.json' : 'b');
      await call('annotations.export', { data, format, file: out2, set: imp.set });
      if (format === 'coco') expect(readFileSync(out2, 'utf8')).toBe(readFileSync(out, 'utf8'));
      else {
        expect(readdirSync(join(out2, 'Annotations'))).toEqual(readdirSync(join(out, 'Annotations')));
        expect(await readVocFolder(out2)).toEqual(await readVocFolder(out));
      }
      // the same file imported again reopens its set
      expect((await call('annotations.import', { data, format, file: out })).set).toBe(imp.set);
    }
  });

  it("annotations export writes the dataset's own annotations; import of that file gives them back identically", async () => {
    for (const [format, data] of [['coco', coco], ['voc', voc]] as const) {
      const out = join(tmp('ll-ann-'), format === 'coco' ? 'test.json' : 'test');
      const ex = await call('annotations.export', { data, format, file: out });
      expect(ex.images).toBe(test.length);
      expect(ex.boxes).toBe(test.reduce((s, im) => s + im.boxes!.length, 0));
      const read = format === 'coco' ? await readCocoInstances(out) : await readVocFolder(out);
      expect(read.images.map((im) => [im.id, im.width, im.height, im.boxes])).toEqual(test.map((im) => [im.id, im.width, im.height, im.boxes]));
      const imp = await call('annotations.import', { data, format, file: out });
      const again = join(tmp('ll-ann-'), format === 'coco' ? 'again.json' : 'again');
      await call('annotations.export', { data, format, file: again, set: imp.set });
      const reread = format === 'coco' ? await readCocoInstances(again) : await readVocFolder(again);
      expect(reread).toEqual(read);
    }
  });

  it('review.image: the dataset image as a PNG data URL', async () => {
    const r = await call('review.image', { data: coco, image: test[1].id });
    expect(r).toMatchObject({ width: 48, height: 48 });
    const png = PNG.sync.read(Buffer.from(r.dataUrl.replace(/^data:image\/png;base64,/, ''), 'base64'));
    expect(png.width).toBe(48);
    // gray: R of each RGBA pixel is the stored byte
    expect(Array.from({ length: 48 * 48 }, (_, i) => png.data[i * 4])).toEqual(Array.from(test[1].pixels!));
    await expect(call('review.image', { data: coco, image: 'nope' })).rejects.toThrow(`no image "nope" in ${coco}`);
  });

  it('bad files reach the caller as one line naming the file', async () => {
    const f = join(tmp('ll-bad-'), 'bad.json');
    writeFileSync(f, '{"not": "an array"');
    await expect(call('review.open', { data: coco, detections: f })).rejects.toThrow(new RegExp(`^${f}: is not valid JSON`));
    writeFileSync(f, JSON.stringify([{ image_id: 999, category_id: 1, bbox: [0, 0, 3, 3], score: 1 }]));
    await expect(call('review.open', { data: coco, detections: f })).rejects.toThrow(`${f}: result #0 refers to unknown image id 999`);
    await expect(call('annotations.import', { data: coco, format: 'voc', file: f })).rejects.toThrow(`${f}: is a file; a VOC dataset is a folder`);
    await expect(call('review.open', { data: coco, detections: coco })).rejects.toThrow(`${coco}: has no detections-test.json`);
  });
});
