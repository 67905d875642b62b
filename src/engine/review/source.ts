/**
 * What a review reads from a detection dataset: the images of one split, their ground truth, and the dataset's
 * annotations in the COCO/VOC readers' terms (image and category ids), so that results files written against
 * the dataset resolve to its images and an export writes the same file names and ids back.
 */
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { GroundTruthBox } from '../../shared/api-review';
import type { Detection } from '../../shared/api-wsod';
import { UserError } from '../core/errors';
import { openDataset } from '../data';
import type { AnnotatedImage, DetectionAnnotations } from '../data/detection/annotations';
import { labelsOf } from '../data/detection/annotations';
import { readCocoResults } from '../data/detection/coco';
import type { DetectionDataset, DetectionImage } from '../data/types';

export type ReviewSplit = 'train' | 'val' | 'test';
export interface LoadOpts {
  valFraction?: number;
  valSeed?: number;
}

/** Fields a detection-folder loader may keep on its images beyond DetectionImage (file name, COCO id). */
type SourcedImage = DetectionImage & { fileName?: string; cocoId?: number };

export interface SplitSource {
  ds: DetectionDataset;
  images: DetectionImage[];
  /** the split's images as annotations (the dataset's own boxes), COCO image ids 1..n in split order unless kept */
  ann: DetectionAnnotations;
  /** ids of every image of the dataset, whatever its split */
  allIds: Set<string>;
}

function annotated(im: SourcedImage, i: number): AnnotatedImage {
  const boxes = (im.boxes ?? []).map((b) => ({ ...b }));
  return {
    id: im.id,
    fileName: im.fileName ?? `${im.id}.png`,
    width: im.width,
    height: im.height,
    channels: im.channels,
    labels: labelsOf(boxes),
    boxes,
    ...(im.difficulty !== undefined ? { difficulty: im.difficulty } : {}),
    cocoId: im.cocoId ?? i + 1,
  };
}

/** A dataset ref as stored: folders as absolute paths (the CLI and the studio may start in other folders). */
export function canonicalData(data: string): string {
  return existsSync(data) ? resolve(data) : data;
}

export async function loadSplit(data: string, split: ReviewSplit, opts: LoadOpts): Promise<SplitSource> {
  const ds = await openDataset(data, { valFraction: opts.valFraction, valSeed: opts.valSeed });
  if (ds.task !== 'detection') throw new UserError(`review needs a detection dataset; ${ds.ref} is a ${ds.task} dataset`);
  const categoryIds = (ds as DetectionDataset & { categoryIds?: number[] }).categoryIds ?? ds.classNames.map((_, i) => i + 1);
  const images = ds[split].images;
  return {
    ds,
    images,
    // results files name images by these ids: what `wsod` writes for a split (1..n in split order), and for an
    // unsplit part (test) the ids of its instances file
    ann: { classNames: ds.classNames, categoryIds, images: (images as SourcedImage[]).map(annotated) },
    allIds: new Set([...ds.train.images, ...ds.val.images, ...ds.test.images].map((im) => im.id)),
  };
}

export function groundTruthOf(images: readonly DetectionImage[]): GroundTruthBox[] {
  return images.flatMap((im) =>
    (im.boxes ?? []).map((b) => ({ imageId: im.id, label: b.label, box: { x1: b.x1, y1: b.y1, x2: b.x2, y2: b.y2 }, ...(b.difficult ? { difficult: true } : {}) })),
  );
}

/** The COCO results file a `detections` argument names: the file itself, or a wsod run folder's detections-<split>.json. */
export function detectionsFile(path: string, split: ReviewSplit): string {
  const p = resolve(path);
  if (!existsSync(p)) throw new UserError('no such file or folder (expected a COCO results JSON or a wsod run folder)', p);
  if (!statSync(p).isDirectory()) return p;
  const f = join(p, `detections-${split}.json`);
  if (!existsSync(f)) throw new UserError(`has no detections-${split}.json (run \`layerlens wsod detect\` or evaluate the run on ${split} first)`, p);
  return f;
}

/** The results file's detections; its image ids must be the split's (its COCO ids, or our string ids). */
export async function readDetections(file: string, src: SplitSource): Promise<Detection[]> {
  return readCocoResults(file, src.ann);
}
