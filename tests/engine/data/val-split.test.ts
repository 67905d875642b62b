import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../../src/engine/core/errors';
import { forgetLoadedDatasets, loadDataset, splitsOf } from '../../../src/engine/data/index';
import { carveVal, valCount } from '../../../src/engine/data/split';
import type { ClassificationDataset as Dataset, RawSplit, Split } from '../../../src/engine/data/types';

/** one hash per example, so splits can be compared by content, not by position */
function hashes(s: Split, stride: number): string[] {
  return Array.from({ length: s.n }, (_, i) => {
    const v = s.x.subarray(i * stride, (i + 1) * stride);
    return createHash('sha1').update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)).digest('hex');
  });
}

describe('carveVal', () => {
  // 20 examples of 2 values each: example i holds [i, 100 + i], label i % 5
  const raw: RawSplit = {
    x: Uint8Array.from({ length: 40 }, (_, k) => (k % 2 ? 100 : 0) + (k >> 1)),
    y: Uint8Array.from({ length: 20 }, (_, i) => i % 5),
    n: 20,
  };
  const ids = (s: RawSplit) => Array.from({ length: s.n }, (_, i) => s.x[i * 2]);

  it('takes round(n·f) examples into val, disjoint from train, covering the input once, each kept whole', () => {
    const { train, val } = carveVal(raw, 0.25, 7);
    expect(val.n).toBe(5);
    expect(train.n).toBe(15);
    const all = [...ids(train), ...ids(val)].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 20 }, (_, i) => i));
    for (const s of [train, val]) {
      for (let i = 0; i < s.n; i++) {
        expect(s.x[i * 2 + 1]).toBe(100 + s.x[i * 2]);
        expect(s.y[i]).toBe(s.x[i * 2] % 5);
      }
    }
    // both keep the input's order
    expect(ids(train)).toEqual([...ids(train)].sort((a, b) => a - b));
    expect(ids(val)).toEqual([...ids(val)].sort((a, b) => a - b));
  });

  it('is a function of the seed: same seed same val, another seed another val', () => {
    expect(ids(carveVal(raw, 0.25, 7).val)).toEqual(ids(carveVal(raw, 0.25, 7).val));
    const seeds = [1, 2, 3, 4, 5].map((s) => ids(carveVal(raw, 0.25, s).val).join(','));
    expect(new Set(seeds).size).toBeGreaterThan(1);
  });

  it('keeps at least one example on each side and rejects fractions outside (0, 0.5]', () => {
    expect(valCount(2, 0.1)).toBe(1);
    expect(valCount(3, 0.5)).toBe(2);
    expect(valCount(1, 0.1)).toBe(0);
    expect(valCount(8000, 0.1)).toBe(800);
    expect(() => carveVal(raw, 0, 1)).toThrow(UserError);
    expect(() => carveVal(raw, 0.6, 1)).toThrow(UserError);
  });
});

describe('val split of a built-in', () => {
  let dir: string;
  let ds: Dataset;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'll-val-'));
    forgetLoadedDatasets();
    ds = await loadDataset('mnist', { cacheDir: dir });
  });
  afterAll(async () => {
    forgetLoadedDatasets();
    await rm(dir, { recursive: true, force: true });
  });

  it('records its sizes and seeds', () => {
    expect(splitsOf(ds)).toEqual({ valFraction: 0.1, valSeed: 4321, splitSeed: 1234, nTrain: 7200, nVal: 800, nTest: 2000 });
  });

  it('has no val or test image among the train images, and none shared by val and test', () => {
    const train = new Set(hashes(ds.train, 784));
    const val = hashes(ds.val, 784);
    const test = hashes(ds.test, 784);
    expect(val.filter((h) => train.has(h))).toEqual([]);
    expect(test.filter((h) => train.has(h))).toEqual([]);
    const valSet = new Set(val);
    expect(test.filter((h) => valSet.has(h))).toEqual([]);
  });

  it('draws another val for another seed or fraction, leaving test as it was', async () => {
    const other = await loadDataset('mnist', { cacheDir: dir, valSeed: 99 });
    expect(other).not.toBe(ds);
    expect(other.valSeed).toBe(99);
    expect(other.val.n).toBe(800);
    expect(Buffer.from(other.val.y).equals(Buffer.from(ds.val.y))).toBe(false);
    expect(Buffer.from(other.test.x.buffer, other.test.x.byteOffset, other.test.x.byteLength).equals(
      Buffer.from(ds.test.x.buffer, ds.test.x.byteOffset, ds.test.x.byteLength),
    )).toBe(true);
    const wide = await loadDataset('mnist', { cacheDir: dir, valFraction: 0.25 });
    expect([wide.train.n, wide.val.n, wide.test.n]).toEqual([6000, 2000, 2000]);
    // same seed, same fraction: the same val, also after the memo is dropped
    forgetLoadedDatasets();
    const again = await loadDataset('mnist', { cacheDir: dir });
    expect(hashes(again.val, 784)).toEqual(hashes(ds.val, 784));
  });

  it('rejects a val fraction outside (0, 0.5] in one line', async () => {
    const err = await loadDataset('mnist', { cacheDir: dir, valFraction: 0.9 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toContain('val fraction');
  });
});
