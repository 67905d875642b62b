/** `action eval`: score a run folder on val or test (top-1 fine and coarse, confusions, offset weights). */
import type { z } from 'zod';
import type { ActionEvalConfig as EvalSchema, ActionEvalResult } from '../../../shared/api-action';
import { backendName, initBackend } from '../../backend';
import type { RunContext } from '../../core/context';
import { UserError } from '../../core/errors';
import { disposeActionModel, offsetWeights } from '../../action/model';
import { loadActionRun } from '../../action/store';
import { openVideoData, withFlow } from './common';
import { scoresOn } from './train';

export type ActionEvalConfig = z.output<typeof EvalSchema>;

export async function run(config: ActionEvalConfig, ctx: RunContext): Promise<ActionEvalResult> {
  await initBackend();
  ctx.progress({ fraction: 0, stage: 'loading' });
  const { dir, model, meta } = loadActionRun(config.model);
  try {
    const ds = await openVideoData(config.data, config);
    if (ds.classes !== meta.arch.classes) throw new UserError(`has ${ds.classes} classes, the run was trained on ${meta.arch.classes}`, config.data);
    const { items } = await withFlow(ds, ds[config.split].clips, (done, total) => ctx.progress({ fraction: (0.5 * done) / total, stage: 'optical flow' }));
    ctx.progress({ fraction: 0.5, stage: `scoring ${items.length} ${config.split} clips` });
    const scores = scoresOn(model, config.split, items, meta.coarseOf, meta.coarseNames.length);
    const w = offsetWeights(model);
    ctx.progress({ fraction: 1, stage: 'done', metrics: { top1Fine: scores.top1Fine, top1Coarse: scores.top1Coarse } });
    return { ...scores, model: dir, offsets: meta.arch.offsets, offsetWeights: w.map((r) => r.reduce((a, b) => a + b, 0) / r.length), backend: backendName() };
  } finally {
    disposeActionModel(model);
  }
}
