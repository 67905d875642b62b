import type { DatasetEntry } from '../../shared/api';

/** One side of a dataset: `n` examples, pixels NHWC in [0,1], one class id per example. */
export interface Split {
  x: Float32Array;
  y: Uint8Array;
  n: number;
}

/** What every dataset has, whatever its task: a name, classes, and three seeded splits with their seeds. */
interface DatasetBase<S extends { n: number }> {
  ref: string;
  name: string;
  classes: number;
  classNames: string[];
  /** what is left of the source's train part once val is carved out: what models train on */
  train: S;
  /** carved from the source's train part (seeded): what every selection reads */
  val: S;
  /** touched only for the figures a result reports */
  test: S;
  /** Seed of the train/test split, so a run can be reproduced. */
  splitSeed: number;
  /** share of the source's train part that became val, and the seed that chose it */
  valFraction: number;
  valSeed: number;
}

/** Images of one size, one class id each. */
export interface ClassificationDataset extends DatasetBase<Split> {
  task: 'classification';
  /** [height, width, channels] of one example. */
  shape: [number, number, number];
}

/** A box in pixels of its image (x2, y2 exclusive), VOC-style `difficult` boxes are ignored by scoring. */
export interface Box {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  label: number;
  difficult?: boolean;
}

/** One detection image: its own size, image-level labels, and boxes where the source has them. */
export interface DetectionImage {
  id: string;
  width: number;
  height: number;
  channels: number;
  /** HWC bytes; absent when a loader only needs labels (pixels then come from `id` on demand) */
  pixels?: Uint8Array;
  /** distinct class ids present in the image */
  labels: number[];
  boxes?: Box[];
  /** how hard the image was made to be, where a generator recorded it (the cluttered-digit benchmark) */
  difficulty?: number;
  /** the source's own file name and COCO image id, kept so that results files written by any tool match */
  fileName?: string;
  cocoId?: number;
}
/** @public a detection split; the VOC/COCO loaders and detection metrics take it */
export interface DetectionSplit {
  n: number;
  images: DetectionImage[];
}
export interface DetectionDataset extends DatasetBase<DetectionSplit> {
  task: 'detection';
  /** the source's COCO category id of each class (results files name classes by them); default i + 1 */
  categoryIds?: number[];
}

/** One clip: `frames` frames of `shape`, one (fine) label. */
export interface Clip {
  id: string;
  frames: number;
  shape: [number, number, number];
  /** frames × HWC bytes; absent when a loader reads frames on demand */
  pixels?: Uint8Array;
  label: number;
}
/** @public a video split; the frame-folder loader and clip metrics take it */
export interface VideoSplit {
  n: number;
  clips: Clip[];
}
export interface VideoDataset extends DatasetBase<VideoSplit> {
  task: 'video';
  /** optional coarse→fine hierarchy: coarse class names and, per fine class, its coarse class */
  hierarchy?: { coarseNames: string[]; coarseOf: number[] };
}

/** Every dataset, discriminated by what it is for; code that needs one kind asks `task`. */
export type Dataset = ClassificationDataset | DetectionDataset | VideoDataset;

export interface LoadOptions {
  /** Where built-in datasets keep their binary cache; default $LAYERLENS_CACHE or ~/.cache/layerlens. */
  cacheDir?: string;
  /** Image folders only: resize every image to [height, width] instead of the first image's size. */
  size?: [number, number];
  /** share of the train part carved out as val (default 0.1) and its seed (default 4321) */
  valFraction?: number;
  valSeed?: number;
}

/** What the contract lists for a built-in dataset. */
export type BuiltinInfo = DatasetEntry;

/** Compact form the built-ins are built into and cached as: uint8 pixels, values 0..255. */
export interface RawSplit {
  x: Uint8Array;
  y: Uint8Array;
  n: number;
}
