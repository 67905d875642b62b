/**
 * `parts data`: generate the part scenes and write them as a COCO detection folder (the distinctive part's box per
 * image) plus `parts.json`, the hidden part boxes (part / body / distractor) that only evaluation reads.
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { z } from 'zod';
import type { PartsDataConfig, PartsDataResult } from '../../../shared/api-parts';
import type { RunContext } from '../../core/context';
import { throwIfCancelled } from '../../core/context';
import { writeDetectionFolder } from '../../data/detection/folder';
import { generatePartScenes, PARTS_FILE } from '../../data/detection/part-scenes';

type Parsed = z.output<typeof PartsDataConfig>;

export async function run(config: Parsed, ctx: RunContext): Promise<PartsDataResult> {
  const out = resolve(config.out);
  ctx.progress({ fraction: 0, stage: 'generating scenes' });
  const data = await generatePartScenes(config);
  throwIfCancelled(ctx);
  const every = Math.max(1, Math.floor((data.train.length + data.test.length) / 50));
  await writeDetectionFolder(out, data, 'coco', (done, total) => {
    if (done % every !== 0 && done !== total) return;
    throwIfCancelled(ctx);
    ctx.progress({ fraction: 0.1 + (0.9 * done) / total, stage: `writing images (${done}/${total})` });
  });
  const parts = Object.fromEntries([...data.train, ...data.test].map((im) => [im.id, im.parts]));
  writeFileSync(join(out, PARTS_FILE), JSON.stringify({ sourceClasses: data.sourceClasses, parts }));
  ctx.progress({ fraction: 1, stage: 'done' });
  return { out, classNames: data.classNames, train: data.train.length, test: data.test.length, seed: config.seed };
}
