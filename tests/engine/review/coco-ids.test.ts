// A user's COCO dataset names images and categories by its own ids (not 1..n): a results file written by any
// detector against that dataset must land on the right images and classes in review.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reviewHandlers } from '../../../src/engine/analyses/review/handlers';
import { Workspace } from '../../../src/engine/jobs/workspace';
import { generateClutter } from '../../../src/engine/data/detection/clutter';
import { writeDetectionFolder } from '../../../src/engine/data/detection/folder';
import { validateRequest, type Method, type Request, type Response } from '../../../src/shared/api';
import type { DetectionImage } from '../../../src/engine/data/types';

let ws: Workspace;
let call: <M extends Method>(m: M, r: Request<M>) => Promise<Response<M>>;
let dir: string;
let test: DetectionImage[];
const tmp = (p: string) => mkdtempSync(join(tmpdir(), p));
const IMAGE_ID = (i: number) => 5000 + 37 * i; // the user's own, sparse image ids
const CAT_IDS = [11, 3, 90]; // and category ids in the file's own order

beforeAll(async () => {
  const data = await generateClutter({ source: 'mnist', classes: 3, images: 10, testImages: 6, size: 48, difficulty: 0.5, maxObjects: 2, seed: 5 });
  test = data.test;
  dir = tmp('ll-coco-ids-');
  await writeDetectionFolder(dir, data, 'coco');
  // rewrite both instances files as a user's export would be: other image ids and category ids
  for (const part of ['train', 'test']) {
    const f = join(dir, 'annotations', `instances_${part}.json`);
    const j = JSON.parse(readFileSync(f, 'utf8'));
    const newImageId = new Map<number, number>(j.images.map((im: { id: number }, i: number) => [im.id, IMAGE_ID(i)]));
    const newCat = new Map<number, number>(j.categories.map((c: { id: number }, i: number) => [c.id, CAT_IDS[i]]));
    j.images = j.images.map((im: { id: number }) => ({ ...im, id: newImageId.get(im.id) }));
    j.annotations = j.annotations.map((a: { image_id: number; category_id: number }) => ({ ...a, image_id: newImageId.get(a.image_id), category_id: newCat.get(a.category_id) }));
    j.categories = j.categories.map((c: { id: number }) => ({ ...c, id: newCat.get(c.id) }));
    writeFileSync(f, JSON.stringify(j));
  }
  ws = new Workspace(tmp('ll-coco-ids-ws-'));
  const h = reviewHandlers({ workspace: ws, runner: undefined as never });
  call = async (m, r) => {
    const p = validateRequest(m, r);
    return (h as Record<string, (x: unknown) => Promise<unknown>>)[p.method](p.req) as never;
  };
}, 120_000);
afterAll(() => ws?.close());

describe('a COCO dataset with its own image and category ids', () => {
  it('matches a results file that uses those ids to the right images and classes', async () => {
    const rows = test.flatMap((im, i) => im.boxes!.map((b) => ({ image_id: IMAGE_ID(i), category_id: CAT_IDS[b.label], bbox: [b.x1, b.y1, b.x2 - b.x1, b.y2 - b.y1], score: 0.8 })));
    const f = join(tmp('ll-coco-ids-dets-'), 'results.json');
    mkdirSync(join(f, '..'), { recursive: true });
    writeFileSync(f, JSON.stringify(rows));
    const set = await call('review.open', { data: dir, detections: f });
    const items = await call('review.items', { set: set.id });
    expect(items.boxes).toHaveLength(rows.length);
    // every detection is a ground-truth box of its own image, under its own class: mAP 1
    for (const b of items.boxes) {
      const im = test.find((t) => t.id === b.imageId)!;
      expect(im.boxes!.some((g) => g.label === b.label && g.x1 === b.box.x1 && g.y2 === b.box.y2)).toBe(true);
    }
    const m = await call('review.metrics', { set: set.id });
    expect(m.mAP50).toBeCloseTo(1, 6);
  });
});
