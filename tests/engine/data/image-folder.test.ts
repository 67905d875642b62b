import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../../src/engine/core/errors';
import { forgetLoadedDatasets, loadDataset } from '../../../src/engine/data/index';
import type { Split } from '../../../src/engine/data/types';

type Rgb = [number, number, number];

function rgba(w: number, h: number, color: (x: number, y: number) => Rgb, alpha = 255): Buffer {
  const d = Buffer.alloc(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const [r, g, b] = color(x, y);
      d.set([r, g, b, alpha], (y * w + x) * 4);
    }
  }
  return d;
}

function png(w: number, h: number, color: (x: number, y: number) => Rgb, opts: { gray?: boolean; alpha?: number } = {}): Buffer {
  const p = new PNG({ width: w, height: h });
  rgba(w, h, color, opts.alpha).copy(p.data);
  return PNG.sync.write(p, opts.gray ? { colorType: 0 } : { colorType: opts.alpha !== undefined ? 6 : 2 });
}

function jpg(w: number, h: number, color: (x: number, y: number) => Rgb): Buffer {
  return jpeg.encode({ width: w, height: h, data: rgba(w, h, color) }, 95).data;
}

const solid = (c: Rgb) => () => c;
const RED: Rgb = [220, 30, 30];
const GREEN: Rgb = [30, 200, 40];
const BLUE: Rgb = [20, 40, 210];

let root: string;

async function put(path: string, data: Buffer | string): Promise<string> {
  const file = join(root, path);
  await mkdir(join(file, '..'), { recursive: true });
  await writeFile(file, data);
  return file;
}

async function expectUserError(p: Promise<unknown>, ...parts: string[]): Promise<UserError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UserError);
  for (const part of parts) expect((err as UserError).message).toContain(part);
  expect((err as UserError).message).not.toContain('\n');
  return err as UserError;
}

function pixel(split: Split, i: number, shape: [number, number, number], y: number, x: number): number[] {
  const [h, w, c] = shape;
  const o = i * h * w * c + (y * w + x) * c;
  return Array.from(split.x.subarray(o, o + c));
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'll-images-'));
  // colour set: classes sorted -> bird=0, cat=1, dog=2; first image (bird/a.png) is 8 wide, 6 high
  await put('colour/bird/a.png', png(8, 6, solid(RED)));
  await put('colour/bird/b.JPG', jpg(16, 12, solid(RED)));
  await put('colour/bird/c.jpeg', jpg(5, 7, solid(RED)));
  await put('colour/bird/d.Png', png(30, 20, solid(RED)));
  await put('colour/bird/e.png', png(8, 6, solid(RED)));
  for (let i = 0; i < 10; i++) await put(`colour/cat/${i}.${i % 2 ? 'png' : 'jpg'}`, (i % 2 ? png : jpg)(4 + i, 3 + i, solid(GREEN)));
  await put('colour/dog/only.png', png(3, 3, solid(BLUE)));
  await put('colour/dog/notes.txt', 'not an image');
  await put('colour/.hidden/x.png', png(2, 2, solid(RED)));
  await put('colour/README.md', 'ignored');
  // gray set: a true grayscale PNG, an RGB PNG with R=G=B and a JPEG of a gray gradient
  const ramp = (x: number): Rgb => [x * 20, x * 20, x * 20];
  await put('gray/dark/1.png', png(10, 10, solid([10, 10, 10]), { gray: true }));
  await put('gray/dark/2.png', png(12, 12, solid([20, 20, 20])));
  await put('gray/light/1.jpg', jpg(10, 10, ramp));
  await put('gray/light/2.png', png(10, 10, solid([240, 240, 240]), { gray: true }));
  await put('gray/light/3.png', png(10, 10, solid([200, 200, 200]), { alpha: 128 }));
  // broken inputs
  await put('empty/readme.txt', 'no classes here');
  await put('badpng/a/ok.png', png(4, 4, solid(RED)));
  await put('badpng/a/broken.png', png(4, 4, solid(RED)).subarray(0, 40));
  await put('badjpg/a/x.jpg', 'definitely not a jpeg');
  await mkdir(join(root, 'noimages/a'), { recursive: true });
});
afterAll(async () => {
  forgetLoadedDatasets();
  await rm(root, { recursive: true, force: true });
});

describe('image folder', () => {
  it('loads classes from sorted sub-folders, resizes to the first image, keeps colour', async () => {
    const d = await loadDataset(join(root, 'colour'));
    expect(d.ref).toBe(join(root, 'colour'));
    expect(d.name).toBe('colour');
    expect(d.classNames).toEqual(['bird', 'cat', 'dog']);
    expect(d.classes).toBe(3);
    expect(d.shape).toEqual([6, 8, 3]);
    expect(d.train.x.length).toBe(d.train.n * 6 * 8 * 3);
    expect(d.test.x.length).toBe(d.test.n * 6 * 8 * 3);
    // 80/20 per class: bird 5 -> 4/1, cat 10 -> 8/2, dog 1 -> 1/0; then val = round(10 % of 13) = 1 of the 13
    const count = (y: Uint8Array) => [0, 1, 2].map((c) => y.filter((v) => v === c).length);
    const trainVal = count(d.train.y).map((v, c) => v + count(d.val.y)[c]);
    expect(trainVal).toEqual([4, 8, 1]);
    expect(d.val.n).toBe(1);
    expect(d.train.n).toBe(12);
    expect(d.valFraction).toBe(0.1);
    expect(count(d.test.y)).toEqual([1, 2, 0]);
    // every example's pixels carry its class colour, whatever its source size or format
    const colours = [RED, GREEN, BLUE];
    for (const split of [d.train, d.val, d.test]) {
      for (let i = 0; i < split.n; i++) {
        const want = colours[split.y[i]];
        for (const [yy, xx] of [[0, 0], [3, 4], [5, 7]]) {
          pixel(split, i, d.shape, yy, xx).forEach((v, ch) => expect(Math.abs(v * 255 - want[ch])).toBeLessThan(6));
        }
      }
    }
    // train is shuffled, not grouped by class
    expect(Array.from(d.train.y)).not.toEqual([...d.train.y].sort());
  });

  it('splits deterministically and memoises', async () => {
    const a = await loadDataset(join(root, 'colour'));
    expect(await loadDataset(join(root, 'colour'))).toBe(a);
    forgetLoadedDatasets();
    const b = await loadDataset(join(root, 'colour'));
    expect(b).not.toBe(a);
    expect(Array.from(b.train.y)).toEqual(Array.from(a.train.y));
    expect(Array.from(b.test.y)).toEqual(Array.from(a.test.y));
    expect(Array.from(b.val.x)).toEqual(Array.from(a.val.x));
    expect(Array.from(b.train.x)).toEqual(Array.from(a.train.x));
  });

  it('honours an explicit size', async () => {
    const d = await loadDataset(join(root, 'colour'), { size: [4, 5] });
    expect(d.shape).toEqual([4, 5, 3]);
    expect(d.train.x.length).toBe(d.train.n * 4 * 5 * 3);
    await expectUserError(loadDataset(join(root, 'colour'), { size: [0, 5] }), 'size');
  });

  it('uses one channel when every image is gray, compositing alpha over black', async () => {
    const d = await loadDataset(join(root, 'gray'));
    expect(d.shape).toEqual([10, 10, 1]);
    expect(d.classNames).toEqual(['dark', 'light']);
    expect(d.train.n + d.val.n + d.test.n).toBe(5);
    expect(d.test.n).toBe(2); // one per class
    expect(d.val.n).toBe(1); // at least one of the 3 train images
    const all = [d.train, d.val, d.test].flatMap((s) => Array.from({ length: s.n }, (_, i) => ({ y: s.y[i], x: s.x.subarray(i * 100, (i + 1) * 100) })));
    const firstPixels = all.map((e) => Math.round(e.x[0] * 255)).sort((p, q) => p - q);
    // dark 10 and 20 (12x12 resized stays flat), ramp starts at 0, light 240, 200 at alpha 128 -> 100
    expect(firstPixels).toEqual([0, 10, 20, 100, 240]);
    const ramp = all.find((e) => e.y === 1 && Math.round(e.x[0] * 255) === 0)!;
    expect(ramp.x[9]).toBeGreaterThan(0.6); // x=9 -> 180/255
  });

  it('rejects unknown refs and missing folders', async () => {
    await expectUserError(loadDataset('foo'), 'unknown dataset "foo": expected mnist, fashion-mnist, a COCO or VOC detection folder, a frame folder of clips (<Class>/<clip>/<frame>.png) or an image folder path');
    const missing = join(root, 'nope');
    const err = await expectUserError(loadDataset(missing), missing, 'not found');
    expect(err.file).toBe(missing);
  });

  it('rejects a folder with no class sub-folders, naming it', async () => {
    await expectUserError(loadDataset(join(root, 'empty')), join(root, 'empty'), 'no class sub-folders');
  });

  it('rejects a class folder without images, naming it', async () => {
    await expectUserError(loadDataset(join(root, 'noimages')), join(root, 'noimages', 'a'), 'no PNG or JPEG');
  });

  it('rejects an undecodable PNG or JPEG, naming the file', async () => {
    const e1 = await expectUserError(loadDataset(join(root, 'badpng')), join(root, 'badpng', 'a', 'broken.png'), 'PNG');
    expect(e1.file).toBe(join(root, 'badpng', 'a', 'broken.png'));
    await expectUserError(loadDataset(join(root, 'badjpg')), join(root, 'badjpg', 'a', 'x.jpg'), 'JPEG');
  });

  it('does not remember failures', async () => {
    const dir = join(root, 'later');
    await expectUserError(loadDataset(dir), 'not found');
    await put('later/a/1.png', png(2, 2, solid(RED)));
    const d = await loadDataset(dir);
    expect(d.shape).toEqual([2, 2, 3]);
  });
});
