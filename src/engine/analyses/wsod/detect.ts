/** `wsod detect`: run a trained detector over a detection dataset's split or a plain folder of images; write COCO results JSON. */
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import type { z } from 'zod';
import type { WsodDetectConfig as DetectSchema, WsodDetectResult } from '../../../shared/api-wsod';
import { initBackend } from '../../backend';
import type { RunContext } from '../../core/context';
import { throwIfCancelled } from '../../core/context';
import { UserError } from '../../core/errors';
import { idOfFile } from '../../data/detection/annotations';
import { readImagePixels } from '../../data/detection/images';
import { detectionFormatOf } from '../../data/detection/folder';
import type { DetectionImage } from '../../data/types';
import { detectionsOf, loadDetector, scoreImages } from '../../wsod/detector';
import { openDetectionData, runDirOf, writeDetections } from './eval';

export type WsodDetectConfig = z.output<typeof DetectSchema>;

const IMAGE_EXT = new Set(['.png', '.jpg', '.jpeg']);

/** Every PNG/JPEG directly in a folder, as label-less detection images (sorted by name). */
async function plainImages(dir: string): Promise<DetectionImage[]> {
  const files = readdirSync(dir).filter((f) => IMAGE_EXT.has(extname(f).toLowerCase())).sort();
  if (!files.length) throw new UserError('holds no .png/.jpg images and is not a detection dataset', dir);
  return Promise.all(
    files.map(async (f) => {
      const px = await readImagePixels(join(dir, f));
      return { id: idOfFile(f), width: px.width, height: px.height, channels: px.channels, pixels: px.data, labels: [] };
    }),
  );
}

export async function run(config: WsodDetectConfig, ctx: RunContext): Promise<WsodDetectResult> {
  await initBackend();
  ctx.progress({ fraction: 0, stage: 'loading' });
  const det = await loadDetector(runDirOf(config.model));
  const ref = resolve(config.images);
  // a COCO/VOC folder (or any dataset ref) gives its split; any other folder is read as plain images
  const plain = existsSync(ref) && statSync(ref).isDirectory() && detectionFormatOf(ref) === null;
  const images = plain ? await plainImages(ref) : (await openDetectionData(config.images, config))[config.split].images;
  const channels = (det.backbone.inputs[0].shape[3] as number | null) ?? images[0]?.channels;
  const bad = images.find((im) => im.channels !== channels);
  if (bad) throw new UserError(`has ${bad.channels} channel(s); the detector reads ${channels}`, bad.id);
  const dets = [];
  const step = 64;
  for (let s = 0; s < images.length; s += step) {
    throwIfCancelled(ctx);
    const part = images.slice(s, s + step);
    for (const d of detectionsOf(det, scoreImages(det, part), config.minScore)) dets.push({ ...d, image: d.image + s });
    ctx.progress({ fraction: Math.min(1, (s + part.length) / images.length) * 0.95, stage: `detecting (${s + part.length}/${images.length})` });
  }
  const out = resolve(config.out.endsWith('.json') ? config.out : join(config.out, 'detections.json'));
  mkdirSync(dirname(out), { recursive: true });
  await writeDetections(out, images, dets, det.meta.classNames);
  ctx.progress({ fraction: 1, stage: 'done', metrics: { detections: dets.length } });
  return { out, images: images.length, detections: dets.length };
}
