/**
 * `wsod data`: generate the cluttered-digit benchmark and write it to disk (PNG + COCO instances JSON, or VOC),
 * in the layout the detection-folder dataset kind reads back.
 */
import { resolve } from 'node:path';
import type { z } from 'zod';
import type { RunContext } from '../../core/context';
import { throwIfCancelled } from '../../core/context';
import { generateClutter } from '../../data/detection/clutter';
import { writeDetectionFolder } from '../../data/detection/folder';
import type { WsodDataConfig, WsodDataResult } from '../../../shared/api-wsod';

type Parsed = z.output<typeof WsodDataConfig>;

export async function run(config: Parsed, ctx: RunContext): Promise<WsodDataResult> {
  const out = resolve(config.out);
  ctx.progress({ fraction: 0, stage: 'generating images' });
  const data = await generateClutter(config);
  throwIfCancelled(ctx);
  ctx.progress({ fraction: 0.2, stage: `writing ${config.format.toUpperCase()} folder` });
  const every = Math.max(1, Math.floor((data.train.length + data.test.length) / 50));
  await writeDetectionFolder(out, data, config.format, (done, total) => {
    if (done % every !== 0 && done !== total) return;
    throwIfCancelled(ctx);
    ctx.progress({ fraction: 0.2 + (0.8 * done) / total, stage: `writing images (${done}/${total})` });
  });
  const meanDifficulty = data.train.reduce((s, im) => s + im.difficulty, 0) / Math.max(1, data.train.length);
  ctx.progress({ fraction: 1, stage: 'done', metrics: { meanDifficulty } });
  return { out, format: config.format, classNames: data.classNames, train: data.train.length, test: data.test.length, seed: config.seed, meanDifficulty };
}
