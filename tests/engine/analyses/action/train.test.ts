// The action jobs end to end on a tiny benchmark: data → flow (cached) → train (checkpointed every epoch; a run
// cancelled after its first epoch resumes from it) → eval, and the view methods over the same run.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancelledError } from '../../../../src/engine/core/errors';
import type { RunContext } from '../../../../src/engine/core/context';
import { plainContext } from '../../../../src/engine/core/context';
import * as data from '../../../../src/engine/analyses/action/data';
import * as flow from '../../../../src/engine/analyses/action/flow';
import * as train from '../../../../src/engine/analyses/action/train';
import * as evaluate from '../../../../src/engine/analyses/action/eval';
import { clipView, runView } from '../../../../src/engine/analyses/action/view';
import { ActionDataConfig, ActionEvalConfig, ActionFlowConfig, ActionTrainConfig } from '../../../../src/shared/api-action';

let root: string;
let dataDir: string;
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'll-action-'));
  dataDir = join(root, 'clips');
  await data.run(ActionDataConfig.parse({ out: dataDir, clips: 16, testClips: 12, lag: 3, seed: 2 }), plainContext());
}, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('action jobs', () => {
  it('flow: computes every clip once, then finds them cached', async () => {
    const first = await flow.run(ActionFlowConfig.parse({ data: dataDir }), plainContext());
    expect(first.clips).toBe(28);
    expect(first.computed + first.cached).toBe(28);
    const again = await flow.run(ActionFlowConfig.parse({ data: dataDir }), plainContext());
    expect(again).toMatchObject({ computed: 0, cached: 28, msPerClip: null });
  }, 120_000);

  it('train: cancelled after epoch 1, resumed to the end; eval and the views read the run', async () => {
    const out = join(root, 'run');
    const config = ActionTrainConfig.parse({ data: dataDir, out, epochs: 2, batchSize: 8, maxOffset: 3, valFraction: 0.25, seed: 4 });
    const ac = new AbortController();
    const ctx: RunContext = {
      signal: ac.signal,
      progress: (p) => {
        if (p.metrics && 'valTop1Fine' in p.metrics) ac.abort();
      },
    };
    await expect(train.run(config, ctx)).rejects.toBeInstanceOf(CancelledError);
    expect(train.hasActionCheckpoint(out)).toBe(true);
    const logs: string[] = [];
    const r = await train.run(config, { ...plainContext(), log: (m) => logs.push(m) });
    expect(logs.join('\n')).toMatch(/resuming after epoch 1/);
    expect(r.history.map((h) => h.epoch)).toEqual([1, 2]);
    expect(r.offsets).toEqual([-3, -2, -1, 0, 1, 2, 3]);
    expect(r.offsetWeights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(r.val.n).toBe(4);
    expect(r.test.n).toBe(12);
    expect(r.test.confusionFine.flat().reduce((a, b) => a + b, 0)).toBe(12);
    expect(existsSync(r.recordPath)).toBe(true);

    const e = await evaluate.run(ActionEvalConfig.parse({ model: out, data: dataDir, split: 'test', valFraction: 0.25 }), plainContext());
    expect(e.top1Fine).toBeCloseTo(r.test.top1Fine, 10);
    expect(e.top1Coarse).toBeCloseTo(r.test.top1Coarse, 10);

    const clip = await clipView({ data: dataDir, split: 'test', index: 2, model: out, valFraction: 0.25 });
    expect(clip.frames).toHaveLength(16);
    expect(clip.flow).toHaveLength(15);
    expect(clip.flow[0]).toHaveLength(32 * 32 * 3);
    expect(clip.truth?.motionAt).toBe((clip.truth?.appearanceAt ?? 0) + (clip.truth?.lag ?? 0));
    expect(clip.scores?.rgb).toHaveLength(16);
    expect(clip.scores?.fused.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);

    const view = await runView(out);
    expect(view.offsetWeightsByClass).toHaveLength(7);
    expect(view.offsetWeightsByClass[0]).toHaveLength(12);
    expect(view.hierarchy.map((h) => h.name)).toEqual(['translate', 'rotate', 'zoom']);
    expect(view.hierarchy.reduce((s, h) => s + h.n, 0)).toBe(12);
  }, 300_000);

  it('refuses a classification dataset in one line', async () => {
    await expect(flow.run(ActionFlowConfig.parse({ data: 'mnist' }), plainContext())).rejects.toThrow(/action needs a video dataset/);
  });
});
