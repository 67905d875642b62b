/** `action flow`: Farnebäck flow of every clip of a frame folder, into its cache (what training then reads). */
import { join } from 'node:path';
import type { z } from 'zod';
import type { ActionFlowConfig, ActionFlowResult } from '../../../shared/api-action';
import { throwIfCancelled, type RunContext } from '../../core/context';
import { UserError } from '../../core/errors';
import { FLOW_CACHE_DIR } from '../../action/flow';
import { flowCacheRoot, openVideoData, withFlow } from './common';

type Parsed = z.output<typeof ActionFlowConfig>;

export async function run(config: Parsed, ctx: RunContext): Promise<ActionFlowResult> {
  const started = Date.now();
  ctx.progress({ fraction: 0, stage: 'loading clips' });
  const ds = await openVideoData(config.data, config);
  const root = flowCacheRoot(ds);
  if (!root) throw new UserError('flow is cached inside a frame folder; give one', config.data);
  const clips = [...ds.train.clips, ...ds.val.clips, ...ds.test.clips];
  const { stats } = await withFlow(ds, clips, (done, total) => {
    if (done % 20 !== 0 && done !== total) return;
    throwIfCancelled(ctx);
    ctx.progress({ fraction: done / total, stage: `flow (${done}/${total})` });
  });
  ctx.progress({ fraction: 1, stage: 'done', metrics: { computed: stats.computed, cached: stats.cached } });
  return { data: config.data, ...stats, wallSeconds: (Date.now() - started) / 1000, cacheDir: join(root, FLOW_CACHE_DIR) };
}
