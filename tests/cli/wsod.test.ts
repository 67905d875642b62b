// `layerlens wsod …` wiring: each subcommand's flags become the contract's job config or method request, other
// subcommands' flags are refused in one line, and --json prints the issue's shapes. The jobs themselves are
// stubbed here (their own tests run them); the end-to-end run through the real binary is in wsod-e2e.test.ts.
import { resolve } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { JobStart } from '../../src/shared/api';
import type { WsodRankings } from '../../src/shared/api-wsod';
import { cliRunner } from './harness';

const calls = vi.hoisted(() => ({ jobs: [] as JobStart[], methods: [] as [string, unknown][] }));

const scores = { split: 'test', n: 4, mAP50: 0.5, corloc: 0.75, perClass: [{ name: '0', ap: 0.5, corloc: 0.75 }] };
const rankings: WsodRankings = {
  model: '/run',
  split: 'train',
  classNames: ['0', '1'],
  taus: [0.1, 0.5],
  groups: 3,
  items: [{ image: 'train_000001', class: 1, meas: 0.25, eas: [0.2, 0.3], group: 0, rank: 0, topBox: { x1: 0, y1: 0, x2: 4, y2: 4 }, topIoU: 0.7, difficulty: 0.1 }],
  spearmanIoU: 0.42,
  spearmanDifficulty: -0.3,
};
const results: Record<string, unknown> = {
  'wsod-data': { out: '/d', format: 'coco', classNames: ['0', '1'], train: 10, test: 5, seed: 1, meanDifficulty: 0.4 },
  'wsod-train': {
    data: '/d', seed: 1, runDir: '/run', val: { ...scores, split: 'val' }, test: scores, correlation: { iou: 0.3, difficulty: -0.2 },
    stages: [], config: {}, splits: {}, wallSeconds: 3, backend: 'cpu', recordPath: '/r.json',
  },
  'wsod-eval': { ...scores, model: '/run', backend: 'cpu' },
  'wsod-detect': { out: '/o.json', images: 5, detections: 12 },
};

vi.mock('../../src/cli/util', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../src/cli/util')>();
  return {
    ...actual,
    runJobToEnd: async (_args: unknown, job: JobStart) => {
      calls.jobs.push(job);
      return results[job.kind];
    },
    withService: async (_ws: unknown, fn: (s: unknown) => Promise<unknown>) =>
      fn({
        call: async (method: string, req: unknown) => {
          calls.methods.push([method, req]);
          return rankings;
        },
      }),
  };
});

const cli = cliRunner({
  beforeRun: () => {
    calls.jobs.length = 0;
    calls.methods.length = 0;
  },
});
afterEach(() => vi.restoreAllMocks());

describe('layerlens wsod: flags → contract', () => {
  it('data: the wsod-data job with the given settings, out resolved', async () => {
    const r = await cli('wsod', 'data', '--out', 'bench', '--images', '50', '--difficulty', '0.6', '--seed', '3', '--format', 'voc', '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(calls.jobs).toEqual([
      { kind: 'wsod-data', config: expect.objectContaining({ out: resolve('bench'), images: 50, difficulty: 0.6, seed: 3, format: 'voc', classes: undefined }) },
    ]);
    expect(JSON.parse(r.stdout)).toEqual(results['wsod-data']);
  });

  it('train: booleans and --no-rerank', async () => {
    const r = await cli(
      ...['wsod', 'train', '--data', '/d', '--out', '/o', '--curriculum', '--masking', '--epochs', '2', '--no-rerank', '--mask-region', 'random'],
      ...['--stage0-share', '0.5', '--refine-stages', '2', '--roi-grid', '3', '--fc', '64', '--pretrain-samples', '64', '--pretrain-source', 'fashion-mnist', '--json'],
    );
    expect(r.code, r.stderr).toBe(0);
    expect(calls.jobs[0]).toEqual({
      kind: 'wsod-train',
      config: expect.objectContaining({
        ...{ data: '/d', out: '/o', curriculum: true, masking: true, epochs: 2, rerank: false, maskRegion: 'random' },
        ...{ stage0Share: 0.5, refineStages: 2, roiGrid: 3, fc: 64, pretrainSamples: 64, pretrainSource: 'fashion-mnist' },
      }),
    });
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j)).toEqual(['runDir', 'val', 'test', 'correlation', 'stages', 'seed', 'wallSeconds']);
    expect(j.test).toEqual({ mAP50: 0.5, corloc: 0.75, perClass: scores.perClass });
    // without the switches nothing is forced: the schema's defaults apply
    await cli('wsod', 'train', '--data', '/d');
    expect(calls.jobs[0].config).toMatchObject({ curriculum: undefined, masking: undefined, rerank: undefined });
  });

  it('eval <run> → { mAP50, corloc, perClass }', async () => {
    const r = await cli('wsod', 'eval', '/run', '--data', '/d', '--split', 'val', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(calls.jobs).toEqual([{ kind: 'wsod-eval', config: expect.objectContaining({ model: '/run', data: '/d', split: 'val' }) }]);
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j)).toEqual(['mAP50', 'corloc', 'perClass']);
    expect(j).toEqual({ mAP50: 0.5, corloc: 0.75, perClass: scores.perClass });
    const text = await cli('wsod', 'eval', '/run', '--data', '/d');
    expect(text.stdout).toMatch(/mAP@0\.5 50\.00 %, CorLoc 75\.00 % on 4 images/);
  });

  it('rank <run> → { items: [{ image, class, meas, group }], spearmanIoU } through wsod.rankings', async () => {
    const r = await cli('wsod', 'rank', '/run', '--data', '/d', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(calls.methods).toEqual([['wsod.rankings', expect.objectContaining({ model: '/run', data: '/d' })]]);
    expect(JSON.parse(r.stdout)).toEqual({ items: [{ image: 'train_000001', class: 1, meas: 0.25, group: 0 }], spearmanIoU: 0.42 });
  });

  it('detect <run> --images --out: the wsod-detect job', async () => {
    const r = await cli('wsod', 'detect', '/run', '--images', '/d', '--out', 'dets.json', '--min-score', '0.2', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(calls.jobs).toEqual([{ kind: 'wsod-detect', config: expect.objectContaining({ model: '/run', images: '/d', out: resolve('dets.json'), minScore: 0.2 }) }]);
    expect(JSON.parse(r.stdout)).toEqual(results['wsod-detect']);
  });

  it('usage errors: one line, exit 2, nothing started', async () => {
    const cases: [string[], string][] = [
      [['wsod'], 'wsod needs a subcommand: data, train, eval, rank, detect, sensitivity or compress'],
      [['wsod', 'fit', '--data', '/d'], 'unknown wsod subcommand "fit" (have: data, train, eval, rank, detect, sensitivity, compress)'],
      [['wsod', 'eval', '--data', '/d'], 'wsod eval needs a <model> (a wsod run folder)'],
      [['wsod', 'train', 'extra', '--data', '/d'], 'wsod train takes no positional arguments (got "extra")'],
      [['wsod', 'eval', '/run', '--data', '/d', '--curriculum'], "wsod eval: unknown option '--curriculum'"],
      [['wsod', 'data', '--out', '/o', '--data', '/d'], "wsod data: unknown option '--data'"],
      [['wsod', 'train', '--data', '/d', '--colour', 'red'], "wsod: Unknown option '--colour'"],
      [['wsod', 'data', '--images', '100'], 'missing --out'],
      [['wsod', 'data', '--out', '/o', '--difficulty', '2'], '--difficulty must be a number ≥ 0 and ≤ 1, got "2"'],
      [['wsod', 'train', '--data', '/d', '--epochs', '0'], '--epochs must be an integer ≥ 1 and ≤ 1000, got "0"'],
      [['wsod', 'eval', '/run', '--data', '/d', '--split', 'train'], '--split must be one of val, test, got "train"'],
      [['wsod', 'detect', '/run', '--out', '/o.json'], 'missing --images'],
      [['wsod', 'rank', '/run'], 'missing --data'],
    ];
    for (const [argv, msg] of cases) {
      const r = await cli(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr, argv.join(' ')).toBe(`layerlens: ${msg}\n`);
      expect(calls.jobs).toEqual([]);
      expect(calls.methods).toEqual([]);
    }
  });
});
