/**
 * The cluttered-digit detection benchmark: MNIST / Fashion-MNIST images pasted onto a dark canvas at varied
 * scales, among fragments cut from other images. Seeded and deterministic; our train part draws only from the
 * source's train (+ val) images and our test part only from its test images, so nothing leaks.
 *
 * The difficulty knob: every image draws its own d uniformly in [0, cfg.difficulty] and records it. Higher d
 *  - widens the object scale range towards small objects (on a 96 canvas: ~30–40 px at d = 0, ~20–44 px at d = 1);
 *  - allows more overlap between objects (IoU of their boxes up to 0.05 + 0.35·d);
 *  - scatters more clutter fragments (≈ 1 + 11·d), lets more of them land on objects, and at d > 0.5 cuts some
 *    of them from the object classes themselves (look-alike parts);
 *  - raises the background noise (always below the box threshold).
 */
import { makeRng } from '../../core/random';
import { openDataset } from '../index';
import type { Box, DetectionImage } from '../types';

export interface ClutterConfig {
  source: 'mnist' | 'fashion-mnist';
  /** the first N classes of the source are objects; the others feed clutter only */
  classes: number;
  images: number;
  testImages: number;
  /** canvas side in pixels */
  size: number;
  /** the largest per-image difficulty, in [0, 1] */
  difficulty: number;
  maxObjects: number;
  seed: number;
}

export interface ClutterImage extends DetectionImage {
  pixels: Uint8Array;
  /** this image's own difficulty d in [0, cfg.difficulty] */
  difficulty: number;
}

export interface ClutterData {
  classNames: string[];
  train: ClutterImage[];
  test: ClutterImage[];
}

const SIDE = 28;
/** a pasted pixel above this counts as the object's ink (tight boxes) */
export const INK_THRESHOLD = 40;

/** Source images as bytes, grouped by class. */
export interface Pool {
  x: Uint8Array;
  byClass: number[][];
}

export function toPool(parts: { x: Float32Array; y: Uint8Array; n: number }[], classes: number): Pool {
  const n = parts.reduce((s, p) => s + p.n, 0);
  const x = new Uint8Array(n * SIDE * SIDE);
  const byClass: number[][] = Array.from({ length: classes }, () => []);
  let at = 0;
  for (const p of parts) {
    for (let i = 0; i < p.x.length; i++) x[at * SIDE * SIDE + i] = Math.round(p.x[i] * 255);
    for (let i = 0; i < p.n; i++) byClass[p.y[i]].push(at + i);
    at += p.n;
  }
  return { x, byClass };
}

/** Bilinear resize of a w×h byte image to tw×th. */
export function resize(src: Uint8Array, w: number, h: number, tw: number, th: number): Uint8Array {
  const out = new Uint8Array(tw * th);
  const sx = w / tw;
  const sy = h / th;
  for (let y = 0; y < th; y++) {
    const fy = Math.min(h - 1, Math.max(0, (y + 0.5) * sy - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(h - 1, y0 + 1);
    const wy = fy - y0;
    for (let x = 0; x < tw; x++) {
      const fx = Math.min(w - 1, Math.max(0, (x + 0.5) * sx - 0.5));
      const x0 = Math.floor(fx);
      const x1 = Math.min(w - 1, x0 + 1);
      const wx = fx - x0;
      const top = src[y0 * w + x0] * (1 - wx) + src[y0 * w + x1] * wx;
      const bottom = src[y1 * w + x0] * (1 - wx) + src[y1 * w + x1] * wx;
      out[y * tw + x] = Math.round(top * (1 - wy) + bottom * wy);
    }
  }
  return out;
}

/** Tight box of the pixels above the ink threshold, or null when there are none. */
export function inkBox(img: Uint8Array, w: number, h: number): { x1: number; y1: number; x2: number; y2: number } | null {
  let x1 = w;
  let y1 = h;
  let x2 = -1;
  let y2 = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (img[y * w + x] > INK_THRESHOLD) {
        if (x < x1) x1 = x;
        if (x > x2) x2 = x;
        if (y < y1) y1 = y;
        if (y > y2) y2 = y;
      }
    }
  }
  return x2 < 0 ? null : { x1, y1, x2: x2 + 1, y2: y2 + 1 };
}

function iou(a: Box, b: Box): number {
  const iw = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
  const ih = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  return inter / ((a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter);
}

/** Max-composites a w×h patch at (ox, oy), clipped to the canvas, scaled by `gain`. */
export function paste(canvas: Uint8Array, size: number, patch: Uint8Array, w: number, h: number, ox: number, oy: number, gain = 1): void {
  for (let y = 0; y < h; y++) {
    const cy = oy + y;
    if (cy < 0 || cy >= size) continue;
    for (let x = 0; x < w; x++) {
      const cx = ox + x;
      if (cx < 0 || cx >= size) continue;
      const v = gain === 1 ? patch[y * w + x] : Math.round(patch[y * w + x] * gain);
      const at = cy * size + cx;
      if (v > canvas[at]) canvas[at] = v;
    }
  }
}

const pick = <T>(rng: () => number, items: readonly T[]): T => items[Math.floor(rng() * items.length)];
const between = (rng: () => number, lo: number, hi: number): number => lo + rng() * (hi - lo);

export function digitOf(pool: Pool, index: number): Uint8Array {
  return pool.x.subarray(index * SIDE * SIDE, (index + 1) * SIDE * SIDE);
}

/** A crop of a source image with some ink in it (a few tries), resized to `side`-ish pixels. */
function fragment(rng: () => number, digit: Uint8Array, scale: number): { patch: Uint8Array; w: number; h: number } {
  let best: { crop: Uint8Array; cw: number; ch: number; ink: number } | null = null;
  for (let t = 0; t < 4; t++) {
    const cw = 8 + Math.floor(rng() * 7);
    const ch = 8 + Math.floor(rng() * 7);
    const cx = Math.floor(rng() * (SIDE - cw + 1));
    const cy = Math.floor(rng() * (SIDE - ch + 1));
    const crop = new Uint8Array(cw * ch);
    let ink = 0;
    for (let y = 0; y < ch; y++) {
      for (let x = 0; x < cw; x++) {
        const v = digit[(cy + y) * SIDE + cx + x];
        crop[y * cw + x] = v;
        if (v > INK_THRESHOLD) ink++;
      }
    }
    if (!best || ink > best.ink) best = { crop, cw, ch, ink };
    if (ink >= (cw * ch) / 5) break;
  }
  const { crop, cw, ch } = best!;
  const w = Math.max(2, Math.round(cw * scale));
  const h = Math.max(2, Math.round(ch * scale));
  return { patch: resize(crop, cw, ch, w, h), w, h };
}

function compose(rng: () => number, pool: Pool, cfg: ClutterConfig, id: string): ClutterImage {
  const { size, classes } = cfg;
  const d = rng() * cfg.difficulty;
  const canvas = new Uint8Array(size * size);
  const boxes: Box[] = [];

  // objects
  const lo = size * (0.34 - 0.13 * d);
  const hi = size * (0.42 + 0.04 * d);
  const maxIoU = 0.05 + 0.35 * d;
  const wanted = 1 + Math.floor(rng() * cfg.maxObjects);
  const placed: { patch: Uint8Array; side: number; ox: number; oy: number }[] = [];
  for (let k = 0; k < wanted; k++) {
    const label = Math.floor(rng() * classes);
    const side = Math.round(between(rng, lo, hi));
    const patch = resize(digitOf(pool, pick(rng, pool.byClass[label])), SIDE, SIDE, side, side);
    const ink = inkBox(patch, side, side);
    if (!ink) continue;
    for (let t = 0; t < 30; t++) {
      // the ink box, not the padded square, must lie inside the canvas
      const ox = Math.floor(between(rng, -ink.x1, size - ink.x2 + 1));
      const oy = Math.floor(between(rng, -ink.y1, size - ink.y2 + 1));
      const box: Box = { x1: ox + ink.x1, y1: oy + ink.y1, x2: ox + ink.x2, y2: oy + ink.y2, label };
      if (boxes.some((b) => iou(b, box) > maxIoU)) continue;
      boxes.push(box);
      placed.push({ patch, side, ox, oy });
      break;
    }
  }
  for (const p of placed) paste(canvas, size, p.patch, p.side, p.side, p.ox, p.oy);
  // max-compositing can merge a neighbour's ink into a box only where boxes overlap; the boxes stay each digit's own

  // clutter: fragments of the other classes (and, at high d, of the object classes)
  const otherClasses = Array.from({ length: pool.byClass.length - classes }, (_, i) => classes + i).filter((c) => pool.byClass[c].length > 0);
  const fragments = Math.floor(1 + 11 * d * (0.5 + rng()));
  for (let f = 0; f < fragments; f++) {
    const lookAlike = otherClasses.length === 0 || (d > 0.5 && rng() < d - 0.5);
    const cls = lookAlike ? Math.floor(rng() * classes) : pick(rng, otherClasses);
    const { patch, w, h } = fragment(rng, digitOf(pool, pick(rng, pool.byClass[cls])), between(rng, lo, hi) / SIDE);
    const gain = between(rng, 0.6, 1);
    // at low d a fragment keeps off the objects; at high d it may land on them
    const mayTouch = rng() < d;
    for (let t = 0; t < 12; t++) {
      const ox = Math.floor(rng() * (size - w + 1));
      const oy = Math.floor(rng() * (size - h + 1));
      const r = { x1: ox, y1: oy, x2: ox + w, y2: oy + h, label: 0 };
      if (!mayTouch && boxes.some((b) => iou(b, r) > 0)) continue;
      paste(canvas, size, patch, w, h, ox, oy, gain);
      break;
    }
  }

  // mild noise, always below the ink threshold
  const amp = 6 + 18 * d;
  for (let i = 0; i < canvas.length; i++) {
    const v = canvas[i] + Math.floor(rng() * amp);
    canvas[i] = v > 255 ? 255 : v;
  }

  const labels = [...new Set(boxes.map((b) => b.label))].sort((a, b) => a - b);
  return { id, width: size, height: size, channels: 1, pixels: canvas, labels, boxes, difficulty: d };
}

/** Generates the benchmark in memory (what `wsod data` writes to disk). */
export async function generateClutter(cfg: ClutterConfig): Promise<ClutterData> {
  const src = await openDataset(cfg.source);
  if (src.task !== 'classification') throw new Error(`${cfg.source} is not a classification dataset`);
  if (cfg.classes < 1 || cfg.classes > src.classes) throw new Error(`classes must be 1..${src.classes}, got ${cfg.classes}`);
  const trainPool = toPool([src.train, src.val], src.classes);
  const testPool = toPool([src.test], src.classes);
  const part = (pool: Pool, n: number, prefix: string, seed: number): ClutterImage[] => {
    const rng = makeRng(seed);
    return Array.from({ length: n }, (_, i) => compose(rng, pool, cfg, `${prefix}_${String(i).padStart(6, '0')}`));
  };
  return {
    classNames: src.classNames.slice(0, cfg.classes),
    // distinct streams for the two parts, so the test part does not change when the train size does
    train: part(trainPool, cfg.images, 'train', cfg.seed * 2 + 1),
    test: part(testPool, cfg.testImages, 'test', cfg.seed * 2 + 2),
  };
}
