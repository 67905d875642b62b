/** mEAS rankings of a split under a trained run (`wsod rank`, the `wsod.rankings` method), and one energy map. */
import type { RankedItem, WsodRankings, EnergyMap } from '../../../shared/api-wsod';
import { initBackend } from '../../backend';
import { UserError } from '../../core/errors';
import type { DetectionImage } from '../../data/types';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadDetector, readMeta, scoreImages, withPixels, type Detector } from '../../wsod/detector';
import { DEFAULT_TAUS, energyMap, spearman } from '../../wsod/meas';
import { boxIoU } from '../../wsod/proposals';
import { rankPairs } from '../../wsod/train';
import { openDetectionData, runDirOf } from './eval';

/** Energy maps use one cell per pixel pair (48 × 48 on the 96-pixel benchmark). */
const ENERGY_CELL = 2;

export function gridOf(im: Pick<DetectionImage, 'width' | 'height'>): number {
  return Math.max(1, Math.round(Math.max(im.width, im.height) / ENERGY_CELL));
}

const finiteOr = (v: number, or: number) => (Number.isFinite(v) ? v : or);

/**
 * Rankings of `images` under the detector's WSDDN scores: mEAS per (image, positive class), rank and group per
 * class, top-box IoU against ground truth where the images have boxes, and the two Spearman correlations.
 * `ranksByStage` (keys `${index}:${class}`) adds each item's rank at every curriculum stage.
 */
export function buildRankings(det: Detector, model: string, split: WsodRankings['split'], images: readonly DetectionImage[], groups: number, ranksByStage?: Record<string, number>[]): WsodRankings {
  const C = det.meta.classNames.length;
  const px = images.map(withPixels);
  const grid = px.length ? gridOf(px[0]) : 1;
  const entries = rankPairs(px, scoreImages(det, px), C, groups, grid, DEFAULT_TAUS);
  const items: RankedItem[] = entries.map((e) => {
    const im = images[e.image];
    const gt = (im.boxes ?? []).filter((b) => b.label === e.class);
    const key = `${e.image}:${e.class}`;
    return {
      image: im.id,
      class: e.class,
      meas: e.meas,
      eas: e.eas,
      group: e.group,
      rank: e.rank,
      ...(ranksByStage?.length ? { rankByStage: [...ranksByStage.map((r) => r[key] ?? -1), e.rank] } : {}),
      topBox: { ...e.top },
      topIoU: gt.length ? Math.max(...gt.map((b) => boxIoU(e.top, b))) : null,
      difficulty: im.difficulty ?? null,
    };
  });
  const withIoU = items.filter((i) => i.topIoU !== null);
  const withD = items.filter((i) => i.difficulty !== null);
  return {
    model,
    split,
    classNames: det.meta.classNames,
    taus: [...DEFAULT_TAUS],
    groups,
    items,
    spearmanIoU: finiteOr(spearman(withIoU.map((i) => i.meas), withIoU.map((i) => i.topIoU as number)), 0),
    spearmanDifficulty: withD.length ? finiteOr(spearman(withD.map((i) => i.meas), withD.map((i) => i.difficulty as number)), 0) : null,
  };
}

interface RankRequest {
  model: string;
  data: string;
  split: WsodRankings['split'];
  valFraction?: number;
  valSeed?: number;
}

export async function rankings(req: RankRequest): Promise<WsodRankings> {
  const dir = runDirOf(req.model);
  // the run's own train ranking (with the rank at every curriculum stage) when asked for exactly that
  const saved = join(dir, 'rankings.json');
  const meta = readMeta(dir);
  const run = (meta.config ?? {}) as { data?: string; valFraction?: number; valSeed?: number; limit?: number };
  const trainedOn = run.data;
  const sameSplit = req.valFraction === run.valFraction && req.valSeed === run.valSeed && run.limit === undefined;
  if (req.split === 'train' && sameSplit && trainedOn && resolve(trainedOn) === resolve(req.data) && existsSync(saved)) {
    return JSON.parse(readFileSync(saved, 'utf8')) as WsodRankings;
  }
  await initBackend();
  const det = await loadDetector(dir);
  const ds = await openDetectionData(req.data, req);
  const groups = typeof det.meta.config === 'object' && det.meta.config && 'groups' in det.meta.config ? Number((det.meta.config as { groups: number }).groups) : 3;
  return buildRankings(det, dir, req.split, ds[req.split].images, groups);
}

export async function energy(req: RankRequest & { image: string; class: number }): Promise<EnergyMap> {
  await initBackend();
  const dir = runDirOf(req.model);
  const det = await loadDetector(dir);
  const ds = await openDetectionData(req.data, req);
  const im = ds[req.split].images.find((i) => i.id === req.image);
  if (!im) throw new UserError(`no image "${req.image.slice(0, 200)}" in the ${req.split} split`, req.data);
  const C = det.meta.classNames.length;
  if (req.class >= C) throw new UserError(`class ${req.class} is not one of the run's ${C} classes`, dir);
  const [s] = scoreImages(det, [im]);
  const col = Array.from({ length: s.boxes.length }, (_, r) => s.wsddn[r * C + req.class]);
  let top = 0;
  for (let r = 1; r < col.length; r++) if (col[r] > col[top]) top = r;
  const grid = gridOf(im);
  return {
    image: im.id,
    class: req.class,
    width: im.width,
    height: im.height,
    gridW: grid,
    gridH: grid,
    values: Array.from(energyMap(s.boxes, col, im.width, im.height, grid, grid)),
    topBox: { ...s.boxes[top] },
  };
}
