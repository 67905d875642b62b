/** Shared by the parts analyses: the data, its hidden parts, features through a run's backbone, and scoring. */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { PartsScores } from '../../../shared/api-parts';
import type * as tf from '../../backend/tf';
import { UserError } from '../../core/errors';
import { openDataset, type DetectionDataset } from '../../data';
import type { DetectionImage } from '../../data/types';
import { PARTS_FILE, type PartBox } from '../../data/detection/part-scenes';
import { imageRegions, type FeatureSpec, type ImageRegions, type PixelImage } from '../../parts/features';
import type { PixelBox } from '../../wsod/meas';
import { boxIoU } from '../../wsod/proposals';
import { representations, type PartsModel } from '../../parts/pipeline';
import { classify, corlocOf, localize, top1Of } from '../../parts/represent';
import { imageResponse } from '../../parts/mine';

export async function openPartsData(ref: string, opts: { valFraction?: number; valSeed?: number }): Promise<DetectionDataset> {
  const ds = await openDataset(ref, opts);
  if (ds.task !== 'detection') throw new UserError(`parts needs a detection dataset (image labels; boxes for CorLoc); ${ds.ref} is a ${ds.task} dataset`);
  return ds;
}

export function pixelsOf(im: DetectionImage): PixelImage {
  if (!im.pixels) throw new UserError('image has no pixels loaded', im.id);
  if (im.channels !== 1) throw new UserError(`has ${im.channels} channels; the parts backbone reads grayscale images`, im.id);
  return im as PixelImage;
}

/** The hidden part boxes of a part-scenes folder (image id → boxes), or null for other data. */
export function hiddenParts(ref: string): Map<string, PartBox[]> | null {
  const file = join(resolve(ref), PARTS_FILE);
  if (!existsSync(file)) return null;
  try {
    const raw = JSON.parse(readFileSync(file, 'utf8')) as { parts: Record<string, PartBox[]> };
    return new Map(Object.entries(raw.parts));
  } catch {
    throw new UserError('is not valid JSON', file);
  }
}

/**
 * The hidden kind under a region: the part box it overlaps best (IoU ≥ 0.3) — "part", "body" or "distractor-<source
 * class>" — else "body" when its centre lies on the body, else "background".
 */
export function hiddenKind(parts: readonly PartBox[], box: PixelBox): string {
  let best: PartBox | null = null;
  let bestIoU = 0.3;
  for (const p of parts) {
    const v = boxIoU(p, box);
    if (v >= bestIoU) {
      bestIoU = v;
      best = p;
    }
  }
  if (best) return best.kind === 'distractor' ? `distractor-${best.label}` : best.kind;
  const cx = (box.x1 + box.x2) / 2;
  const cy = (box.y1 + box.y2) / 2;
  const body = parts.find((p) => p.kind === 'body');
  return body && cx >= body.x1 && cx < body.x2 && cy >= body.y1 && cy < body.y2 ? 'body' : 'background';
}

export function regionsFor(backbone: tf.LayersModel, images: readonly DetectionImage[], spec: FeatureSpec): ImageRegions[] {
  return imageRegions(backbone, images.map(pixelsOf), spec);
}

/** Scores of a fitted model on one split's regions. */
export function scoreSplit(m: PartsModel, split: PartsScores['split'], images: readonly DetectionImage[], regions: readonly ImageRegions[], pyramid: boolean, purity: number | null): PartsScores {
  const labels = images.map((im) => im.labels[0] ?? 0);
  const w = images[0]?.width ?? 0;
  const h = images[0]?.height ?? 0;
  let top1Global = 0;
  let top1Parts = 0;
  let top1Both = 0;
  if (m.classifiers && images.length) {
    const r = representations(m, regions, pyramid, w, h);
    top1Global = top1Of(classify(m.classifiers.global, r.global), labels, m.classes);
    top1Parts = top1Of(classify(m.classifiers.parts, r.parts), labels, m.classes);
    top1Both = top1Of(classify(m.classifiers.both, r.both), labels, m.classes);
  }
  const corloc = corlocOf(localize(m.detectors, regions, m.dim, m.classes), images, m.classes);
  return { split, n: images.length, top1Global, top1Parts, top1Both, corloc, purity };
}

const PATCH = 16;

/** A PATCH × PATCH grayscale crop of a box (nearest sample), base64. */
export function patchOf(im: PixelImage, box: PixelBox): string {
  const out = new Uint8Array(PATCH * PATCH);
  for (let y = 0; y < PATCH; y++) {
    const sy = Math.min(im.height - 1, Math.floor(box.y1 + ((y + 0.5) * (box.y2 - box.y1)) / PATCH));
    for (let x = 0; x < PATCH; x++) {
      const sx = Math.min(im.width - 1, Math.floor(box.x1 + ((x + 0.5) * (box.x2 - box.x1)) / PATCH));
      out[y * PATCH + x] = im.pixels[(sy * im.width + sx) * im.channels];
    }
  }
  return Buffer.from(out).toString('base64');
}

/** Best response of each detector on each image, as a z-score against its negatives. */
export function responseMatrix(m: PartsModel, images: readonly DetectionImage[], regions: readonly ImageRegions[]): PartsMetaMatrix {
  return {
    images: images.map((im) => im.id),
    labels: images.map((im) => im.labels[0] ?? -1),
    values: m.detectors.map((d) => regions.map((r) => Math.round(((imageResponse(d, r, m.dim).value - d.negMean) / (d.negStd || 1)) * 1000) / 1000)),
  };
}
type PartsMetaMatrix = { images: string[]; labels: number[]; values: number[][] };
