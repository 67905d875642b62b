import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../../../src/engine/backend/tf';
import { initBackend } from '../../../../src/engine/backend';
import { plainContext, type RunContext } from '../../../../src/engine/core/context';
import { CancelledError } from '../../../../src/engine/core/errors';
import { encodePng } from '../../../../src/engine/data/detection/images';
import { openDataset } from '../../../../src/engine/data';
import { loadModel, saveLayersModel } from '../../../../src/engine/models/io';
import { wsodJobAnalyses } from '../../../../src/engine/analyses/wsod/jobs';
import { wsodHandlers } from '../../../../src/engine/analyses/wsod/handlers';
import type { ServiceDeps } from '../../../../src/engine/service-deps';
import type { WsodEvalResult, WsodTrainResult, WsodDetectResult } from '../../../../src/shared/api-wsod';

const root = mkdtempSync(join(tmpdir(), 'layerlens-wsod-'));
const data = join(root, 'bench');
// tiny sizes: seconds, not a measurement of quality
const base = { data, epochs: 3, pretrainEpochs: 1, pretrainSamples: 64, proposals: 24, groups: 2, batchSize: 4, fc: 16, seed: 3 };
const job = (kind: string) => wsodJobAnalyses[kind];
const handlers = wsodHandlers({} as ServiceDeps);

async function train(config: Record<string, unknown>, ctx: RunContext = plainContext()): Promise<WsodTrainResult> {
  const j = job('wsod-train');
  return j.run(j.parse(config), ctx);
}

let run: WsodTrainResult;

beforeAll(async () => {
  await initBackend();
  const j = job('wsod-data');
  await j.run(j.parse({ out: data, images: 24, testImages: 10, seed: 5 }), plainContext());
  run = await train({ ...base, out: join(root, 'both'), curriculum: true, masking: true });
}, 120_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('wsod-train', () => {
  it('writes the run folder and a record whose scores come from val and test', async () => {
    for (const f of ['backbone/model.json', 'head/model.json', 'pretrain/model.json', 'wsod.json', 'detections-val.json', 'detections-test.json', 'rankings.json', 'record.json']) {
      expect(existsSync(join(run.runDir, f)), f).toBe(true);
    }
    const ds = await openDataset(data);
    expect(run.splits).toMatchObject({ nTrain: ds.train.n, nVal: ds.val.n, nTest: ds.test.n });
    expect(run.val.n).toBe(ds.val.n);
    expect(run.test.n).toBe(ds.test.n);
    for (const s of [run.val, run.test]) {
      expect(s.mAP50).toBeGreaterThanOrEqual(0);
      expect(s.mAP50).toBeLessThanOrEqual(1);
      expect(s.perClass).toHaveLength(5);
    }
    // curriculum over 3 epochs with 2 groups: one epoch each for stage 0, stage 1 (easiest group), stage 2 (all)
    expect(run.stages.map((s) => [s.stage, s.epochs])).toEqual([[0, 1], [1, 1], [2, 1]]);
    expect(run.stages[1].images).toBeLessThan(run.stages[2].images);
    expect(run.stages[2].images).toBe(run.splits.nTrain);
    expect(JSON.parse(readFileSync(run.recordPath, 'utf8')).val).toEqual(run.val);
    // detections are a COCO results array
    const dets = JSON.parse(readFileSync(join(run.runDir, 'detections-test.json'), 'utf8')) as { image_id: number; category_id: number; bbox: number[]; score: number }[];
    expect(dets.length).toBeGreaterThan(0);
    expect(Object.keys(dets[0]).sort()).toEqual(['bbox', 'category_id', 'image_id', 'score']);
  }, 60_000);

  it('ranks every (train image, positive class) pair with the rank at each stage', async () => {
    const r = JSON.parse(readFileSync(join(run.runDir, 'rankings.json'), 'utf8'));
    const ds = await openDataset(data);
    if (ds.task !== 'detection') throw new Error('expected detection');
    expect(r.items).toHaveLength(ds.train.images.reduce((a, im) => a + im.labels.length, 0));
    for (const it of r.items) {
      expect(it.meas).toBeGreaterThanOrEqual(0);
      expect(it.meas).toBeLessThanOrEqual(1);
      expect(it.eas).toHaveLength(10);
      expect(it.group).toBeLessThan(2);
      expect(it.rankByStage.length).toBeGreaterThanOrEqual(2);
      expect(it.topIoU).not.toBeNull();
      expect(it.difficulty).not.toBeNull();
    }
    expect(r.spearmanIoU).toBe(run.correlation.iou);
    // the method answers with the run's own ranking for its train split
    const viaMethod = await handlers['wsod.rankings']({ model: run.runDir, data, split: 'train' });
    expect(viaMethod).toEqual(r);
  }, 60_000);

  it("spends equal image passes per curriculum stage under stageBudget 'images'", async () => {
    const r = await train({ ...base, epochs: 4, groups: 3, out: join(root, 'budget'), curriculum: true, stageBudget: 'images' });
    const [s0, ...later] = r.stages;
    expect(s0).toMatchObject({ stage: 0, epochs: 1, images: r.splits.nTrain });
    expect(later.map((s) => s.stage)).toEqual([1, 2, 3]);
    // each later stage runs ≈ one all-image epoch of passes: round(N / members) epochs on its members
    for (const s of later) expect(s.epochs).toBe(Math.max(1, Math.round(r.splits.nTrain / s.images)));
    expect(later[0].epochs).toBeGreaterThan(1);
    expect((r.config.history as unknown[]).length).toBe(r.stages.reduce((a, s) => a + s.epochs, 0));
  }, 60_000);

  it('resumes a cancelled run from its last epoch and ends where an uninterrupted run ends', async () => {
    const cfg = { ...base, out: join(root, 'resumed'), curriculum: true, masking: true, maskRegion: 'random', keep: 'best-val' };
    const ctrl = new AbortController();
    const ctx: RunContext = {
      signal: ctrl.signal,
      progress: (p) => {
        if (p.stage?.includes('epoch 1/3 done')) ctrl.abort();
      },
    };
    await expect(train(cfg, ctx)).rejects.toBeInstanceOf(CancelledError);
    expect(job('wsod-train').resumable!(job('wsod-train').parse(cfg))).toBe(true);
    // another config in the same folder is refused, and leaves the folder as it was
    await expect(train({ ...cfg, epochs: 4 })).rejects.toThrow(/checkpoint of a different wsod run/);
    const resumed = await train(cfg);
    const straight = await train({ ...cfg, out: join(root, 'straight') });
    expect(resumed.val).toEqual(straight.val);
    expect(resumed.test).toEqual(straight.test);
    // best-val keeps the head of the epoch whose val scores were best, and the final val scores are that epoch's
    const history = resumed.config.history as { epoch: number; valMAP50: number; valCorloc: number }[];
    const kept = resumed.config.keptEpoch as number;
    expect(history).toHaveLength(3);
    const score = (h: { valMAP50: number; valCorloc: number }) => h.valMAP50 + h.valCorloc;
    expect(Math.max(...history.map(score))).toBe(score(history[kept - 1]));
    expect(resumed.val.mAP50).toBeCloseTo(history[kept - 1].valMAP50, 10);
    expect(resumed.val.corloc).toBeCloseTo(history[kept - 1].valCorloc, 10);
  }, 120_000);
});

describe('wsod-eval, wsod-detect, wsod.energy', () => {
  it('evaluates a run folder to the scores its record holds, and a copy with re-written (compressed) models too', async () => {
    const j = job('wsod-eval');
    const r = (await j.run(j.parse({ model: run.runDir, data, split: 'val' }), plainContext())) as WsodEvalResult;
    expect(r.mAP50).toBeCloseTo(run.val.mAP50, 10);
    expect(r.corloc).toBeCloseTo(run.val.corloc, 10);
    // a copy whose head weights were rounded to 8 bits (what a quantizer writes) still loads and scores
    const copy = join(root, 'copy');
    cpSync(run.runDir, copy, { recursive: true });
    const head = (await loadModel(join(copy, 'head', 'model.json'))).layers!;
    for (const layer of head.layers) {
      layer.setWeights(layer.getWeights().map((w) => tf.tidy(() => {
        const scale = tf.div(tf.max(tf.abs(w)), 127);
        return tf.mul(tf.round(tf.div(w, tf.maximum(scale, 1e-12))), scale);
      })));
    }
    await saveLayersModel(head, join(copy, 'head'));
    const q = (await j.run(j.parse({ model: join(copy, 'head', 'model.json'), data, split: 'val' }), plainContext())) as WsodEvalResult;
    expect(q.n).toBe(r.n);
    expect(Math.abs(q.mAP50 - r.mAP50)).toBeLessThan(0.3);
  }, 60_000);

  it('detects on a plain image folder and writes COCO results', async () => {
    const dir = join(root, 'plain');
    mkdirSync(dir);
    const ds = await openDataset(data);
    if (ds.task !== 'detection') throw new Error('expected detection');
    for (const im of ds.test.images.slice(0, 2)) writeFileSync(join(dir, `${im.id}.png`), encodePng({ width: im.width, height: im.height, channels: 1, data: im.pixels! }));
    const j = job('wsod-detect');
    const r = (await j.run(j.parse({ model: run.runDir, images: dir, out: join(root, 'out.json'), minScore: 0 }), plainContext())) as WsodDetectResult;
    expect(r.images).toBe(2);
    const dets = JSON.parse(readFileSync(r.out, 'utf8')) as { image_id: number }[];
    expect(dets).toHaveLength(r.detections);
    expect(new Set(dets.map((d) => d.image_id))).toEqual(new Set([1, 2]));
  }, 60_000);

  it('gives a normalised energy map with the top box of the class', async () => {
    const ds = await openDataset(data);
    if (ds.task !== 'detection') throw new Error('expected detection');
    const im = ds.train.images[0];
    const e = await handlers['wsod.energy']({ model: run.runDir, data, image: im.id, class: im.labels[0], split: 'train' });
    expect(e.values).toHaveLength(e.gridW * e.gridH);
    expect(Math.max(...e.values)).toBeCloseTo(1, 6);
    expect(Math.min(...e.values)).toBeGreaterThanOrEqual(0);
    await expect(handlers['wsod.energy']({ model: run.runDir, data, image: 'nope', class: 0, split: 'train' })).rejects.toThrow(/no image "nope"/);
  }, 60_000);
});
