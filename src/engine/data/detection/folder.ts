/**
 * Detection datasets on disk, in the two standard layouts:
 *  - COCO: `images/<part>/<file>` + `annotations/instances_<part>.json`;
 *  - VOC: `JPEGImages/<file>` + `Annotations/<id>.xml` + `ImageSets/Main/<part>.txt` (+ our `labels.txt`).
 * The train part is `train` (or `trainval`), the test part `test`; val is carved from train when loading.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../../core/errors';
import type { DetectionImage } from '../types';
import type { AnnotatedImage, DetectionAnnotations } from './annotations';
import { readCocoInstances, writeCocoInstances } from './coco';
import { encodePng, readImagePixels } from './images';
import { readVocFolder, writeVocFolder } from './voc';

export type DetectionFormat = 'coco' | 'voc';

export interface DetectionParts {
  classNames: string[];
  /** COCO category id per class, where the source names them */
  categoryIds?: number[];
  train: DetectionImage[];
  test: DetectionImage[];
}

const TRAIN_NAMES = ['train', 'trainval'];
const INSTANCES = /^instances_.*\.json$/i;

/** Which layout a folder holds, or null. */
export function detectionFormatOf(dir: string): DetectionFormat | null {
  try {
    const annDir = join(dir, 'annotations');
    if (existsSync(annDir) && statSync(annDir).isDirectory() && statSync(dir).isDirectory()) {
      // a folder named `annotations` without instances files is not COCO
      if (readdirSync(annDir).some((f) => INSTANCES.test(f))) return 'coco';
    }
    if (existsSync(join(dir, 'Annotations')) && existsSync(join(dir, 'JPEGImages'))) return 'voc';
  } catch {
    return null;
  }
  return null;
}

function annotated(im: DetectionImage): AnnotatedImage {
  const out: AnnotatedImage = { id: im.id, fileName: `${im.id}.png`, width: im.width, height: im.height, channels: im.channels, labels: [...im.labels], boxes: im.boxes ?? [] };
  if (im.difficulty !== undefined) out.difficulty = im.difficulty;
  return out;
}

async function writePng(file: string, im: DetectionImage): Promise<void> {
  if (!im.pixels) throw new Error(`image ${im.id} has no pixels to write`);
  if (im.channels !== 1 && im.channels !== 3) throw new Error(`image ${im.id} has ${im.channels} channels; PNG export takes 1 or 3`);
  await writeFile(file, encodePng({ width: im.width, height: im.height, channels: im.channels, data: im.pixels }));
}

/**
 * Writes images (PNG) and annotations in one layout. `onImage` is called after each image written (progress,
 * cancellation: it may throw).
 */
export async function writeDetectionFolder(dir: string, data: DetectionParts, format: DetectionFormat, onImage?: (done: number, total: number) => void): Promise<void> {
  const total = data.train.length + data.test.length;
  let done = 0;
  const parts = [
    ['train', data.train],
    ['test', data.test],
  ] as const;
  if (format === 'coco') {
    await mkdir(join(dir, 'annotations'), { recursive: true });
    for (const [part, images] of parts) {
      const imgDir = join(dir, 'images', part);
      await mkdir(imgDir, { recursive: true });
      for (const im of images) {
        await writePng(join(imgDir, `${im.id}.png`), im);
        onImage?.(++done, total);
      }
      const ann: DetectionAnnotations = { classNames: data.classNames, categoryIds: data.classNames.map((_, i) => i + 1), images: images.map(annotated) };
      await writeCocoInstances(join(dir, 'annotations', `instances_${part}.json`), ann);
    }
    return;
  }
  const imgDir = join(dir, 'JPEGImages');
  await mkdir(imgDir, { recursive: true });
  for (const [, images] of parts) {
    for (const im of images) {
      await writePng(join(imgDir, `${im.id}.png`), im);
      onImage?.(++done, total);
    }
  }
  const all = [...data.train, ...data.test].map(annotated);
  await writeVocFolder(dir, { classNames: data.classNames, categoryIds: data.classNames.map((_, i) => i + 1), images: all }, { train: data.train.map((im) => im.id), test: data.test.map((im) => im.id) });
}

/** The annotation files a folder's contents depend on (memo keys take their paths and mtimes). */
export function annotationFiles(dir: string): string[] {
  const format = detectionFormatOf(dir);
  const inDir = (sub: string, keep: RegExp) => {
    const d = join(dir, sub);
    return existsSync(d) ? readdirSync(d).filter((f) => keep.test(f)).map((f) => join(d, f)) : [];
  };
  if (format === 'coco') return inDir('annotations', INSTANCES);
  if (format === 'voc') return [...inDir('Annotations', /\.xml$/i), ...inDir(join('ImageSets', 'Main'), /\.txt$/i), ...inDir('.', /^labels\.txt$/)];
  return [];
}

async function withPixels(images: AnnotatedImage[], imageDir: (im: AnnotatedImage) => string): Promise<DetectionImage[]> {
  const out: DetectionImage[] = [];
  for (const im of images) {
    const file = join(imageDir(im), im.fileName);
    const px = await readImagePixels(file);
    if (px.width !== im.width || px.height !== im.height) throw new UserError(`image is ${px.width}×${px.height}, its annotation says ${im.width}×${im.height}`, file);
    const d: DetectionImage = { id: im.id, width: im.width, height: im.height, channels: px.channels, pixels: px.data, labels: im.labels, boxes: im.boxes };
    if (im.difficulty !== undefined) d.difficulty = im.difficulty;
    d.fileName = im.fileName;
    if (im.cocoId !== undefined) d.cocoId = im.cocoId;
    out.push(d);
  }
  return out;
}

async function readCoco(dir: string): Promise<DetectionParts> {
  const annDir = join(dir, 'annotations');
  const files = await readdir(annDir);
  const find = (names: string[]) => names.map((n) => `instances_${n}.json`).find((f) => files.includes(f));
  const trainFile = find(TRAIN_NAMES);
  if (!trainFile) throw new UserError('has no annotations/instances_train.json (or instances_trainval.json)', dir);
  const testFile = find(['test']);
  const train = await readCocoInstances(join(annDir, trainFile));
  const test = testFile ? await readCocoInstances(join(annDir, testFile)) : null;
  if (test && (test.classNames.join('\0') !== train.classNames.join('\0') || test.categoryIds.join() !== train.categoryIds.join())) {
    throw new UserError(`categories differ from those of ${trainFile}`, join(annDir, testFile!));
  }
  // images/<part>/<file> (our layout), else images/<file>, else <dir>/<file>
  const imageDir = (part: string) => [join(dir, 'images', part), join(dir, 'images'), dir].find((p) => existsSync(p) && statSync(p).isDirectory()) ?? dir;
  const trainPart = trainFile.slice('instances_'.length, -'.json'.length);
  return {
    classNames: train.classNames,
    categoryIds: train.categoryIds,
    train: await withPixels(train.images, () => imageDir(trainPart)),
    test: test ? await withPixels(test.images, () => imageDir('test')) : [],
  };
}

async function readVoc(dir: string): Promise<DetectionParts> {
  const voc = await readVocFolder(dir);
  const byId = new Map(voc.images.map((im) => [im.id, im]));
  const pick = (ids: string[], set: string) =>
    ids.map((id) => {
      const im = byId.get(id);
      if (!im) throw new UserError(`lists ${id}, which has no annotation in Annotations/`, join(dir, 'ImageSets', 'Main', `${set}.txt`));
      return im;
    });
  const { sets } = voc;
  // no image sets: every annotated image is train; `trainval` wins over train + val
  const trainIds = sets.trainval ? { ids: sets.trainval, set: 'trainval' } : sets.train ? { ids: [...sets.train, ...(sets.val ?? [])], set: 'train' } : null;
  const train = trainIds ? pick(trainIds.ids, trainIds.set) : voc.images.filter((im) => !(sets.test ?? []).includes(im.id));
  const test = sets.test ? pick(sets.test, 'test') : [];
  const imgDir = () => join(dir, 'JPEGImages');
  return { classNames: voc.classNames, train: await withPixels(train, imgDir), test: await withPixels(test, imgDir) };
}

/** Reads a COCO or VOC folder with pixels decoded (gray or RGB as stored). */
export async function readDetectionFolder(dir: string): Promise<DetectionParts> {
  const format = detectionFormatOf(dir);
  if (!format) throw new UserError('is not a detection folder (expected annotations/instances_*.json, or Annotations/ + JPEGImages/)', dir);
  return format === 'coco' ? readCoco(dir) : readVoc(dir);
}
