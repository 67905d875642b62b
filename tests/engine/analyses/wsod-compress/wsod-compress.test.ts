import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../../src/engine/backend';
import { plainContext } from '../../../../src/engine/core/context';
import { CancelledError, UserError } from '../../../../src/engine/core/errors';
import { loadModel } from '../../../../src/engine/models/io';
import { formatOf } from '../../../../src/engine/formats';
import { wsodJobAnalyses } from '../../../../src/engine/analyses/wsod/jobs';
import { wsodCompressJobAnalyses } from '../../../../src/engine/analyses/wsod-compress/jobs';
import { reviewHandlers } from '../../../../src/engine/analyses/review/handlers';
import { Workspace } from '../../../../src/engine/jobs/workspace';
import { loadDetector } from '../../../../src/engine/wsod/detector';
import { validateRequest, type Method, type Request, type Response } from '../../../../src/shared/api';
import type { WsodEvalResult, WsodTrainResult } from '../../../../src/shared/api-wsod';
import type { WsodCompressResult, WsodSensitivityResult } from '../../../../src/shared/api-wsod-compress';

const root = mkdtempSync(join(tmpdir(), 'layerlens-wsod-compress-'));
const data = join(root, 'bench');
const jobs = { ...wsodJobAnalyses, ...wsodCompressJobAnalyses };
async function runJob<T>(kind: string, config: Record<string, unknown>, ctx = plainContext()): Promise<T> {
  const j = jobs[kind];
  return j.run(j.parse(config), ctx) as Promise<T>;
}

let run: WsodTrainResult;
let eight: WsodCompressResult;

beforeAll(async () => {
  await initBackend();
  await runJob('wsod-data', { out: data, images: 60, testImages: 20, seed: 5 });
  // tiny sizes: seconds, not a measurement of quality
  run = await runJob('wsod-train', { data, out: join(root, 'run'), epochs: 4, pretrainEpochs: 1, pretrainSamples: 1000, proposals: 24, batchSize: 4, fc: 16, seed: 3 });
  eight = await runJob('wsod-compress', { model: run.runDir, out: join(root, 'int8'), bits: 8 });
}, 180_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('wsod-sensitivity', () => {
  it('scores each layer at each bit-width on val; 2 bits everywhere cost more than 8 bits', async () => {
    const r = await runJob<WsodSensitivityResult>('wsod-sensitivity', { model: run.runDir, bits: [8, 2] });
    expect(r.metric).toBe('mAP50');
    expect(r.split).toBe('val');
    expect(r.n).toBe(run.val.n);
    // the float detector on all of val is what training reported
    expect(r.baseline).toBeCloseTo(run.val.mAP50, 6);
    expect(r.layers.map((l) => l.name)).toEqual(['backbone/conv1', 'backbone/conv2', 'backbone/conv3', 'head/fc', 'head/cls', 'head/det', 'head/ref1', 'head/ref2']);
    for (const l of r.layers) expect(Math.abs(l.bits['8'] - r.baseline)).toBeLessThan(0.05);
    const mean = (b: string) => r.layers.reduce((a, l) => a + l.bits[b], 0) / r.layers.length;
    expect(mean('2')).toBeLessThan(mean('8'));
    // the suggested policy: per layer the fewest bits within tolerance, 32 where even 8 bits fall out of it
    for (const l of r.layers) {
      const bits = r.policy.layers[l.name].bits;
      const want = l.bits['8'] < r.baseline - r.tolerance ? 32 : l.bits['2'] < r.baseline - r.tolerance ? 8 : 2;
      expect(bits, l.name).toBe(want);
    }
    // wsod-compress reads it as it is
    const c = await runJob<WsodCompressResult>('wsod-compress', { model: run.runDir, out: join(root, 'suggested'), policy: r.policy });
    expect(Object.fromEntries(c.layers.map((l) => [l.name, l.bits]))).toEqual(Object.fromEntries(Object.entries(r.policy.layers).map(([k, p]) => [k, p.bits])));
  }, 120_000);

  it('probes chosen layers on a seeded subset of val, and stops when cancelled', async () => {
    const r = await runJob<WsodSensitivityResult>('wsod-sensitivity', { model: run.runDir, layers: ['fc', 'backbone/conv3'], bits: [4], limit: 3 });
    expect(r.n).toBe(3);
    expect(r.layers.map((l) => l.name)).toEqual(['head/fc', 'backbone/conv3']);
    const ac = new AbortController();
    const ctx = { ...plainContext(), signal: ac.signal, progress: (p: { stage?: string }) => p.stage?.includes('@') && ac.abort() };
    await expect(runJob('wsod-sensitivity', { model: run.runDir, bits: [8, 6, 4] }, ctx)).rejects.toBeInstanceOf(CancelledError);
  }, 120_000);
});

describe('wsod-compress', () => {
  it('8 bits: keeps mAP, a quarter of the bytes, and the copy evaluates like any run folder', async () => {
    expect(Math.abs(eight.compressed.test.mAP50 - eight.float.test.mAP50)).toBeLessThan(0.05);
    expect(eight.float.test.mAP50).toBeCloseTo(run.test.mAP50, 6);
    expect(eight.size.ratio).toBeGreaterThan(3.5);
    expect(eight.size.ratio).toBeLessThan(4);
    expect(eight.layers.every((l) => l.bits === 8)).toBe(true);
    for (const f of ['backbone/model.json', 'head/model.json', 'wsod.json', 'detections-test.json', 'detections-val.json', 'compress.json']) expect(existsSync(join(eight.out, f)), f).toBe(true);
    await loadDetector(eight.out);
    const ev = await runJob<WsodEvalResult>('wsod-eval', { model: eight.out, data, split: 'test' });
    expect(ev.mAP50).toBeCloseTo(eight.compressed.test.mAP50, 6);
    // the saved kernels hold at most 255 distinct values per output channel
    const m = await loadModel(join(eight.out, 'head', 'model.json'));
    const k = m.layers!.getLayer('fc').getWeights()[0];
    const [rows, cols] = k.shape;
    const v = k.dataSync();
    const distinct = new Set(Array.from({ length: rows }, (_, i) => v[i * cols]));
    expect(distinct.size).toBeLessThanOrEqual(255);
    m.dispose();
  });

  it('Review opens the float run against the copy and marks what changed, as the job counted', async () => {
    const wsDir = mkdtempSync(join(tmpdir(), 'll-wsod-compress-ws-'));
    const ws = new Workspace(wsDir);
    try {
      const h = reviewHandlers({ workspace: ws, runner: undefined as never }) as Record<string, (x: unknown) => Promise<unknown>>;
      const call = async <M extends Method>(m: M, r: Request<M>): Promise<Response<M>> => {
        const p = validateRequest(m, r);
        return h[p.method](p.req) as never;
      };
      const r4 = await runJob<WsodCompressResult>('wsod-compress', { model: run.runDir, out: join(root, 'int3'), bits: 3 });
      const set = await call('review.open', { data, split: 'test', detections: run.runDir, compare: r4.out });
      const items = await call('review.items', { set: set.id });
      const counts: Record<string, number> = { same: 0, moved: 0, rescored: 0, gone: 0, new: 0 };
      for (const b of items.boxes) counts[b.change!]++;
      expect(counts).toEqual(r4.changes);
      // what a reviewer sees at a confidence of 0.3
      const seen: Record<string, number> = { same: 0, moved: 0, rescored: 0, gone: 0, new: 0 };
      for (const b of items.boxes) if ((b.change === 'new' ? b.compareScore! : b.score!) >= 0.3) seen[b.change!]++;
      expect({ minScore: 0.3, ...seen }).toEqual(r4.confidentChanges);
      // 3 bits on every layer moves something
      expect(r4.changes.same).toBeLessThan(items.boxes.length);
      const cmp = await call('review.metrics', { set: set.id, which: 'compare', minScore: 0 });
      expect(cmp.mAP50).toBeCloseTo(r4.compressed.test.mAP50, 6);
    } finally {
      ws.close();
      rmSync(wsDir, { recursive: true, force: true });
    }
  }, 120_000);

  it('low rank on the head fc and a backbone conv, 4-bit policy, exports the registry loads back', async () => {
    const policy = { version: 1, layers: { fc: { bits: 4 }, 'backbone/conv1': { bits: 8 } } };
    const r = await runJob<WsodCompressResult>('wsod-compress', {
      model: run.runDir,
      out: join(root, 'lr4'),
      policy,
      lowrank: { layers: ['head/fc', 'backbone/conv3'], energy: 0.5 },
      formats: ['onnx', 'packed'],
    });
    expect(Object.keys(r.lowrank!.ranks).sort()).toEqual(['backbone/conv3', 'head/fc']);
    const fc = r.lowrank!.layers.find((l) => l.name === 'head/fc')!;
    expect(fc.decomposed).toBe(true);
    expect(r.macs.compressed.headPerRoI).toBeLessThan(r.macs.float.headPerRoI);
    // the policy's fc covers both factors; layers it does not name stay float
    const bits = Object.fromEntries(r.layers.map((l) => [l.name, l.bits]));
    expect(bits).toMatchObject({ 'head/fc_lr1': 4, 'head/fc_lr2': 4, 'backbone/conv1': 8, 'head/cls': 32 });
    const det = await loadDetector(r.out);
    expect(det.head.layers.map((l) => l.name)).toContain('fc_lr1');
    expect(det.backbone.inputs[0].shape).toEqual([null, null, null, 1]);
    expect(r.exports.map((e) => `${e.part}:${e.report.format}`)).toEqual(['backbone:onnx', 'backbone:packed', 'head:onnx', 'head:packed']);
    for (const e of r.exports) {
      expect(e.report.verify.maxAbsError).toBeLessThan(1e-3);
      const file = e.report.files.find((f) => formatOf(f));
      expect(file, e.report.files.join(', ')).toBeDefined();
      const m = await loadModel(file!);
      expect(m.outputs.length).toBe(e.part === 'head' ? 4 : 1);
      m.dispose();
    }
    expect(JSON.parse(readFileSync(r.recordPath, 'utf8')).result.changes).toEqual(r.changes);
  }, 180_000);

  it('refuses a folder that is not a run, the run itself as out, and nothing to do, in one line each', async () => {
    const empty = join(root, 'empty');
    mkdirSync(empty, { recursive: true });
    for (const [config, msg] of [
      [{ model: empty, out: join(root, 'x'), bits: 8 }, /not a wsod run folder/],
      [{ model: run.runDir, out: run.runDir, bits: 8 }, /float run itself/],
      [{ model: run.runDir, out: join(root, 'y') }, /nothing to compress/],
      [{ model: run.runDir, out: join(root, 'z'), policy: { version: 1, layers: { conv9: { bits: 4 } } } }, /no layer "conv9"/],
      [{ model: run.runDir, out: join(root, 'z'), policy: join(root, 'missing-policy.json') }, /policy file not found/],
    ] as const) {
      const e = await runJob('wsod-compress', config).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(UserError);
      expect((e as Error).message).toMatch(msg);
      expect((e as Error).message).not.toContain('\n');
    }
  });
});
