/** `wsod eval`: score a run folder (or a compressed copy of its models) on val or test with mAP@0.5 and CorLoc. */
import { join, resolve } from 'node:path';
import { existsSync, statSync } from 'node:fs';
import type { z } from 'zod';
import type { WsodEvalConfig as EvalSchema, WsodEvalResult } from '../../../shared/api-wsod';
import { backendName, initBackend } from '../../backend';
import type { RunContext } from '../../core/context';
import { UserError } from '../../core/errors';
import { openDataset, type DetectionDataset } from '../../data';
import type { DetectionImage } from '../../data/types';
import { writeCocoResults } from '../../data/detection/coco';
import type { DetectionAnnotations } from '../../data/detection/annotations';
import { detectionsOf, loadDetector, scoreImages, type Detector, type RawDetection } from '../../wsod/detector';
import { contractDetections, scoresOf } from '../../wsod/evaluate';

export type WsodEvalConfig = z.output<typeof EvalSchema>;

/** The detection dataset behind a ref, or a one-line error naming its task. */
export async function openDetectionData(ref: string, opts: { valFraction?: number; valSeed?: number }): Promise<DetectionDataset> {
  const ds = await openDataset(ref, opts);
  if (ds.task !== 'detection') throw new UserError(`wsod needs a detection dataset; ${ds.ref} is a ${ds.task} dataset`);
  return ds;
}

/** A run folder from a ref that may also name a model.json or wsod.json inside it. */
export function runDirOf(ref: string): string {
  const p = resolve(ref);
  if (existsSync(p) && statSync(p).isDirectory()) return p;
  return p.endsWith('wsod.json') ? resolve(p, '..') : resolve(p, '..', '..');
}

/** Annotations for a COCO results file of one split: the source's COCO ids where it has them (else 1..n in split order), categories 1..C. */
function splitAnnotations(images: readonly DetectionImage[], classNames: string[]): DetectionAnnotations {
  return {
    classNames,
    categoryIds: classNames.map((_, c) => c + 1),
    images: images.map((im, i) => ({ id: im.id, fileName: im.fileName ?? `${im.id}.png`, width: im.width, height: im.height, labels: im.labels, boxes: im.boxes ?? [], cocoId: im.cocoId ?? i + 1 })),
  };
}

export async function writeDetections(file: string, images: readonly DetectionImage[], dets: readonly RawDetection[], classNames: string[]): Promise<void> {
  await writeCocoResults(file, contractDetections(images, dets), splitAnnotations(images, classNames));
}

/** Detections of a detector on images, and the scores they earn. */
export function evaluateOn(det: Detector, split: 'train' | 'val' | 'test', images: readonly DetectionImage[], minScore = 0) {
  const dets = detectionsOf(det, scoreImages(det, images), minScore);
  return { dets, scores: scoresOf(split, images, dets, det.meta.classNames) };
}

export async function run(config: WsodEvalConfig, ctx: RunContext): Promise<WsodEvalResult> {
  await initBackend();
  ctx.progress({ fraction: 0, stage: 'loading' });
  const dir = runDirOf(config.model);
  const det = await loadDetector(dir);
  const ds = await openDetectionData(config.data, config);
  const images = ds[config.split].images.slice(0, config.limit ?? Infinity);
  ctx.progress({ fraction: 0.1, stage: `detecting on ${images.length} ${config.split} images` });
  const { dets, scores } = evaluateOn(det, config.split, images);
  const out = ctx.workDir ?? dir;
  const detectionsPath = join(out, `detections-${config.split}${ctx.workDir ? '' : '-eval'}.json`);
  await writeDetections(detectionsPath, images, dets, det.meta.classNames);
  ctx.progress({ fraction: 1, stage: 'done', metrics: { mAP50: scores.mAP50, corloc: scores.corloc } });
  return { ...scores, model: dir, detectionsPath, backend: backendName() };
}
