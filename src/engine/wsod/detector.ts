/**
 * A trained weakly supervised detector: backbone + head models, the proposal settings, and how scores become
 * detections. `loadDetector(runDir)` reads backbone/model.json and head/model.json through the model registry,
 * so a copy of the run whose model files were replaced by compressed ones (quantized, low rank) still runs.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '../backend/tf';
import { UserError } from '../core/errors';
import type { DetectionImage } from '../data/types';
import { loadModel, saveLayersModel } from '../models/io';
import type { PixelBox } from './meas';
import { featureMaps, roiAlign, STRIDE, type Architecture, type FeatureMap } from './model';
import { nms, proposeBoxes, type ProposalSettings } from './proposals';

export interface DetectorMeta {
  version: 1;
  classNames: string[];
  arch: Architecture;
  proposals: ProposalSettings;
  /** per-class NMS IoU of the test-time detections */
  nmsIoU: number;
  /** detections kept per class and image after NMS */
  perClass: number;
  /** what else the run recorded (config, seeds, split sizes) */
  [k: string]: unknown;
}

export interface Detector {
  backbone: tf.LayersModel;
  head: tf.LayersModel;
  meta: DetectorMeta;
}

export const BACKBONE_DIR = 'backbone';
export const HEAD_DIR = 'head';
export const META_FILE = 'wsod.json';

/** An image with pixels (the detector cannot run on labels alone). */
export type PixelImage = DetectionImage & { pixels: Uint8Array };

export function withPixels(im: DetectionImage): PixelImage {
  if (!im.pixels) throw new UserError('image has no pixels loaded', im.id);
  return im as PixelImage;
}

const proposalCache = new WeakMap<DetectionImage, { key: string; boxes: PixelBox[] }>();

/** The image's proposals (memoised per image object and settings). */
export function proposalsOf(im: PixelImage, settings: ProposalSettings): PixelBox[] {
  const key = JSON.stringify(settings);
  const hit = proposalCache.get(im);
  if (hit && hit.key === key) return hit.boxes;
  const boxes = proposeBoxes(im.pixels, im.width, im.height, im.channels, settings).boxes;
  proposalCache.set(im, { key, boxes });
  return boxes;
}

/** Head outputs of one image, as probabilities. */
export interface ImageScores {
  boxes: PixelBox[];
  /** WSDDN s_rc = softmax_c(cls) · softmax_r(det), R × C */
  wsddn: Float32Array;
  /** per refinement stream: softmax over C + 1 (last = background), R × (C + 1) */
  refined: Float32Array[];
  /** what detections use: mean of the refinement streams' class columns (WSDDN's s_rc without refinement), R × C */
  final: Float32Array;
}

function softmaxRows(logits: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let c = 0; c < cols; c++) max = Math.max(max, logits[r * cols + c]);
    let sum = 0;
    for (let c = 0; c < cols; c++) sum += out[r * cols + c] = Math.exp(logits[r * cols + c] - max);
    for (let c = 0; c < cols; c++) out[r * cols + c] /= sum;
  }
  return out;
}

/** softmax over the rows of each column (proposals compete for each class). */
function softmaxCols(logits: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let c = 0; c < cols; c++) {
    let max = -Infinity;
    for (let r = 0; r < rows; r++) max = Math.max(max, logits[r * cols + c]);
    let sum = 0;
    for (let r = 0; r < rows; r++) sum += out[r * cols + c] = Math.exp(logits[r * cols + c] - max);
    for (let r = 0; r < rows; r++) out[r * cols + c] /= sum;
  }
  return out;
}

/** RoI features of one image's proposals, R × D. */
export function roiFeatures(det: Pick<Detector, 'meta'>, map: FeatureMap, boxes: readonly PixelBox[]): Float32Array {
  const g = det.meta.arch.roiGrid;
  const out = new Float32Array(boxes.length * g * g * map.ch);
  roiAlign(map, boxes, g, STRIDE, out, 0, det.meta.arch.roiSamples ?? 1);
  return out;
}

/** Head logits for a stack of RoI feature rows: one Float32Array per head output. */
export function headLogits(head: tf.LayersModel, x: Float32Array, rows: number): Float32Array[] {
  const dim = x.length / rows;
  // read the values outside tidy: tidy walks what it returns, element by element for typed arrays
  const outs = tf.tidy(() => {
    const o = head.predict(tf.tensor2d(x, [rows, dim])) as tf.Tensor | tf.Tensor[];
    return Array.isArray(o) ? o : [o];
  });
  const values = outs.map((t) => t.dataSync() as Float32Array);
  tf.dispose(outs);
  return values;
}

/** Scores of one image's proposals from the head's logits (rows of this image only). */
export function scoresFromLogits(logits: Float32Array[], boxes: PixelBox[], classes: number): ImageScores {
  const R = boxes.length;
  const cls = softmaxRows(logits[0], R, classes);
  const detp = softmaxCols(logits[1], R, classes);
  const wsddn = new Float32Array(R * classes);
  for (let i = 0; i < wsddn.length; i++) wsddn[i] = cls[i] * detp[i];
  const refined = logits.slice(2).map((l) => softmaxRows(l, R, classes + 1));
  let final = wsddn;
  if (refined.length) {
    final = new Float32Array(R * classes);
    for (const p of refined) for (let r = 0; r < R; r++) for (let c = 0; c < classes; c++) final[r * classes + c] += p[r * (classes + 1) + c] / refined.length;
  }
  return { boxes, wsddn, refined, final };
}

/** Scores of every image (features computed here in batches). */
export function scoreImages(det: Detector, images: readonly DetectionImage[], batch = 32): ImageScores[] {
  const C = det.meta.classNames.length;
  const out: ImageScores[] = [];
  for (let s = 0; s < images.length; s += batch) {
    const part = images.slice(s, s + batch).map(withPixels);
    const maps = featureMaps(det.backbone, part, batch);
    const boxes = part.map((im) => proposalsOf(im, det.meta.proposals));
    const feats = part.map((_, i) => roiFeatures(det, maps[i], boxes[i]));
    const rows = boxes.reduce((a, b) => a + b.length, 0);
    const x = new Float32Array(feats.reduce((a, f) => a + f.length, 0));
    let o = 0;
    for (const f of feats) {
      x.set(f, o);
      o += f.length;
    }
    const logits = headLogits(det.head, x, rows);
    let r0 = 0;
    part.forEach((_, i) => {
      const R = boxes[i].length;
      const mine = logits.map((l) => {
        const cols = l.length / rows;
        return l.slice(r0 * cols, (r0 + R) * cols);
      });
      out.push(scoresFromLogits(mine, boxes[i], C));
      r0 += R;
    });
  }
  return out;
}

export interface RawDetection {
  image: number;
  label: number;
  score: number;
  box: PixelBox;
}

/** Per-class NMS over every proposal, the top `perClass` per class, scores ≥ minScore. */
export function detectionsOf(det: Detector, scores: readonly ImageScores[], minScore = 0): RawDetection[] {
  const C = det.meta.classNames.length;
  const out: RawDetection[] = [];
  scores.forEach((s, image) => {
    const R = s.boxes.length;
    for (let c = 0; c < C; c++) {
      const col = new Float32Array(R);
      for (let r = 0; r < R; r++) col[r] = s.final[r * C + c];
      for (const r of nms(s.boxes, col, det.meta.nmsIoU, det.meta.perClass)) {
        if (col[r] < minScore) break;
        out.push({ image, label: c, score: col[r], box: s.boxes[r] });
      }
    }
  });
  return out;
}

/** Writes backbone/, head/ (tfjs layers models) and wsod.json into runDir. */
export async function saveDetector(det: Detector, runDir: string): Promise<void> {
  await saveLayersModel(det.backbone, join(runDir, BACKBONE_DIR));
  await saveLayersModel(det.head, join(runDir, HEAD_DIR));
  writeFileSync(join(runDir, META_FILE), JSON.stringify(det.meta, null, 2));
}

async function layersAt(dir: string, what: string): Promise<tf.LayersModel> {
  const file = join(dir, 'model.json');
  if (!existsSync(file)) throw new UserError(`is not a wsod run folder (no ${what}/model.json)`, dir);
  const m = await loadModel(file);
  if (!m.layers) throw new UserError(`${what} is not a tfjs layers model`, file);
  return m.layers;
}

export function readMeta(runDir: string): DetectorMeta {
  const file = join(runDir, META_FILE);
  if (!existsSync(file)) throw new UserError(`is not a wsod run folder (no ${META_FILE})`, runDir);
  let meta: DetectorMeta;
  try {
    meta = JSON.parse(readFileSync(file, 'utf8')) as DetectorMeta;
  } catch {
    throw new UserError('is not valid JSON', file);
  }
  if (meta.version !== 1 || !Array.isArray(meta.classNames)) throw new UserError('is not a wsod run description (version 1 with classNames)', file);
  return meta;
}

/** A run folder (or a compressed copy of it) as a detector. A path to a model.json inside it also works. */
export async function loadDetector(runDir: string): Promise<Detector> {
  const dir = runDir.endsWith('.json') && !runDir.endsWith(META_FILE) ? join(runDir, '..', '..') : runDir.endsWith(META_FILE) ? join(runDir, '..') : runDir;
  const meta = readMeta(dir);
  return { meta, backbone: await layersAt(join(dir, BACKBONE_DIR), BACKBONE_DIR), head: await layersAt(join(dir, HEAD_DIR), HEAD_DIR) };
}
