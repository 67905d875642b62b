/** What every action job needs: the video dataset behind a ref, its flow (cached in the frame folder), inputs. */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { UserError } from '../../core/errors';
import { openDataset, type VideoDataset } from '../../data';
import type { Clip } from '../../data/types';
import { flowsOf, type FlowStats } from '../../action/flow';
import type { ClipInput } from '../../action/train';

export async function openVideoData(ref: string, opts: { valFraction?: number; valSeed?: number }): Promise<VideoDataset> {
  const ds = await openDataset(ref, opts);
  if (ds.task !== 'video') throw new UserError(`action needs a video dataset (a frame folder of clips); ${ds.ref} is a ${ds.task} dataset`);
  return ds;
}

/** Where a dataset's flow cache lives: inside its folder (null for data that has none). */
export function flowCacheRoot(ds: VideoDataset): string | null {
  const p = resolve(ds.ref);
  return existsSync(p) && statSync(p).isDirectory() ? p : null;
}

/** The dataset's hierarchy, or one coarse class over everything when it has none. */
export function hierarchyOf(ds: VideoDataset): { coarseNames: string[]; coarseOf: number[] } {
  return ds.hierarchy ?? { coarseNames: ['all'], coarseOf: ds.classNames.map(() => 0) };
}

/** Clips paired with their flow. */
export async function withFlow(ds: VideoDataset, clips: readonly Clip[], onClip?: (done: number, total: number) => void): Promise<{ items: ClipInput[]; stats: FlowStats }> {
  const { flows, stats } = await flowsOf(clips, flowCacheRoot(ds), onClip);
  return { items: clips.map((clip, i) => ({ clip, flow: flows[i] })), stats };
}
