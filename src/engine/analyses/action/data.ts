/** `action data`: generate the moving-digit clips and write them as UCF101-style frame folders. */
import { resolve } from 'node:path';
import type { z } from 'zod';
import type { ActionDataConfig, ActionDataResult } from '../../../shared/api-action';
import { throwIfCancelled, type RunContext } from '../../core/context';
import { loadDataset } from '../../data';
import { writeFrameFolder } from '../../data/video/frame-folder';
import { generateActions } from '../../data/video/generate';

type Parsed = z.output<typeof ActionDataConfig>;

export async function run(config: Parsed, ctx: RunContext): Promise<ActionDataResult> {
  const out = resolve(config.out);
  ctx.progress({ fraction: 0, stage: 'loading digits and objects' });
  const [digits, fashion] = [await loadDataset('mnist'), await loadDataset('fashion-mnist')];
  ctx.progress({ fraction: 0.1, stage: 'generating clips' });
  const data = await generateActions(config, digits, fashion);
  throwIfCancelled(ctx);
  const { out: _o, ...settings } = config;
  await writeFrameFolder(out, data, settings, (done, total) => {
    if (done % 20 !== 0 && done !== total) return;
    throwIfCancelled(ctx);
    ctx.progress({ fraction: 0.2 + (0.8 * done) / total, stage: `writing clips (${done}/${total})` });
  });
  ctx.progress({ fraction: 1, stage: 'done' });
  return { out, classNames: data.classNames, coarseNames: data.coarseNames, train: data.train.length, test: data.test.length, lag: config.lag, lagJitter: config.lagJitter, seed: config.seed };
}
