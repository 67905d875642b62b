// `layerlens parts …` wiring: flags → the contract's job configs and method requests, --json shapes, one-line usage
// errors. The jobs are stubbed (tests/engine/analyses/parts runs them for real).
import { resolve } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { JobStart } from '../../src/shared/api';
import type { PartsResponses } from '../../src/shared/api-parts';
import { cliRunner } from './harness';

const calls = vi.hoisted(() => ({ jobs: [] as JobStart[], methods: [] as [string, unknown][] }));

const scores = { split: 'test', n: 4, top1Global: 0.25, top1Parts: 0.5, top1Both: 0.75, corloc: 0.4, purity: 0.6 };
const responses: PartsResponses = {
  image: 'test_000001',
  width: 8,
  height: 8,
  gridW: 4,
  gridH: 4,
  pixels: new Array(64).fill(0),
  maps: [{ detector: 1, class: 0, values: new Array(16).fill(0.5), min: 0, max: 2.5, top: [{ box: { x1: 0, y1: 0, x2: 4, y2: 4 }, score: 2.5 }] }],
  classScores: null,
};
const results: Record<string, unknown> = {
  'parts-data': { out: '/d', classNames: ['1-part', '2-part'], train: 10, test: 5, seed: 2 },
  'parts-train': {
    data: '/d', seed: 1, runDir: '/run', val: { ...scores, split: 'val' }, test: scores, mining: { purity: null, detectors: 6 },
    config: {}, splits: {}, timings: { fit: 1 }, wallSeconds: 3, cpuSeconds: 3, backend: 'cpu', recordPath: '/r.json',
  },
  'parts-eval': { ...scores, model: '/run', backend: 'cpu' },
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
          return responses;
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

describe('layerlens parts: flags → contract', () => {
  it('data: the parts-data job, out resolved', async () => {
    const r = await cli('parts', 'data', '--out', 'scenes', '--images', '50', '--classes', '3', '--seed', '2', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(calls.jobs).toEqual([{ kind: 'parts-data', config: expect.objectContaining({ out: resolve('scenes'), images: 50, classes: 3, seed: 2 }) }]);
    expect(JSON.parse(r.stdout)).toEqual(results['parts-data']);
  });

  it('mine and train: one job kind, mineOnly set by the subcommand; --mil, --affinity, --pyramid', async () => {
    const r = await cli('parts', 'train', '--data', '/d', '--out', '/o', '--mil', 'plain', '--affinity', 'kmeans', '--pyramid', '--seeds', '40', '--seed', '3', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(calls.jobs[0]).toEqual({ kind: 'parts-train', config: expect.objectContaining({ data: '/d', out: '/o', mineOnly: false, mil: 'plain', affinity: 'kmeans', pyramid: true, seeds: 40, seed: 3 }) });
    const j = JSON.parse(r.stdout);
    expect(j.test).toEqual({ top1Global: 0.25, top1Parts: 0.5, top1Both: 0.75, corloc: 0.4, purity: 0.6 });
    const m = await cli('parts', 'mine', '--data', '/d');
    expect(m.code, m.stderr).toBe(0);
    expect(calls.jobs[0].config).toMatchObject({ mineOnly: true, mil: undefined, pyramid: undefined });
  });

  it('eval <run> → { top1Global, top1Parts, top1Both, corloc, purity }', async () => {
    const r = await cli('parts', 'eval', '/run', '--data', '/d', '--split', 'val', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(calls.jobs).toEqual([{ kind: 'parts-eval', config: expect.objectContaining({ model: '/run', data: '/d', split: 'val' }) }]);
    expect(Object.keys(JSON.parse(r.stdout))).toEqual(['top1Global', 'top1Parts', 'top1Both', 'corloc', 'purity']);
    const text = await cli('parts', 'eval', '/run', '--data', '/d');
    expect(text.stdout).toMatch(/top-1 global 25\.00 %, parts 50\.00 %, both 75\.00 %; CorLoc 40\.00 %/);
  });

  it('respond <run> --image: the parts.respond method, a file path resolved, detectors parsed', async () => {
    const r = await cli('parts', 'respond', '/run', '--image', 'scene.png', '--detectors', '1,3', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(calls.methods).toEqual([['parts.respond', expect.objectContaining({ model: '/run', image: resolve('scene.png'), detectors: [1, 3] })]]);
    expect(JSON.parse(r.stdout).maps[0]).toMatchObject({ detector: 1, max: 2.5 });
    // with --data the image is an id of that dataset's split, not a path
    await cli('parts', 'respond', '/run', '--image', 'test_000001', '--data', '/d');
    expect(calls.methods[0][1]).toMatchObject({ image: 'test_000001', data: '/d' });
  });

  it('usage errors: one line, exit 2, nothing started', async () => {
    const cases: [string[], string][] = [
      [['parts'], 'parts needs a subcommand: data, mine, train, eval or respond'],
      [['parts', 'fit'], 'unknown parts subcommand "fit" (have: data, mine, train, eval, respond)'],
      [['parts', 'eval', '--data', '/d'], 'parts eval needs a <run> (a parts run folder)'],
      [['parts', 'train', '--data', '/d', '--mil', 'fancy'], '--mil must be one of cls, plain, got "fancy"'],
      [['parts', 'data', '--out', '/o', '--mil', 'cls'], "parts data: unknown option '--mil'"],
      [['parts', 'respond', '/run', '--image', 'x.png', '--detectors', 'a,b'], '--detectors takes a comma-separated list of detector indices, got "a,b"'],
      [['parts', 'train'], 'missing --data'],
    ];
    for (const [argv, msg] of cases) {
      const r = await cli(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr).toContain(msg);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(calls.jobs).toEqual([]);
    }
  });
});
