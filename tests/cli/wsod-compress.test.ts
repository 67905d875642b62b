// `layerlens wsod sensitivity|compress` (and the aliases `wsod-sensitivity` / `wsod-compress`): flags → the contract's job configs, text and --json output, one-line
// usage errors (jobs stubbed: their own tests run them), and one real run of the binary on a folder that is no run.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import type { JobStart } from '../../src/shared/api';
import { cliRunner } from './harness';

const calls = vi.hoisted(() => ({ jobs: [] as JobStart[] }));
const scores = (split: string, mAP50: number) => ({ split, n: 4, mAP50, corloc: 0.5, perClass: [] });
const results: Record<string, unknown> = {
  'wsod-sensitivity': {
    model: '/run', data: '/d', method: 'uniform', granularity: 'per-channel', baseline: 0.6, baselineCorloc: 0.7, n: 40, split: 'val', splits: {},
    metric: 'mAP50', seed: 1, backend: 'cpu', evaluator: 'tfjs', wallSeconds: 1,
    layers: [{ name: 'head/fc', members: ['head/fc'], params: 100, bits: { '8': 0.6, '2': 0.1 }, corloc: { '8': 0.7, '2': 0.2 } }],
    policy: { version: 1, layers: { 'head/fc': { bits: 8, method: 'uniform', granularity: 'per-channel', symmetric: true } } },
    tolerance: 0.01,
  },
  'wsod-compress': {
    model: '/run', data: '/d', out: '/c', float: { test: scores('test', 0.6), val: scores('val', 0.5) }, compressed: { test: scores('test', 0.55), val: scores('val', 0.45) },
    layers: [{ name: 'head/fc', params: 100, bits: 4, bytes: 60, floatBytes: 400 }], size: { floatBytes: 400, compressedBytes: 60, ratio: 400 / 60 },
    macs: { float: { backbone: 1000, headPerRoI: 100 }, compressed: { backbone: 1000, headPerRoI: 50 } }, changes: { same: 3, moved: 1, rescored: 2, gone: 1, new: 0 },
    confidentChanges: { minScore: 0.3, same: 2, moved: 0, rescored: 1, gone: 0, new: 0 },
    exports: [], splits: {}, backend: 'cpu', wallSeconds: 1, recordPath: '/c/compress.json',
  },
};

vi.mock('../../src/cli/util', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../src/cli/util')>();
  return {
    ...actual,
    runJobToEnd: async (_args: unknown, job: JobStart) => {
      calls.jobs.push(job);
      return results[job.kind];
    },
  };
});

const cli = cliRunner({ beforeRun: () => (calls.jobs.length = 0) });
afterEach(() => vi.restoreAllMocks());

const ws = mkdtempSync(join(tmpdir(), 'll-cli-wsod-compress-'));
afterAll(() => rmSync(ws, { recursive: true, force: true }));

describe('layerlens wsod sensitivity|compress and their aliases wsod-sensitivity / wsod-compress', () => {
  it('wsod-sensitivity: layers, bits and the val subset go into the job; the table lists bits high to low', async () => {
    const policyOut = join(ws, 'policy.json');
    const r = await cli('wsod-sensitivity', 'run', '--layers', 'head/fc, backbone/conv1', '--bits', '8,2', '--method', 'kmeans', '--limit', '40', '--seed', '2', '--tolerance', '0.02', '--policy-out', policyOut);
    expect(r.code, r.stderr).toBe(0);
    expect(calls.jobs).toEqual([
      { kind: 'wsod-sensitivity', config: expect.objectContaining({ model: resolve('run'), layers: ['head/fc', 'backbone/conv1'], bits: [8, 2], method: 'kmeans', limit: 40, seed: 2, tolerance: 0.02 }) },
    ]);
    expect(JSON.parse(readFileSync(policyOut, 'utf8'))).toEqual((results['wsod-sensitivity'] as { policy: unknown }).policy);
    expect(r.stdout).toMatch(/suggested policy .*: head\/fc=8/);
    expect(r.stdout).toMatch(/float mAP@0\.5 60\.00 % \(CorLoc 70\.00 %\) on 40 val images/);
    expect(r.stdout).toMatch(/head\/fc\s+100\s+60\.00 %\s+10\.00 %/);
    const j = await cli('wsod-sensitivity', '/run', '--json');
    expect(JSON.parse(j.stdout)).toEqual(results['wsod-sensitivity']);
  });

  it('wsod-compress: bits, policy, low rank and formats; the text says float vs compressed and what changed', async () => {
    const r = await cli('wsod-compress', '/run', '--out', 'c', '--bits', '4', '--policy', 'p.json', '--lowrank', 'head/fc', '--speedup', '2', '--formats', 'onnx,packed');
    expect(r.code, r.stderr).toBe(0);
    expect(calls.jobs[0]).toEqual({
      kind: 'wsod-compress',
      config: expect.objectContaining({ model: '/run', out: resolve('c'), bits: 4, policy: resolve('p.json'), lowrank: expect.objectContaining({ layers: ['head/fc'], speedup: 2 }), formats: ['onnx', 'packed'] }),
    });
    expect(r.stdout).toMatch(/float\s+mAP@0\.5\s+60\.00 %/);
    expect(r.stdout).toMatch(/compressed\s+mAP@0\.5\s+55\.00 %/);
    expect(r.stdout).toMatch(/400 → 60 bytes \(6\.67×\)/);
    expect(r.stdout).toMatch(/same 3, moved 1, rescored 2, gone 1, new 0; scoring ≥ 0.3: same 2, moved 0, rescored 1, gone 0, new 0/);
    // --energy alone factorises the default layers
    await cli('wsod-compress', '/run', '--out', '/c', '--energy', '0.8');
    expect(calls.jobs[0].config).toMatchObject({ lowrank: { energy: 0.8 }, bits: undefined });
  });

  it('usage errors: one line, exit 2, nothing started', async () => {
    const cases: [string[], string][] = [
      [['wsod-compress', '/run', '--bits', '8'], 'missing --out'],
      [['wsod-compress', '/run', '--out', '/c'], 'wsod-compress needs --bits, --policy or --lowrank'],
      [['wsod-compress', '/run', '--out', '/c', '--bits', '1'], '--bits must be an integer ≥ 2 and ≤ 16, got "1"'],
      [['wsod-compress', '/run', '--out', '/c', '--energy', '1.5'], '--energy must be a number > 0 and ≤ 1, got "1.5"'],
      [['wsod-compress', '/run', '--out', '/c', '--bits', '8', '--formats', 'pt'], '--formats: unknown format "pt" (have: tfjs, onnx, aimet, packed)'],
      [['wsod-sensitivity', '/run', '--bits', '9'], '--bits must be an integer ≥ 2 and ≤ 8, got "9"'],
      [['wsod-sensitivity', '/run', '--method', 'ternary'], '--method must be one of uniform, pow2, kmeans, got "ternary"'],
    ];
    for (const [argv, msg] of cases) {
      const r = await cli(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr, argv.join(' ')).toBe(`layerlens: ${msg}\n`);
      expect(calls.jobs).toEqual([]);
    }
  });

  it('wsod sensitivity|compress: the same jobs and output as the wsod-sensitivity|wsod-compress aliases', async () => {
    const pairs: [string[], string[]][] = [
      [['wsod', 'sensitivity', '/run', '--bits', '8,2', '--layers', 'head/fc', '--limit', '40'], ['wsod-sensitivity', '/run', '--bits', '8,2', '--layers', 'head/fc', '--limit', '40']],
      [['wsod', 'sensitivity', '/run', '--json'], ['wsod-sensitivity', '/run', '--json']],
      [['wsod', 'compress', '/run', '--out', 'c', '--bits', '4', '--lowrank', 'head/fc', '--formats', 'onnx'], ['wsod-compress', '/run', '--out', 'c', '--bits', '4', '--lowrank', 'head/fc', '--formats', 'onnx']],
    ];
    for (const [sub, top] of pairs) {
      const a = await cli(...sub);
      const jobs = [...calls.jobs];
      const b = await cli(...top);
      expect(a.code, a.stderr).toBe(0);
      expect(jobs).toHaveLength(1);
      expect(jobs).toEqual(calls.jobs);
      expect(a.stdout).not.toBe('');
      expect(a.stdout).toBe(b.stdout);
    }
    expect(calls.jobs[0]).toMatchObject({ kind: 'wsod-compress', config: { model: '/run', out: resolve('c'), bits: 4, formats: ['onnx'] } });
  });

  it('wsod sensitivity|compress: one-line usage errors; each refuses the other wsod subcommands\' flags', async () => {
    const cases: [string[], string][] = [
      [['wsod', 'compress', '--out', '/c', '--bits', '8'], 'wsod compress needs a <run> (a wsod run folder)'],
      [['wsod', 'sensitivity', '/run', 'extra'], 'wsod sensitivity needs a <run> (a wsod run folder)'],
      [['wsod', 'compress', '/run', '--bits', '8'], 'missing --out'],
      [['wsod', 'sensitivity', '/run', '--bits', '9'], '--bits must be an integer ≥ 2 and ≤ 8, got "9"'],
      [['wsod', 'sensitivity', '/run', '--curriculum'], "wsod sensitivity: unknown option '--curriculum'"],
      [['wsod', 'compress', '/run', '--out', '/c', '--bits', '8', '--policy-out', 'p.json'], "wsod compress: unknown option '--policy-out'"],
      [['wsod', 'train', '--data', '/d', '--bits', '4'], "wsod train: unknown option '--bits'"],
    ];
    for (const [argv, msg] of cases) {
      const r = await cli(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr, argv.join(' ')).toBe(`layerlens: ${msg}\n`);
      expect(calls.jobs).toEqual([]);
    }
  });

  it('--help shows the wsod subcommands and names the old commands as aliases', async () => {
    const r = await cli('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ {2}wsod sensitivity <run> /m);
    expect(r.stdout).toMatch(/^ {2}wsod compress <run> --out DIR/m);
    expect(r.stdout).toMatch(/^ {2}wsod-sensitivity … +alias of wsod sensitivity$/m);
    expect(r.stdout).toMatch(/^ {2}wsod-compress … +alias of wsod compress$/m);
  });

  it('the real binary on a folder that is no wsod run: one line naming the folder', () => {
    const bin = resolve(import.meta.dirname, '../../bin/layerlens.mjs');
    const r = spawnSync(process.execPath, [bin, 'wsod-compress', ws, '--out', join(ws, 'c'), '--bits', '8', '--workspace', ws], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status).not.toBe(0);
    const lines = r.stderr.trim().split('\n');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toContain('is not a wsod run folder');
    expect(lines[0]).toContain(ws);
  }, 120_000);
});
