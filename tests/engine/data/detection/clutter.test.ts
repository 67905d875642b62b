import { describe, expect, it } from 'vitest';
import { generateClutter, INK_THRESHOLD, type ClutterConfig, type ClutterImage } from '../../../../src/engine/data/detection/clutter';

const cfg: ClutterConfig = { source: 'mnist', classes: 5, images: 120, testImages: 40, size: 96, difficulty: 1, maxObjects: 3, seed: 7 };

/** pixels above the ink threshold outside every object box */
function clutterPixels(im: ClutterImage): number {
  let n = 0;
  for (let y = 0; y < im.height; y++) {
    for (let x = 0; x < im.width; x++) {
      if (im.pixels[y * im.width + x] <= INK_THRESHOLD) continue;
      if (!im.boxes!.some((b) => x >= b.x1 && x < b.x2 && y >= b.y1 && y < b.y2)) n++;
    }
  }
  return n;
}

describe('generateClutter', () => {
  it('is deterministic for a seed and changes with it', async () => {
    const a = await generateClutter(cfg);
    const b = await generateClutter(cfg);
    expect(b).toEqual(a);
    const c = await generateClutter({ ...cfg, seed: 8 });
    expect(Buffer.compare(Buffer.from(c.train[0].pixels), Buffer.from(a.train[0].pixels))).not.toBe(0);
    expect(a.classNames).toEqual(['0', '1', '2', '3', '4']);
    expect(a.train).toHaveLength(120);
    expect(a.test).toHaveLength(40);
    expect(a.test[0].id).toBe('test_000000');
  });

  it('gives tight boxes inside the canvas, labels of the object classes, and difficulties within the knob', async () => {
    const { train, test } = await generateClutter({ ...cfg, difficulty: 0.6 });
    for (const im of [...train, ...test]) {
      expect(im.pixels).toHaveLength(96 * 96);
      expect(im.boxes!.length).toBeGreaterThanOrEqual(1);
      expect(im.boxes!.length).toBeLessThanOrEqual(3);
      expect(im.difficulty).toBeGreaterThanOrEqual(0);
      expect(im.difficulty).toBeLessThanOrEqual(0.6);
      expect(im.labels).toEqual([...new Set(im.boxes!.map((b) => b.label))].sort());
      const ink = (x: number, y: number) => im.pixels[y * 96 + x] > INK_THRESHOLD;
      for (const b of im.boxes!) {
        expect(b.label).toBeGreaterThanOrEqual(0);
        expect(b.label).toBeLessThan(5);
        expect(b.x1).toBeGreaterThanOrEqual(0);
        expect(b.y1).toBeGreaterThanOrEqual(0);
        expect(b.x2).toBeLessThanOrEqual(96);
        expect(b.y2).toBeLessThanOrEqual(96);
        // every edge of a tight box touches ink
        const row = (y: number) => Array.from({ length: b.x2 - b.x1 }, (_, i) => ink(b.x1 + i, y)).some(Boolean);
        const col = (x: number) => Array.from({ length: b.y2 - b.y1 }, (_, i) => ink(x, b.y1 + i)).some(Boolean);
        expect(row(b.y1) && row(b.y2 - 1) && col(b.x1) && col(b.x2 - 1)).toBe(true);
        // side between ~12 px (a thin small digit) and the largest scale
        expect(Math.max(b.x2 - b.x1, b.y2 - b.y1)).toBeGreaterThan(10);
        expect(Math.max(b.x2 - b.x1, b.y2 - b.y1)).toBeLessThanOrEqual(Math.round(96 * 0.46));
      }
    }
  });

  it('puts more clutter on the canvas at higher difficulty', async () => {
    const { train } = await generateClutter({ ...cfg, images: 300 });
    const mean = (ims: ClutterImage[]) => ims.reduce((s, im) => s + clutterPixels(im), 0) / ims.length;
    const easy = train.filter((im) => im.difficulty < 1 / 3);
    const mid = train.filter((im) => im.difficulty >= 1 / 3 && im.difficulty < 2 / 3);
    const hard = train.filter((im) => im.difficulty >= 2 / 3);
    expect(easy.length).toBeGreaterThan(50);
    expect(mean(mid)).toBeGreaterThan(mean(easy) * 1.3);
    expect(mean(hard)).toBeGreaterThan(mean(mid) * 1.2);
  });
});
