/** What the Action view asks for: one clip with its flow and score timelines, and a run's weights and hierarchy. */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { z } from 'zod';
import type { ActionClipView, ActionRunView, ActionTrainResult, actionMethods } from '../../../shared/api-action';
import { initBackend } from '../../backend';
import { UserError } from '../../core/errors';
import { flowToRgb } from '../../action/flow';
import { disposeActionModel, offsetWeights } from '../../action/model';
import { actionRunDir, loadActionRun, readActionMeta } from '../../action/store';
import { scoreClips } from '../../action/train';
import { readClipTruth } from '../../data/video/frame-folder';
import { hierarchyOf, openVideoData, withFlow } from './common';

type ClipReq = z.output<(typeof actionMethods)['action.clip']>;

export async function clipView(req: ClipReq): Promise<ActionClipView> {
  const ds = await openVideoData(req.data, req);
  const clips = ds[req.split].clips;
  if (req.index >= clips.length) throw new UserError(`the ${req.split} split has ${clips.length} clips; there is no clip ${req.index}`, req.data);
  const clip = clips[req.index];
  const { items } = await withFlow(ds, [clip]);
  const [h, w, c] = clip.shape;
  const px = h * w * c;
  const frames = Array.from({ length: clip.frames }, (_, t) => Array.from(clip.pixels!.subarray(t * px, (t + 1) * px)));
  const field = h * w * 2;
  const flow = Array.from({ length: clip.frames - 1 }, (_, t) => Array.from(flowToRgb(items[0].flow.subarray(t * field, (t + 1) * field))));
  const hier = hierarchyOf(ds);
  const truth = readClipTruth(resolve(req.data))?.get(clip.id) ?? null;
  let scores: ActionClipView['scores'] = null;
  if (req.model) {
    await initBackend();
    const run = loadActionRun(req.model);
    try {
      const s = scoreClips(run.model, items, 1, true);
      const fused = s.fused[0];
      scores = { rgb: s.rgbFrames![0], flow: s.flowFrames![0], fused, predicted: fused.indexOf(Math.max(...fused)) };
    } finally {
      disposeActionModel(run.model);
    }
  }
  return {
    id: clip.id,
    index: req.index,
    count: clips.length,
    label: clip.label,
    className: ds.classNames[clip.label],
    coarseName: ds.hierarchy ? hier.coarseNames[hier.coarseOf[clip.label]] : null,
    width: w,
    height: h,
    channels: c,
    frames,
    flow,
    truth: truth ? { lag: truth.lag, appearanceAt: truth.appearanceAt, distractorAt: truth.distractorAt, motionAt: truth.motionAt, pattern: truth.pattern, object: truth.object } : null,
    scores,
  };
}

export async function runView(ref: string): Promise<ActionRunView> {
  const dir = actionRunDir(ref);
  const meta = readActionMeta(dir);
  const recordFile = join(dir, 'record.json');
  if (!existsSync(recordFile)) throw new UserError('has no record.json (the run has not finished)', dir);
  const record = JSON.parse(readFileSync(recordFile, 'utf8')) as ActionTrainResult;
  await initBackend();
  const run = loadActionRun(dir);
  const byClass = offsetWeights(run.model);
  disposeActionModel(run.model);
  const cf = record.test.confusionFine;
  const rowSum = (r: number[]) => r.reduce((a, b) => a + b, 0);
  const hierarchy = meta.coarseNames.map((name, k) => {
    const fine = meta.classNames.map((n, c) => ({ c, n })).filter(({ c }) => meta.coarseOf[c] === k);
    const children = fine.map(({ c, n }) => ({ name: n, n: rowSum(cf[c]), accuracy: rowSum(cf[c]) ? cf[c][c] / rowSum(cf[c]) : 0 }));
    const row = record.test.confusionCoarse[k];
    return { name, n: rowSum(row), accuracy: rowSum(row) ? row[k] / rowSum(row) : 0, children };
  });
  return { runDir: dir, record, classNames: meta.classNames, coarseNames: meta.coarseNames, coarseOf: meta.coarseOf, offsets: meta.arch.offsets, offsetWeightsByClass: byClass, hierarchy };
}
