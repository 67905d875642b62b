// The moving-digit generator (seeded, its cue timing as documented) and the UCF101-style frame folders it writes,
// read back through the dataset registry; the ffmpeg import's one-line error.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forgetLoadedDatasets, loadDataset, openDataset } from '../../../../src/engine/data';
import { encodePng } from '../../../../src/engine/data/detection/images';
import { generateActions, BURST, type GeneratedActions } from '../../../../src/engine/data/video/generate';
import { isFrameFolder, readClipTruth, writeFrameFolder } from '../../../../src/engine/data/video/frame-folder';
import { requireFfmpeg } from '../../../../src/engine/analyses/action/import';
import { UserError } from '../../../../src/engine/core/errors';

const opts = { clips: 24, testClips: 12, frames: 16, size: 32, lag: 5, lagJitter: 1, seed: 7 };
let gen: GeneratedActions;
let dir: string;

beforeAll(async () => {
  gen = await generateActions(opts, await loadDataset('mnist'), await loadDataset('fashion-mnist'));
  dir = mkdtempSync(join(tmpdir(), 'll-frames-'));
  await writeFrameFolder(dir, gen, opts);
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('moving-digit clips', () => {
  it('is a real hierarchy: 6 patterns × 2 objects under 3 motion families', () => {
    expect(gen.classNames).toHaveLength(12);
    expect(gen.coarseNames).toEqual(['translate', 'rotate', 'zoom']);
    expect(gen.coarseOf.filter((c) => c === 1)).toHaveLength(4);
    expect(gen.classNames[gen.train[0].label]).toBe(`${gen.train[0].pattern}+${gen.train[0].object}`);
  });

  it('puts the motion lag ± jitter frames after the cue, the distractor elsewhere, all inside the clip', () => {
    for (const c of [...gen.train, ...gen.test]) {
      expect(c.lag).toBeGreaterThanOrEqual(opts.lag - opts.lagJitter);
      expect(c.lag).toBeLessThanOrEqual(opts.lag + opts.lagJitter);
      expect(c.motionAt - c.appearanceAt).toBe(c.lag);
      expect(c.motionAt + BURST).toBeLessThan(opts.frames);
      expect(Math.abs(c.distractorAt - c.appearanceAt)).toBeGreaterThanOrEqual(3);
      expect(Math.abs(c.distractorAt + c.lag - c.motionAt)).toBeGreaterThan(2);
    }
  });

  it('moves only during the burst: frames before the cue are the same digit up to noise', () => {
    const c = gen.train.find((x) => x.appearanceAt >= 2 && x.distractorAt >= 4)!;
    const px = 32 * 32;
    const diff = (a: number, b: number) => {
      let s = 0;
      for (let k = 0; k < px; k++) s += Math.abs(c.pixels[a * px + k] - c.pixels[b * px + k]);
      return s / px;
    };
    // same pose: only the noise differs; across the motion the digit itself moved
    expect(diff(0, 1)).toBeLessThan(diff(c.motionAt, c.motionAt + BURST));
  });

  it('is the same clips for the same seed', async () => {
    const again = await generateActions({ ...opts, clips: 3, testClips: 12 }, await loadDataset('mnist'), await loadDataset('fashion-mnist'));
    expect(Array.from(again.train[0].pixels)).toEqual(Array.from(gen.train[0].pixels));
  });

  it('poses flashes on their own by default: a flash after a translation sits where one before it does', async () => {
    const px = 32 * 32;
    const centreX = (c: GeneratedActions['train'][number], t: number) => {
      let mass = 0;
      let sx = 0;
      for (let k = 0; k < px; k++) {
        const v = Math.max(0, c.pixels[t * px + k] - 40);
        mass += v;
        sx += v * (k % 32);
      }
      return sx / mass;
    };
    const gap = async (flashPose: 'still' | 'follow') => {
      const g = await generateActions({ ...opts, clips: 120, testClips: 12, flashPose }, await loadDataset('mnist'), await loadDataset('fashion-mnist'));
      const late = g.train.filter((c) => c.pattern.startsWith('translate') && c.distractorAt > c.motionAt + BURST);
      expect(late.length).toBeGreaterThan(2);
      return Math.max(...late.map((c) => Math.abs(centreX(c, c.distractorAt) - centreX(c, c.appearanceAt))));
    };
    // the motion moves the digit 8 px; a still flash keeps the object within its own ±2 px jitter (+ shape)
    expect(await gap('still')).toBeLessThan(3);
    expect(await gap('follow')).toBeGreaterThan(5);
  });

  it('makes about ambiguousRate of the clips ambiguous (the second flash the other object), none or all at 0 and 1', async () => {
    const share = async (ambiguousRate: number) => {
      const g = await generateActions({ ...opts, clips: 120, testClips: 12, ambiguousRate }, await loadDataset('mnist'), await loadDataset('fashion-mnist'));
      return g.train.filter((c) => c.ambiguous).length / g.train.length;
    };
    expect(await share(0)).toBe(0);
    expect(await share(1)).toBe(1);
    const half = await share(0.5);
    expect(half).toBeGreaterThan(0.35);
    expect(half).toBeLessThan(0.65);
  });

  it('refuses a lag that leaves no room for the motion', async () => {
    await expect(generateActions({ ...opts, lag: 14 }, await loadDataset('mnist'), await loadDataset('fashion-mnist'))).rejects.toThrow(UserError);
  });
});

describe('frame folders (UCF101 layout)', () => {
  it('load back through the registry as a video dataset with splits, val carve and hierarchy', async () => {
    expect(isFrameFolder(dir)).toBe(true);
    const ds = await openDataset(dir, { valFraction: 0.25 });
    expect(ds.task).toBe('video');
    if (ds.task !== 'video') return;
    expect(ds.classNames).toEqual(gen.classNames);
    expect(ds.train.n + ds.val.n).toBe(24);
    expect(ds.val.n).toBe(6);
    expect(ds.test.n).toBe(12);
    expect(ds.hierarchy?.coarseOf).toEqual(gen.coarseOf);
    const clip = ds.test.clips[0];
    expect(clip.id).toBe(gen.test[0].id);
    expect(clip.shape).toEqual([32, 32, 1]);
    expect(Array.from(clip.pixels!)).toEqual(Array.from(gen.test[0].pixels));
    expect(readClipTruth(dir)?.get(clip.id)?.lag).toBe(gen.test[0].lag);
  });

  it('without split lists or classInd: class folders in name order, a seeded 80/20 split', async () => {
    const d = mkdtempSync(join(tmpdir(), 'll-frames-plain-'));
    try {
      for (const cls of ['b', 'a']) {
        for (let k = 0; k < 5; k++) {
          mkdirSync(join(d, cls, `clip${k}`), { recursive: true });
          for (let t = 0; t < 3; t++) writeFileSync(join(d, cls, `clip${k}`, `f${t}.png`), encodePng({ width: 4, height: 4, channels: 1, data: new Uint8Array(16).fill(t * 50) }));
        }
      }
      const ds = await openDataset(d);
      expect(ds.task).toBe('video');
      expect(ds.classNames).toEqual(['a', 'b']);
      expect(ds.train.n + ds.val.n).toBe(8);
      expect(ds.test.n).toBe(2);
      // a frame of another size is a one-line error naming the file
      writeFileSync(join(d, 'a', 'clip0', 'f9.png'), encodePng({ width: 5, height: 4, channels: 1, data: new Uint8Array(20) }));
      forgetLoadedDatasets();
      await expect(openDataset(d)).rejects.toThrow(/f9\.png.*5×4×1/);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});

describe('video import', () => {
  it('says in one line that ffmpeg is missing', () => {
    let err: unknown;
    try {
      requireFfmpeg('ffmpeg-that-is-not-installed-here');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect(String((err as Error).message)).toMatch(/needs ffmpeg on the PATH/);
    expect(String((err as Error).message)).not.toContain('\n');
  });
});
