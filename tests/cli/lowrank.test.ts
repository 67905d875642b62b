import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const bin = join(root, 'bin/layerlens.mjs');
const ws = mkdtempSync(join(tmpdir(), 'll-cli-lowrank-'));
function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args, '--workspace', ws], { encoding: 'utf8', timeout: 240_000, cwd: tmpdir() });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('layerlens spectrum / lowrank', () => {
  it('spectrum --json: the issue shape for every conv/dense layer', () => {
    const r = cli('spectrum', 'builtin:lenet5-mnist', '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j)).toEqual(['layers']);
    expect(j.layers.map((l: { name: string }) => l.name)).toEqual(['conv1', 'conv2', 'fc1', 'fc2', 'fc3']);
    for (const l of j.layers) {
      expect(Object.keys(l)).toEqual(['name', 'shape', 'singularValues', 'rankAtEnergy']);
      expect(Object.keys(l.rankAtEnergy)).toEqual(['0.9', '0.95', '0.99']);
      expect(l.singularValues.length).toBe(Math.min(...l.shape));
    }
    expect(j.layers[1].shape).toEqual([16, 150]);
    const one = JSON.parse(cli('spectrum', 'builtin:lenet5-mnist', '--layer', 'fc1', '--scheme', 'spatial', '--json').stdout);
    expect(one.layers.map((l: { name: string }) => l.name)).toEqual(['fc1']);
  });

  it('lowrank --method svd --out: the issue JSON; the folder holds a model eval loads, and the run record', () => {
    const out = mkdtempSync(join(tmpdir(), 'll-cli-lr-out-'));
    const r = cli('lowrank', 'builtin:lenet5-mnist', '--data', 'mnist', '--method', 'svd', '--scheme', 'spatial', '--energy', '0.9', '--test-limit', '500', '--out', out, '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j)).toEqual(['method', 'scheme', 'baseline', 'decomposed', 'speedup', 'ranks', 'posthoc']);
    expect(j).toMatchObject({ method: 'svd', scheme: 'spatial' });
    expect(Object.keys(j.baseline)).toEqual(['top1', 'flops']);
    expect(Object.keys(j.posthoc)).toEqual(['top1']);
    expect(j.speedup).toBeCloseTo(j.baseline.flops / j.decomposed.flops, 10);
    expect(j.speedup).toBeGreaterThan(1);
    expect(existsSync(join(out, 'lowrank.json'))).toBe(true);
    expect(JSON.parse(readFileSync(join(out, 'lowrank.json'), 'utf8')).result.ranks).toEqual(j.ranks);
    const e = cli('eval', out, '--data', 'mnist', '--limit', '500', '--json');
    expect(e.code).toBe(0);
    expect(JSON.parse(e.stdout).metrics.top1).toBeCloseTo(j.decomposed.top1, 10);
  });

  it('lowrank --speedup 2: the FLOPs budget gives a model with at most half the MACs', () => {
    const out = mkdtempSync(join(tmpdir(), 'll-cli-lr-budget-'));
    const r = cli('lowrank', 'builtin:lenet5-mnist', '--data', 'mnist', '--method', 'svd', '--scheme', 'spatial', '--speedup', '2', '--test-limit', '200', '--out', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.decomposed.flops).toBeLessThanOrEqual(j.baseline.flops / 2);
    expect(j.speedup).toBeGreaterThanOrEqual(2);
    expect(r.stderr).toBe('');
    // a budget no ranks can meet: the nearest model, and a one-line note saying so
    const far = cli('lowrank', 'builtin:lenet5-mnist', '--data', 'mnist', '--method', 'svd', '--speedup', '1000', '--test-limit', '100', '--out', mkdtempSync(join(tmpdir(), 'll-cli-lr-far-')), '--json');
    expect(far.code).toBe(0);
    expect(far.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^layerlens: note: the 1000× budget is out of reach for the selected layers: rank 1 everywhere gives 3\.\d\d×$/)]);
  });

  it('bad input: one-line errors, usage exit code 2', () => {
    const cases: [string[], RegExp, number][] = [
      [['lowrank', 'builtin:lenet5-mnist', '--data', 'mnist', '--method', 'qr', '--out', '/tmp/x'], /--method must be one of svd, trp/, 2],
      [['lowrank', 'builtin:lenet5-mnist', '--data', 'mnist', '--method', 'svd'], /missing --out/, 2],
      [['lowrank', 'builtin:lenet5-mnist', '--data', 'mnist', '--method', 'trp', '--nuclear=-1', '--out', '/tmp/x'], /--nuclear must be a number ≥ 0 and ≤ 10, got "-1"/, 2],
      [['lowrank', 'builtin:lenet5-mnist', '--data', 'mnist', '--method', 'svd', '--speedup', '0.5', '--out', '/tmp/x'], /--speedup must be a number ≥ 1 and ≤ 1000, got "0.5"/, 2],
      [['spectrum', 'builtin:lenet5-mnist', '--layer', 'nope'], /no Conv2D\/Dense layer "nope"/, 1],
      [['spectrum', 'builtin:nope'], /unknown builtin model/, 1],
      [['lowrank', 'arch:vgg', '--data', 'mnist', '--method', 'trp', '--out', mkdtempSync(join(tmpdir(), 'll-x-'))], /unknown architecture "vgg"/, 1],
    ];
    for (const [args, msg, code] of cases) {
      const r = cli(...args);
      expect(r.code, args.join(' ')).toBe(code);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(msg);
    }
  });
});
