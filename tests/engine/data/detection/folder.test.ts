import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plainContext, type Progress } from '../../../../src/engine/core/context';
import { generateClutter } from '../../../../src/engine/data/detection/clutter';
import { writeDetectionFolder } from '../../../../src/engine/data/detection/folder';
import { forgetLoadedDatasets, openDataset } from '../../../../src/engine/data/index';
import type { DetectionDataset } from '../../../../src/engine/data/types';
import { run } from '../../../../src/engine/analyses/wsod/data';
import { WsodDataConfig } from '../../../../src/shared/api-wsod';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'll-detfolder-'));
});
afterAll(async () => {
  forgetLoadedDatasets();
  await rm(dir, { recursive: true, force: true });
});

const cfg = { source: 'mnist' as const, classes: 4, images: 30, testImages: 10, size: 64, difficulty: 0.8, maxObjects: 3, seed: 5 };

describe('detection folders through openDataset', () => {
  for (const format of ['coco', 'voc'] as const) {
    it(`loads a written ${format} benchmark back: same pixels, boxes, labels and difficulty`, async () => {
      const data = await generateClutter(cfg);
      const root = join(dir, format);
      await writeDetectionFolder(root, data, format);
      const ds = (await openDataset(root, { valFraction: 0.2, valSeed: 3 })) as DetectionDataset;
      expect(ds.task).toBe('detection');
      expect(ds.classNames).toEqual(['0', '1', '2', '3']);
      expect([ds.train.n, ds.val.n, ds.test.n]).toEqual([24, 6, 10]);
      const byId = new Map([...data.train, ...data.test].map((im) => [im.id, im]));
      for (const im of [...ds.train.images, ...ds.val.images, ...ds.test.images]) {
        const orig = byId.get(im.id)!;
        expect(im.channels).toBe(1);
        expect(Buffer.compare(Buffer.from(im.pixels!), Buffer.from(orig.pixels))).toBe(0);
        expect(im.boxes).toEqual(orig.boxes);
        expect(im.labels).toEqual(orig.labels);
        expect(im.difficulty).toBe(orig.difficulty);
      }
      // test images stay test images
      expect(ds.test.images.map((im) => im.id)).toEqual(data.test.map((im) => im.id));
    });
  }

  it('reloads when an annotation file changes (memo key holds its mtime)', async () => {
    const data = await generateClutter({ ...cfg, images: 10 });
    const root = join(dir, 'reload');
    await writeDetectionFolder(root, data, 'coco');
    const a = (await openDataset(root)) as DetectionDataset;
    const file = join(root, 'annotations', 'instances_test.json');
    const json = JSON.parse(await readFile(file, 'utf8'));
    json.categories[0].name = 'zero';
    await writeFile(file, JSON.stringify(json));
    await writeFile(join(root, 'annotations', 'instances_train.json'), (await readFile(join(root, 'annotations', 'instances_train.json'), 'utf8')).replace('"name":"0"', '"name":"zero"'));
    const later = new Date(Date.now() + 5000);
    await utimes(file, later, later);
    const b = (await openDataset(root)) as DetectionDataset;
    expect(a.classNames[0]).toBe('0');
    expect(b.classNames[0]).toBe('zero');
  });

  it('reads RGB JPEG images of a user VOC folder with their channels', async () => {
    const root = join(dir, 'rgb');
    await mkdir(join(root, 'Annotations'), { recursive: true });
    await mkdir(join(root, 'JPEGImages'), { recursive: true });
    const w = 16;
    const h = 8;
    const rgba = Buffer.alloc(w * h * 4);
    for (let i = 0; i < w * h; i++) rgba.set([200, 30, 30, 255], i * 4);
    await writeFile(join(root, 'JPEGImages', 'x1.jpg'), jpeg.encode({ data: rgba, width: w, height: h }, 95).data);
    await writeFile(
      join(root, 'Annotations', 'x1.xml'),
      '<annotation><filename>x1.jpg</filename><size><width>16</width><height>8</height><depth>3</depth></size><object><name>red</name><difficult>0</difficult><bndbox><xmin>2</xmin><ymin>2</ymin><xmax>9</xmax><ymax>7</ymax></bndbox></object></annotation>',
    );
    const ds = (await openDataset(root)) as DetectionDataset;
    const im = ds.train.images[0];
    expect(im.channels).toBe(3);
    expect(im.pixels!.length).toBe(16 * 8 * 3);
    expect(im.pixels![0]).toBeGreaterThan(150);
    expect(im.boxes).toEqual([{ x1: 1, y1: 1, x2: 9, y2: 7, label: 0 }]);
  });
});

describe('wsod-data run', () => {
  it('writes the benchmark with progress, and honours cancellation', async () => {
    const out = join(dir, 'job');
    const events: Progress[] = [];
    const res = await run(WsodDataConfig.parse({ out, images: 20, testImages: 10, seed: 2 }), plainContext((p) => events.push(p)));
    expect(res).toMatchObject({ out, format: 'coco', classNames: ['0', '1', '2', '3', '4'], train: 20, test: 10, seed: 2 });
    expect(res.meanDifficulty).toBeGreaterThan(0);
    expect(res.meanDifficulty).toBeLessThan(0.8);
    expect(events.at(-1)!.fraction).toBe(1);
    expect(events.map((e) => e.fraction)).toEqual([...events.map((e) => e.fraction)].sort((a, b) => a - b));
    expect(existsSync(join(out, 'images', 'test', 'test_000009.png'))).toBe(true);

    const ac = new AbortController();
    const ctx = { signal: ac.signal, progress: (p: Progress) => p.fraction > 0.3 && ac.abort() };
    await expect(run(WsodDataConfig.parse({ out: join(dir, 'cancelled'), images: 200, testImages: 10 }), ctx)).rejects.toThrow('cancelled');
  });
});
