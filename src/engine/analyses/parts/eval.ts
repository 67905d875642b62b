/** `parts eval`: score a parts run folder on val or test (top-1 of the three classifiers, CorLoc, mining purity). */
import { resolve } from 'node:path';
import type { z } from 'zod';
import type { PartsEvalConfig as EvalSchema, PartsEvalResult } from '../../../shared/api-parts';
import { backendName, initBackend } from '../../backend';
import type { RunContext } from '../../core/context';
import { loadBackbone, readPartsMeta } from '../../parts/store';
import { openPartsData, regionsFor, scoreSplit } from './common';
import { meanPurity } from './train';

export type PartsEvalConfig = z.output<typeof EvalSchema>;

export async function run(config: PartsEvalConfig, ctx: RunContext): Promise<PartsEvalResult> {
  await initBackend();
  ctx.progress({ fraction: 0, stage: 'loading' });
  const dir = resolve(config.model);
  const meta = readPartsMeta(dir);
  const backbone = await loadBackbone(dir);
  const ds = await openPartsData(config.data, config);
  const images = ds[config.split].images.slice(0, config.limit ?? Infinity);
  ctx.progress({ fraction: 0.2, stage: `features of ${images.length} ${config.split} images` });
  const regions = regionsFor(backbone, images, meta.features);
  const pur = meanPurity(meta.model);
  const own = pur ? (meta.config.affinity === 'kmeans' ? pur.kmeans : pur.spectral) : null;
  const scores = scoreSplit(meta.model, config.split, images, regions, meta.pyramid, own);
  ctx.progress({ fraction: 1, stage: 'done', metrics: { corloc: scores.corloc, top1Both: scores.top1Both } });
  return { ...scores, model: dir, backend: backendName() };
}
