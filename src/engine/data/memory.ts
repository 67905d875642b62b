/**
 * Datasets built from items already in memory (detection images, video clips): the same seeded val carve as
 * every other dataset. Used by tests and, later, by the VOC/COCO and frame-folder kinds once they have parsed
 * their annotations.
 */
import { UserError } from '../core/errors';
import { carveIndices, DEFAULT_VAL_FRACTION, DEFAULT_VAL_SEED } from './split';
import type { Clip, DetectionDataset, DetectionImage, VideoDataset } from './types';

interface Source<T> {
  ref: string;
  name: string;
  classNames: string[];
  /** the source's train part (val is carved from it) and its test part */
  train: T[];
  test: T[];
  splitSeed: number;
  valFraction?: number;
  valSeed?: number;
}

/** The fields every in-memory dataset shares: names, classes and the three splits, val carved from train. */
function withSplits<T, S>(src: Source<T>, split: (items: T[]) => S) {
  const valFraction = src.valFraction ?? DEFAULT_VAL_FRACTION;
  const valSeed = src.valSeed ?? DEFAULT_VAL_SEED;
  const { trainIdx, valIdx } = carveIndices(src.train.length, valFraction, valSeed);
  return {
    ref: src.ref,
    name: src.name,
    classes: src.classNames.length,
    classNames: [...src.classNames],
    train: split(trainIdx.map((i) => src.train[i])),
    val: split(valIdx.map((i) => src.train[i])),
    test: split(src.test),
    splitSeed: src.splitSeed,
    valFraction,
    valSeed,
  };
}

function checkLabel(label: number, classes: number, where: string): void {
  if (!Number.isInteger(label) || label < 0 || label >= classes) throw new UserError(`label ${label} is not a class id 0..${classes - 1}`, where);
}

export function detectionDataset(src: Source<DetectionImage>): DetectionDataset {
  const classes = src.classNames.length;
  for (const im of [...src.train, ...src.test]) {
    if (!(im.width > 0 && im.height > 0)) throw new UserError(`image has no pixels (${im.width}×${im.height})`, im.id);
    for (const l of im.labels) checkLabel(l, classes, im.id);
    for (const b of im.boxes ?? []) {
      checkLabel(b.label, classes, im.id);
      if (!(b.x2 > b.x1 && b.y2 > b.y1)) throw new UserError(`box ${JSON.stringify(b)} has no area`, im.id);
    }
  }
  return { task: 'detection', ...withSplits(src, (images) => ({ n: images.length, images })) };
}

export function videoDataset(src: Source<Clip> & { hierarchy?: VideoDataset['hierarchy'] }): VideoDataset {
  const classes = src.classNames.length;
  for (const clip of [...src.train, ...src.test]) checkLabel(clip.label, classes, clip.id);
  if (src.hierarchy && src.hierarchy.coarseOf.length !== classes) {
    throw new UserError(`label hierarchy maps ${src.hierarchy.coarseOf.length} fine classes, the dataset has ${classes}`, src.ref);
  }
  return {
    task: 'video',
    ...withSplits(src, (clips) => ({ n: clips.length, clips })),
    ...(src.hierarchy ? { hierarchy: src.hierarchy } : {}),
  };
}
