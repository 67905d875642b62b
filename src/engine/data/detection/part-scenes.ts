/**
 * Part scenes: data where a small part decides the class. Every scene holds a large "body" (a real digit of one
 * fixed source class, the same for all classes), a small distinctive part attached at a random place on the
 * body's outline (a digit of the class's own source class) and 0–`maxDistractors` small distractor parts (digits
 * of shared source classes, the same pool for every class) anywhere else. Image label = the part's class.
 *
 * Boxes: the detection folder carries the distinctive part's box (what CorLoc scores); `parts.json` beside the
 * annotations keeps every part box with its kind (part / body / distractor) for evaluation only (cluster purity).
 * Train scenes draw digits from the source's train (+ val) images, test scenes from its test images. Seeded.
 */
import { makeRng } from '../../core/random';
import { openDataset } from '../index';
import type { Box, DetectionImage } from '../types';
import { digitOf, inkBox, paste, resize, toPool, type Pool } from './clutter';

export interface PartScenesConfig {
  source: 'mnist' | 'fashion-mnist';
  /** number of classes (each owns one distinctive part class of the source) */
  classes: number;
  images: number;
  testImages: number;
  /** canvas side in pixels */
  size: number;
  maxDistractors: number;
  seed: number;
}

type PartKind = 'part' | 'body' | 'distractor';
/** One hidden part box: what it is, and for a distinctive part its class. */
export interface PartBox extends Box {
  kind: PartKind;
}
interface PartSceneImage extends DetectionImage {
  pixels: Uint8Array;
  parts: PartBox[];
}
export interface PartScenes {
  classNames: string[];
  /** source classes: body, one per class, distractors */
  sourceClasses: { body: number; parts: number[]; distractors: number[] };
  train: PartSceneImage[];
  test: PartSceneImage[];
}

/** The sidecar file with the hidden part boxes (image id → boxes). */
export const PARTS_FILE = 'parts.json';

const SIDE = 28;
const between = (rng: () => number, lo: number, hi: number): number => lo + rng() * (hi - lo);
const overlaps = (a: Box, b: Box): boolean => Math.min(a.x2, b.x2) > Math.max(a.x1, b.x1) && Math.min(a.y2, b.y2) > Math.max(a.y1, b.y1);

/** Source class roles: body = 0, distinctive parts = 1..C, distractors = the last three (never a part). */
function sourceRoles(classes: number): PartScenes['sourceClasses'] {
  if (classes < 2 || classes > 6) throw new Error(`part scenes take 2..6 classes, got ${classes}`);
  return { body: 0, parts: Array.from({ length: classes }, (_, c) => c + 1), distractors: [7, 8, 9] };
}

/** A resized source digit with its ink box inside the patch (null when it has no ink). */
function glyph(pool: Pool, rng: () => number, cls: number, side: number) {
  const list = pool.byClass[cls];
  const patch = resize(digitOf(pool, list[Math.floor(rng() * list.length)]), SIDE, SIDE, side, side);
  const ink = inkBox(patch, side, side);
  return ink ? { patch, ink } : null;
}

function compose(rng: () => number, pool: Pool, cfg: PartScenesConfig, roles: PartScenes['sourceClasses'], id: string): PartSceneImage {
  const { size } = cfg;
  const canvas = new Uint8Array(size * size);
  const label = Math.floor(rng() * cfg.classes);
  const parts: PartBox[] = [];
  const at = (ox: number, oy: number, ink: { x1: number; y1: number; x2: number; y2: number }, kind: PartKind, l: number): PartBox => ({ x1: ox + ink.x1, y1: oy + ink.y1, x2: ox + ink.x2, y2: oy + ink.y2, label: l, kind });

  // body: about half the canvas, kept a part's width away from the border so the part fits on any side
  const bodySide = Math.round(size * between(rng, 0.5, 0.6));
  const partSide = Math.round(size * between(rng, 0.28, 0.32));
  let body = glyph(pool, rng, roles.body, bodySide);
  for (let t = 0; !body && t < 5; t++) body = glyph(pool, rng, roles.body, bodySide);
  const margin = Math.round(partSide * 0.6);
  const bx = Math.floor(between(rng, margin - body!.ink.x1, size - margin - body!.ink.x2 + 1));
  const by = Math.floor(between(rng, margin - body!.ink.y1, size - margin - body!.ink.y2 + 1));
  const bodyBox = at(bx, by, body!.ink, 'body', label);
  paste(canvas, size, body!.patch, bodySide, bodySide, bx, by);
  parts.push(bodyBox);

  // the distinctive part: centred on a random point of the body box's outline
  const part = glyph(pool, rng, roles.parts[label], partSide) ?? glyph(pool, rng, roles.parts[label], partSide)!;
  const t = rng() * 4;
  const side = Math.floor(t);
  const f = t - side;
  const cx = side === 0 || side === 2 ? bodyBox.x1 + f * (bodyBox.x2 - bodyBox.x1) : side === 1 ? bodyBox.x2 : bodyBox.x1;
  const cy = side === 1 || side === 3 ? bodyBox.y1 + f * (bodyBox.y2 - bodyBox.y1) : side === 2 ? bodyBox.y2 : bodyBox.y1;
  const iw = part.ink.x2 - part.ink.x1;
  const ih = part.ink.y2 - part.ink.y1;
  const px = Math.min(size - part.ink.x2, Math.max(-part.ink.x1, Math.round(cx - iw / 2 - part.ink.x1)));
  const py = Math.min(size - part.ink.y2, Math.max(-part.ink.y1, Math.round(cy - ih / 2 - part.ink.y1)));
  const partBox = at(px, py, part.ink, 'part', label);
  paste(canvas, size, part.patch, partSide, partSide, px, py);
  parts.push(partBox);

  // shared distractors, off the body and the part
  const wanted = Math.floor(rng() * (cfg.maxDistractors + 1));
  for (let k = 0; k < wanted; k++) {
    const cls = roles.distractors[Math.floor(rng() * roles.distractors.length)];
    const g = glyph(pool, rng, cls, Math.round(size * between(rng, 0.28, 0.32)));
    if (!g) continue;
    const s = Math.round(Math.sqrt(g.patch.length));
    for (let tries = 0; tries < 20; tries++) {
      const ox = Math.floor(between(rng, -g.ink.x1, size - g.ink.x2 + 1));
      const oy = Math.floor(between(rng, -g.ink.y1, size - g.ink.y2 + 1));
      const box = at(ox, oy, g.ink, 'distractor', cls);
      if (parts.some((p) => overlaps(p, box))) continue;
      paste(canvas, size, g.patch, s, s, ox, oy);
      parts.push(box);
      break;
    }
  }
  for (let i = 0; i < canvas.length; i++) canvas[i] = Math.min(255, canvas[i] + Math.floor(rng() * 12));
  const boxes: Box[] = [{ x1: partBox.x1, y1: partBox.y1, x2: partBox.x2, y2: partBox.y2, label }];
  return { id, width: size, height: size, channels: 1, pixels: canvas, labels: [label], boxes, parts };
}

/** Generates the scenes in memory (what `parts data` writes to disk). */
export async function generatePartScenes(cfg: PartScenesConfig): Promise<PartScenes> {
  const roles = sourceRoles(cfg.classes);
  const src = await openDataset(cfg.source);
  if (src.task !== 'classification') throw new Error(`${cfg.source} is not a classification dataset`);
  const trainPool = toPool([src.train, src.val], src.classes);
  const testPool = toPool([src.test], src.classes);
  const part = (pool: Pool, n: number, prefix: string, seed: number): PartSceneImage[] => {
    const rng = makeRng(seed);
    return Array.from({ length: n }, (_, i) => compose(rng, pool, cfg, roles, `${prefix}_${String(i).padStart(6, '0')}`));
  };
  return {
    classNames: roles.parts.map((p) => `${src.classNames[p]}-part`),
    sourceClasses: roles,
    train: part(trainPool, cfg.images, 'train', cfg.seed * 2 + 1),
    test: part(testPool, cfg.testImages, 'test', cfg.seed * 2 + 2),
  };
}
