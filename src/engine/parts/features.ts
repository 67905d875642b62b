/**
 * Candidate regions and their features. Regions are multi-scale square windows (side/3 step) that hold some ink
 * (the weak-supervision proposals rank whole objects first, √area objectness, and missed a third of the parts at
 * 100 proposals on 64-px scenes); features are RoIAlign samples of the frozen,
 * classifier-pre-trained backbone's last conv map (src/engine/wsod), power- and L2-normalised. The image's
 * global feature is the same backbone pooled over the whole image on a finer grid.
 */
import type * as tf from '../backend/tf';
import type { DetectionImage } from '../data/types';
import { featureMaps, roiAlign, STRIDE, type FeatureMap } from '../wsod/model';
import type { PixelBox } from '../wsod/meas';
import { INK_THRESHOLD } from '../data/detection/clutter';

export type PixelImage = DetectionImage & { pixels: Uint8Array };

interface WindowSettings {
  /** window sides in pixels */
  sizes: number[];
  /** slide step as a share of the side */
  step: number;
  /** a window needs at least this share of its pixels above the ink threshold */
  minInk: number;
  /** at most this many windows (the inkiest kept) */
  count: number;
}

/**
 * Part-sized windows: a part's ink is about a fifth of a 64-px scene (11–15 px). Larger windows (24, 32) were tried
 * first: the exemplars then mixed part and body, and the most unusual seeds were nearly all 24-px windows.
 */
const PART_REGIONS: WindowSettings = { sizes: [12, 16, 20], step: 1 / 3, minInk: 0.04, count: 250 };

/** The windows of an image (deterministic), scanned by size then row then column. */
function windowsOf(pixels: ArrayLike<number>, width: number, height: number, channels: number, s: WindowSettings): PixelBox[] {
  // integral image of ink
  const I = new Float64Array((width + 1) * (height + 1));
  for (let y = 0; y < height; y++) {
    let row = 0;
    for (let x = 0; x < width; x++) {
      row += pixels[(y * width + x) * channels] > INK_THRESHOLD ? 1 : 0;
      I[(y + 1) * (width + 1) + x + 1] = I[y * (width + 1) + x + 1] + row;
    }
  }
  const ink = (b: PixelBox) => I[b.y2 * (width + 1) + b.x2] - I[b.y1 * (width + 1) + b.x2] - I[b.y2 * (width + 1) + b.x1] + I[b.y1 * (width + 1) + b.x1];
  const out: { box: PixelBox; share: number }[] = [];
  for (const side of s.sizes) {
    if (side > width || side > height) continue;
    const step = Math.max(1, Math.round(side * s.step));
    const xs: number[] = [];
    for (let x = 0; x + side <= width; x += step) xs.push(x);
    if (xs[xs.length - 1] !== width - side) xs.push(width - side);
    const ys: number[] = [];
    for (let y = 0; y + side <= height; y += step) ys.push(y);
    if (ys[ys.length - 1] !== height - side) ys.push(height - side);
    for (const y of ys) {
      for (const x of xs) {
        const box = { x1: x, y1: y, x2: x + side, y2: y + side };
        const share = ink(box) / (side * side);
        if (share >= s.minInk) out.push({ box, share });
      }
    }
  }
  if (out.length > s.count) {
    const keep = new Set([...out].sort((a, b) => b.share - a.share).slice(0, s.count));
    return out.filter((o) => keep.has(o)).map((o) => o.box);
  }
  return out.map((o) => o.box);
}

/** Region features of one image: rows of `dim` floats, one per region box. */
export interface ImageRegions {
  boxes: PixelBox[];
  x: Float32Array;
  /** the whole image's feature (`globalDim` floats) */
  global: Float32Array;
}

export interface FeatureSpec {
  regions: WindowSettings;
  /** RoI grid per region */
  grid: number;
  /** RoI grid of the whole-image (global) feature */
  globalGrid: number;
}

export const DEFAULT_FEATURES: FeatureSpec = { regions: PART_REGIONS, grid: 2, globalGrid: 4 };

/** √ then L2 per row (the features are ReLU outputs, ≥ 0): keeps a few strong channels from dominating dot products. */
function normalizeRows(x: Float32Array, dim: number): void {
  for (let off = 0; off < x.length; off += dim) {
    let s = 0;
    for (let k = 0; k < dim; k++) {
      const v = Math.sqrt(Math.max(0, x[off + k]));
      x[off + k] = v;
      s += v * v;
    }
    const n = Math.sqrt(s) || 1;
    for (let k = 0; k < dim; k++) x[off + k] /= n;
  }
}

export function regionsOf(im: PixelImage, spec: FeatureSpec): PixelBox[] {
  return windowsOf(im.pixels, im.width, im.height, im.channels, spec.regions);
}

export function featuresOf(map: FeatureMap, boxes: readonly PixelBox[], grid: number): Float32Array {
  const dim = grid * grid * map.ch;
  const x = new Float32Array(boxes.length * dim);
  roiAlign(map, boxes, grid, STRIDE, x, 0, 1);
  normalizeRows(x, dim);
  return x;
}

/** Regions and features of images through the backbone, `batch` images per backbone pass. */
export function imageRegions(backbone: tf.LayersModel, images: readonly PixelImage[], spec: FeatureSpec, batch = 32): ImageRegions[] {
  const out: ImageRegions[] = [];
  for (let s = 0; s < images.length; s += batch) {
    const part = images.slice(s, s + batch);
    const maps = featureMaps(backbone, part, batch);
    part.forEach((im, i) => {
      const boxes = regionsOf(im, spec);
      const whole: PixelBox = { x1: 0, y1: 0, x2: im.width, y2: im.height };
      out.push({ boxes, x: featuresOf(maps[i], boxes, spec.grid), global: featuresOf(maps[i], [whole], spec.globalGrid) });
    });
  }
  return out;
}

