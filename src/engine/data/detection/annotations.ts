/**
 * Detection annotations without pixels: what a COCO instances file or a VOC folder holds, in our terms
 * (class ids 0..C-1, boxes 0-based with x2/y2 exclusive). Readers and writers of both formats meet here, so an
 * export re-imports to identical objects.
 */
import type { Box } from '../types';

export interface AnnotatedImage {
  /** our id: the file name without its extension (e.g. `train_000012`) */
  id: string;
  /** the image file, relative to the image folder */
  fileName: string;
  width: number;
  height: number;
  /** channels the annotation records (VOC `depth`); absent when the format does not say */
  channels?: number;
  /** distinct class ids of the boxes */
  labels: number[];
  boxes: Box[];
  /** the generator's per-image difficulty, where the file records one */
  difficulty?: number;
  /** the COCO image id, kept so that results files written against it still match */
  cocoId?: number;
}

export interface DetectionAnnotations {
  classNames: string[];
  /** COCO category id of each class (index = our class id); VOC has none and uses 1..C */
  categoryIds: number[];
  images: AnnotatedImage[];
}

/** Distinct labels of a box list, ascending. */
export function labelsOf(boxes: readonly Box[]): number[] {
  return [...new Set(boxes.map((b) => b.label))].sort((a, b) => a - b);
}

/** Our id of an image file: its path without the extension, with forward slashes. */
export function idOfFile(fileName: string): string {
  return fileName.replace(/\\/g, '/').replace(/\.[^./]*$/, '');
}
