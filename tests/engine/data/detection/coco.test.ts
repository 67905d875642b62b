import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DetectionAnnotations } from '../../../../src/engine/data/detection/annotations';
import { readCocoInstances, readCocoResults, writeCocoInstances, writeCocoResults } from '../../../../src/engine/data/detection/coco';
import type { Detection } from '../../../../src/shared/api-wsod';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'll-coco-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// a user's file: arbitrary category ids (not in id order), an image without boxes, a crowd box, float coordinates
const userFile = {
  images: [
    { id: 42, file_name: 'a.jpg', width: 64, height: 48, difficulty: 0.25 },
    { id: 7, file_name: 'sub/b.png', width: 32, height: 32 },
    { id: 9, file_name: 'c.png', width: 20, height: 10 },
  ],
  annotations: [
    { id: 1, image_id: 42, category_id: 90, bbox: [1, 2, 10, 20], area: 200, iscrowd: 0 },
    { id: 2, image_id: 42, category_id: 3, bbox: [0.5, 4.25, 7.5, 3], area: 22.5, iscrowd: 1 },
    { id: 3, image_id: 7, category_id: 90, bbox: [5, 5, 1, 1], area: 1, iscrowd: 0 },
  ],
  categories: [
    { id: 90, name: 'dog' },
    { id: 3, name: 'cat' },
  ],
};

describe('COCO instances', () => {
  it('maps arbitrary category ids to 0..C-1 in category order and keeps them, and the per-image difficulty', async () => {
    const file = join(dir, 'user.json');
    await writeFile(file, JSON.stringify(userFile));
    const ann = await readCocoInstances(file);
    expect(ann.classNames).toEqual(['dog', 'cat']);
    expect(ann.categoryIds).toEqual([90, 3]);
    expect(ann.images.map((im) => im.id)).toEqual(['a', 'sub/b', 'c']);
    expect(ann.images[0]).toEqual({
      id: 'a',
      fileName: 'a.jpg',
      width: 64,
      height: 48,
      difficulty: 0.25,
      cocoId: 42,
      labels: [0, 1],
      boxes: [
        { x1: 1, y1: 2, x2: 11, y2: 22, label: 0 },
        { x1: 0.5, y1: 4.25, x2: 8, y2: 7.25, label: 1, difficult: true },
      ],
    });
    expect(ann.images[2].boxes).toEqual([]);
    expect(ann.images[2].labels).toEqual([]);
  });

  it('round-trips exactly: write then read gives identical objects, and the written JSON is the same again', async () => {
    const file = join(dir, 'user2.json');
    await writeFile(file, JSON.stringify(userFile));
    const first = await readCocoInstances(file);
    const out1 = join(dir, 'out1.json');
    await writeCocoInstances(out1, first);
    const second = await readCocoInstances(out1);
    expect(second).toEqual(first);
    const out2 = join(dir, 'out2.json');
    await writeCocoInstances(out2, second);
    expect(await readFile(out2, 'utf8')).toBe(await readFile(out1, 'utf8'));
    // the user's bboxes come back as they were
    const written = JSON.parse(await readFile(out1, 'utf8'));
    expect(written.annotations.map((a: { bbox: number[] }) => a.bbox)).toEqual(userFile.annotations.map((a) => a.bbox));
    expect(written.categories).toEqual(userFile.categories);
  });

  it('numbers images 1..N and categories 1..C when the annotations carry no ids', async () => {
    const ann: DetectionAnnotations = {
      classNames: ['x', 'y'],
      categoryIds: [],
      images: [{ id: 'train_000000', fileName: 'train_000000.png', width: 96, height: 96, labels: [1], boxes: [{ x1: 3, y1: 4, x2: 30, y2: 41, label: 1 }], difficulty: 0.5 }],
    };
    const file = join(dir, 'ours.json');
    await writeCocoInstances(file, ann);
    const back = await readCocoInstances(file);
    expect(back.categoryIds).toEqual([1, 2]);
    expect(back.images).toEqual([{ ...ann.images[0], cocoId: 1 }]);
  });
});

describe('COCO results', () => {
  it('round-trips detections exactly through image and category ids, numeric or string image ids', async () => {
    const file = join(dir, 'user3.json');
    await writeFile(file, JSON.stringify(userFile));
    const ann = await readCocoInstances(file);
    const dets: Detection[] = [
      { imageId: 'a', label: 1, score: 0.93, box: { x1: 0.5, y1: 1, x2: 10.25, y2: 12 } },
      { imageId: 'sub/b', label: 0, score: 0.125, box: { x1: 2, y1: 3, x2: 30, y2: 31 } },
      { imageId: 'c', label: 0, score: 1e-3, box: { x1: 0, y1: 0, x2: 20, y2: 10 } },
    ];
    const out = join(dir, 'results.json');
    await writeCocoResults(out, dets, ann);
    const raw = JSON.parse(await readFile(out, 'utf8'));
    expect(raw[0]).toEqual({ image_id: 42, category_id: 3, bbox: [0.5, 1, 9.75, 11], score: 0.93 });
    expect(await readCocoResults(out, ann)).toEqual(dets);

    const strings = join(dir, 'results-strings.json');
    await writeFile(strings, JSON.stringify([{ image_id: '42', category_id: 90, bbox: [1, 1, 2, 2], score: 0.5 }, { image_id: 'sub/b', category_id: 3, bbox: [1, 1, 2, 2], score: 0.4 }]));
    const back = await readCocoResults(strings, ann);
    expect(back.map((d) => [d.imageId, d.label])).toEqual([
      ['a', 0],
      ['sub/b', 1],
    ]);
  });
});
