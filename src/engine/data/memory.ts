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

function carve<T>(src: Source<T>) {
  const valFraction = src.valFraction ?? DEFAULT_VAL_FRACTION;
  const valSeed = src.valSeed ?? DEFAULT_VAL_SEED;
  const { trainIdx, valIdx } = carveIndices(src.train.length, valFraction, valSeed);
  return { valFraction, valSeed, train: trainIdx.map((i) => src.train[i]), val: valIdx.map((i) => src.train[i]) };
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
  const c = carve(src);
  const split = (images: DetectionImage[]) => ({ n: images.length, images });
  return {
    task: 'detection',
    ref: src.ref,
    name: src.name,
    classes,
    classNames: [...src.classNames],
    train: split(c.train),
    val: split(c.val),
    test: split(src.test),
    splitSeed: src.splitSeed,
    valFraction: c.valFraction,
    valSeed: c.valSeed,
  };
}

export function videoDataset(src: Source<Clip> & { hierarchy?: VideoDataset['hierarchy'] }): VideoDataset {
  const classes = src.classNames.length;
  for (const clip of [...src.train, ...src.test]) checkLabel(clip.label, classes, clip.id);
  if (src.hierarchy && src.hierarchy.coarseOf.length !== classes) {
    throw new UserError(`label hierarchy maps ${src.hierarchy.coarseOf.length} fine classes, the dataset has ${classes}`, src.ref);
  }
  const c = carve(src);
  const split = (clips: Clip[]) => ({ n: clips.length, clips });
  return {
    task: 'video',
    ref: src.ref,
    name: src.name,
    classes,
    classNames: [...src.classNames],
    train: split(c.train),
    val: split(c.val),
    test: split(src.test),
    splitSeed: src.splitSeed,
    valFraction: c.valFraction,
    valSeed: c.valSeed,
    ...(src.hierarchy ? { hierarchy: src.hierarchy } : {}),
  };
}
