import { describe, expect, it } from 'vitest';
import { UserError } from '../../../src/engine/core/errors';
import { datasetKinds, findDatasetKind } from '../../../src/engine/data/kinds';
import { detectionDataset, forgetLoadedDatasets, listBuiltinDatasets, loadDataset, openDataset, registerDatasetKind, splitsOf, videoDataset } from '../../../src/engine/data/index';
import type { DetectionImage } from '../../../src/engine/data/types';
import { getTask } from '../../../src/engine/tasks';

const image = (i: number, labels: number[]): DetectionImage => ({
  id: `img${i}`,
  width: 20 + i,
  height: 10 + (i % 7),
  channels: 3,
  labels,
  boxes: labels.map((l) => ({ x1: 1, y1: 1, x2: 5 + i, y2: 6, label: l })),
});
const toy = (seed?: number) =>
  detectionDataset({
    ref: 'mem:toy',
    name: 'toy',
    classNames: ['cat', 'dog', 'car'],
    train: Array.from({ length: 30 }, (_, i) => image(i, [i % 3])),
    test: Array.from({ length: 8 }, (_, i) => image(100 + i, [i % 3, (i + 1) % 3])),
    splitSeed: 5,
    valSeed: seed,
  });

describe('dataset-kind registry', () => {
  it('routes built-in names and paths to their kinds, in that order', () => {
    expect(findDatasetKind('mnist')?.name).toBe('builtin');
    expect(findDatasetKind('fashion-mnist')?.name).toBe('builtin');
    expect(findDatasetKind('./some/folder')?.name).toBe('image-folder');
    expect(findDatasetKind('/abs/path')?.name).toBe('image-folder');
    expect(findDatasetKind('no-such-thing')).toBeUndefined();
    for (const k of datasetKinds()) expect(getTask(k.task).name).toBe(k.task);
    expect(listBuiltinDatasets().map((d) => d.ref)).toEqual(['mnist', 'fashion-mnist']);
  });

  it('a registered kind is loaded through it; code that needs classification asks the task and says why not', async () => {
    let loads = 0;
    const remove = registerDatasetKind({
      name: 'memory-test',
      task: 'detection',
      expects: 'mem:<name>',
      match: (ref) => ref.startsWith('mem:'),
      key: (ref) => ref,
      load: async () => {
        loads++;
        return toy();
      },
    });
    try {
      forgetLoadedDatasets();
      const ds = await openDataset('mem:toy');
      expect(ds.task).toBe('detection');
      expect(await openDataset('mem:toy')).toBe(ds); // memoised
      expect(loads).toBe(1);
      const err = await loadDataset('mem:toy', {}, 'train').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UserError);
      expect((err as Error).message).toBe('train needs a classification dataset; mem:toy is a detection dataset');
      // the unknown-dataset message lists every kind
      await expect(openDataset('nothing')).rejects.toThrow('unknown dataset "nothing": expected mnist, fashion-mnist, a COCO or VOC detection folder, a frame folder of clips (<Class>/<clip>/<frame>.png), mem:<name> or an image folder path');
    } finally {
      remove();
      forgetLoadedDatasets();
    }
    expect(findDatasetKind('mem:toy')).toBeUndefined();
    await expect(openDataset('nothing')).rejects.toThrow('unknown dataset "nothing": expected mnist, fashion-mnist, a COCO or VOC detection folder, a frame folder of clips (<Class>/<clip>/<frame>.png) or an image folder path');
  });
});

describe('detection and video datasets', () => {
  it('carve val from train with the shared seeded rule: sizes, disjoint, deterministic per seed', () => {
    const a = toy();
    expect(splitsOf(a)).toEqual({ valFraction: 0.1, valSeed: 4321, splitSeed: 5, nTrain: 27, nVal: 3, nTest: 8 });
    const ids = (s: { images: DetectionImage[] }) => s.images.map((im) => im.id);
    const train = new Set(ids(a.train));
    expect(ids(a.val).filter((id) => train.has(id))).toEqual([]);
    expect(new Set([...ids(a.train), ...ids(a.val)]).size).toBe(30);
    expect(ids(toy().val)).toEqual(ids(a.val));
    const others = [1, 2, 3, 4].map((s) => ids(toy(s).val).join());
    expect(new Set([ids(a.val).join(), ...others]).size).toBeGreaterThan(1);
    // every image keeps its own size
    expect(new Set(a.train.images.map((im) => `${im.width}x${im.height}`)).size).toBeGreaterThan(5);
  });

  it('reject labels outside the classes and empty boxes, naming the image', () => {
    const bad = (im: DetectionImage) => () =>
      detectionDataset({ ref: 'mem:bad', name: 'bad', classNames: ['a', 'b'], train: [im], test: [], splitSeed: 1 });
    expect(bad({ id: 'x.jpg', width: 4, height: 4, channels: 3, labels: [2] })).toThrow(/label 2 is not a class id 0..1.*x\.jpg|x\.jpg.*label 2/);
    expect(bad({ id: 'y.jpg', width: 4, height: 4, channels: 3, labels: [0], boxes: [{ x1: 3, y1: 0, x2: 3, y2: 2, label: 0 }] })).toThrow(/no area/);
  });

  it('video: clips with a coarse→fine hierarchy that must cover every fine class', () => {
    const clip = (i: number) => ({ id: `c${i}`, frames: 4, shape: [8, 8, 3] as [number, number, number], label: i % 4 });
    const v = videoDataset({
      ref: 'mem:clips',
      name: 'clips',
      classNames: ['run', 'walk', 'pour', 'stir'],
      train: Array.from({ length: 20 }, (_, i) => clip(i)),
      test: Array.from({ length: 4 }, (_, i) => clip(50 + i)),
      splitSeed: 2,
      hierarchy: { coarseNames: ['move', 'cook'], coarseOf: [0, 0, 1, 1] },
    });
    expect(v.task).toBe('video');
    expect([v.train.n, v.val.n, v.test.n]).toEqual([18, 2, 4]);
    expect(() =>
      videoDataset({ ref: 'mem:c', name: 'c', classNames: ['a', 'b'], train: [], test: [], splitSeed: 1, hierarchy: { coarseNames: ['x'], coarseOf: [0] } }),
    ).toThrow(/hierarchy maps 1 fine classes/);
  });
});
