/** The Parts view's reads: a run folder's mining and detectors (`parts.run`), response maps on one image (`parts.respond`). */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { z } from 'zod';
import type { PartsResponses, PartsRunView, PartsPattern, PartsTrainResult, partsMethods } from '../../../shared/api-parts';
import type * as tf from '../../backend/tf';
import { initBackend } from '../../backend';
import { UserError } from '../../core/errors';
import { readImagePixels } from '../../data/detection/images';
import type { DetectionImage } from '../../data/types';
import { featureMaps } from '../../wsod/model';
import { boxIoU } from '../../wsod/proposals';
import { featuresOf, regionsOf, type ImageRegions, type PixelImage } from '../../parts/features';
import { scoreRows } from '../../parts/linear';
import { representations } from '../../parts/pipeline';
import { classify } from '../../parts/represent';
import { loadBackbone, readPartsMeta, PARTS_META, type PartsMeta } from '../../parts/store';
import { openPartsData, pixelsOf } from './common';

type RespondReq = z.output<(typeof partsMethods)['parts.respond']>;
type RunReq = z.output<(typeof partsMethods)['parts.run']>;

/** Response maps use one cell per pixel pair. */
const CELL = 2;
const GALLERY_MEMBERS = 12;

const cache = new Map<string, { mtime: number; meta: PartsMeta; backbone: tf.LayersModel }>();
async function openRun(model: string): Promise<{ dir: string; meta: PartsMeta; backbone: tf.LayersModel }> {
  const dir = resolve(model);
  const file = join(dir, PARTS_META);
  if (!existsSync(file)) throw new UserError('is not a parts run folder (no parts.json)', dir);
  const mtime = statSync(file).mtimeMs;
  const hit = cache.get(dir);
  if (hit && hit.mtime === mtime) return { dir, ...hit };
  await initBackend();
  const entry = { mtime, meta: readPartsMeta(dir), backbone: await loadBackbone(dir) };
  cache.set(dir, entry);
  return { dir, ...entry };
}

export async function runView(req: RunReq): Promise<PartsRunView> {
  const { dir, meta } = await openRun(req.model);
  const m = meta.model;
  const recordFile = join(dir, 'record.json');
  const record = existsSync(recordFile) ? (JSON.parse(readFileSync(recordFile, 'utf8')) as PartsTrainResult) : null;
  const detectorOf = new Map(m.detectors.map((d, i) => [`${d.class}:${d.cluster}`, i]));
  const patterns: PartsPattern[] = [];
  const classes = m.mining.map((cm, k) => {
    const n = cm.seeds.length;
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => cm.assign[a] - cm.assign[b] || a - b);
    const affinity: number[] = [];
    for (const i of order) for (const j of order) affinity.push(Math.round(cm.affinity[i * n + j] * 1000) / 1000);
    cm.clusters.forEach((cl, q) => {
      const rank = cm.kept.indexOf(q);
      patterns.push({
        class: cm.class,
        cluster: q,
        kept: rank >= 0,
        rank: rank >= 0 ? rank : null,
        size: cl.members.length,
        representativeness: cl.representativeness,
        discriminativeness: cl.discriminativeness,
        score: Number.isFinite(cl.score) ? cl.score : -1,
        members: cl.members.slice(0, GALLERY_MEMBERS).map((s) => ({ image: meta.trainIds[cm.seeds[s].image], box: cm.seeds[s].box, hidden: cm.seeds[s].hidden, patch: meta.patches[k]?.[s] ?? '' })),
        detector: detectorOf.get(`${cm.class}:${q}`) ?? null,
      });
    });
    return { class: cm.class, eigenvalues: cm.eigenvalues.map((v) => Math.round(v * 1e5) / 1e5), order, assign: order.map((i) => cm.assign[i]), affinity, purity: cm.purity };
  });
  // kept patterns first (by rank), then the rest by score
  patterns.sort((a, b) => a.class - b.class || (a.rank ?? 99) - (b.rank ?? 99) || b.score - a.score);
  return {
    runDir: dir,
    data: meta.data,
    classNames: meta.classNames,
    config: meta.config,
    classes,
    patterns,
    detectors: m.detectors.map((d, i) => ({ index: i, class: d.class, cluster: d.cluster, confidence: d.trace?.confidence.map((r) => r.map((v) => Math.round(v * 1000) / 1000)) ?? null })),
    matrix: meta.matrix,
    record,
  };
}

async function imageFor(req: RespondReq): Promise<PixelImage> {
  if (req.data) {
    const ds = await openPartsData(req.data, req);
    const im = ds[req.split].images.find((x: DetectionImage) => x.id === req.image);
    if (!im) throw new UserError(`no image "${req.image.slice(0, 80)}" in the ${req.split} split`, req.data);
    return pixelsOf(im);
  }
  const px = await readImagePixels(resolve(req.image));
  // the backbone reads grayscale: colour images are averaged over their channels
  const gray = new Uint8Array(px.width * px.height);
  for (let i = 0; i < gray.length; i++) {
    let s = 0;
    for (let c = 0; c < px.channels; c++) s += px.data[i * px.channels + c];
    gray[i] = Math.round(s / px.channels);
  }
  return { id: req.image, width: px.width, height: px.height, channels: 1, pixels: gray, labels: [] };
}

export async function respond(req: RespondReq): Promise<PartsResponses> {
  const { meta, backbone } = await openRun(req.model);
  const m = meta.model;
  const im = await imageFor(req);
  const boxes = regionsOf(im, meta.features);
  const [map] = featureMaps(backbone, [im]);
  const whole = { x1: 0, y1: 0, x2: im.width, y2: im.height };
  const regions: ImageRegions = { boxes, x: featuresOf(map, boxes, meta.features.grid), global: featuresOf(map, [whole], meta.features.globalGrid) };
  const chosen = req.detectors ?? m.detectors.map((_, i) => i);
  for (const d of chosen) if (d >= m.detectors.length) throw new UserError(`detector ${d} does not exist (the run has ${m.detectors.length})`, req.model);
  const gridW = Math.max(1, Math.round(im.width / CELL));
  const gridH = Math.max(1, Math.round(im.height / CELL));
  const maps = chosen.map((k) => {
    const d = m.detectors[k];
    const s = scoreRows(d, regions.x, m.dim);
    const z = Array.from(s, (v) => (v - d.negMean) / (d.negStd || 1));
    const min = z.length ? Math.min(...z) : 0;
    const values = new Array<number>(gridW * gridH).fill(min);
    boxes.forEach((b, r) => {
      for (let gy = Math.floor(b.y1 / CELL); gy < Math.min(gridH, Math.ceil(b.y2 / CELL)); gy++) {
        for (let gx = Math.floor(b.x1 / CELL); gx < Math.min(gridW, Math.ceil(b.x2 / CELL)); gx++) if (z[r] > values[gy * gridW + gx]) values[gy * gridW + gx] = z[r];
      }
    });
    const order = z.map((v, r) => [v, r] as const).sort((a, b) => b[0] - a[0]);
    const top: { box: (typeof boxes)[number]; score: number }[] = [];
    for (const [v, r] of order) {
      if (top.length >= 3) break;
      if (top.some((t) => boxIoU(t.box, boxes[r]) > 0.3)) continue;
      top.push({ box: boxes[r], score: Math.round(v * 1000) / 1000 });
    }
    return { detector: k, class: d.class, values: values.map((v) => Math.round(v * 1000) / 1000), min: Math.round(min * 1000) / 1000, max: Math.round((order[0]?.[0] ?? 0) * 1000) / 1000, top };
  });
  let classScores: PartsResponses['classScores'] = null;
  if (m.classifiers && im.width === meta.width && im.height === meta.height) {
    const r = representations(m, [regions], meta.pyramid, im.width, im.height);
    const soft = (x: Float32Array) => {
      const mx = Math.max(...x);
      const e = Array.from(x, (v) => Math.exp(v - mx));
      const t = e.reduce((a, b) => a + b, 0);
      return e.map((v) => Math.round((v / t) * 1000) / 1000);
    };
    classScores = { global: soft(classify(m.classifiers.global, r.global)), parts: soft(classify(m.classifiers.parts, r.parts)), both: soft(classify(m.classifiers.both, r.both)) };
  }
  return { image: im.id, width: im.width, height: im.height, gridW, gridH, pixels: Array.from(im.pixels), maps, classScores };
}
