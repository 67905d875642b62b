// `layerlens action …` through the real CLI and engine on a tiny benchmark: data → flow → train → eval, each with
// --json in the shapes; bad subcommands and flags are refused in one line.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliRunner } from './harness';

const root = mkdtempSync(join(tmpdir(), 'll-action-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const cli = cliRunner({ append: ['--workspace', join(root, 'ws')] });

describe('layerlens action', () => {
  it('data → flow → train → eval, --json at each step', async () => {
    const data = join(root, 'clips');
    const d = await cli('action', 'data', '--out', data, '--clips', '12', '--test-clips', '12', '--lag', '2', '--seed', '3', '--json');
    expect(d.code, d.stderr).toBe(0);
    expect(JSON.parse(d.stdout)).toMatchObject({ out: data, train: 12, test: 12, lag: 2, seed: 3, coarseNames: ['translate', 'rotate', 'zoom'] });

    const f = await cli('action', 'flow', '--data', data, '--json');
    expect(f.code, f.stderr).toBe(0);
    expect(JSON.parse(f.stdout)).toMatchObject({ clips: 24, computed: 24, cached: 0 });

    const run = join(root, 'run');
    const t = await cli('action', 'train', '--data', data, '--out', run, '--fusion', 'sync', '--levels', 'fine', '--epochs', '1', '--val-fraction', '0.25', '--json');
    expect(t.code, t.stderr).toBe(0);
    const tj = JSON.parse(t.stdout);
    expect(tj.offsets).toEqual([0]);
    expect(tj.offsetWeights).toEqual([1]);
    expect(tj.timings.flowMsPerClip).toBeNull(); // all from the cache `action flow` filled

    const e = await cli('action', 'eval', run, '--data', data, '--split', 'test', '--val-fraction', '0.25', '--json');
    expect(e.code, e.stderr).toBe(0);
    const ej = JSON.parse(e.stdout);
    expect(Object.keys(ej)).toEqual(expect.arrayContaining(['top1Fine', 'top1Coarse', 'offsetWeights']));
    expect(ej.top1Fine).toBeCloseTo(tj.test.top1Fine, 10);
  }, 300_000);

  it('refuses unknown subcommands and other subcommands’ flags in one line', async () => {
    const a = await cli('action', 'dance');
    expect(a.code).not.toBe(0);
    expect(a.stderr).toMatch(/unknown action subcommand "dance"/);
    const b = await cli('action', 'flow', '--data', 'x', '--fusion', 'async');
    expect(b.code).not.toBe(0);
    expect(b.stderr).toMatch(/action flow: unknown option '--fusion'/);
    const c = await cli('action', 'train', '--data', 'x', '--fusion', 'later');
    expect(c.code).not.toBe(0);
    expect(c.stderr.trim().split('\n')).toHaveLength(1);
  });
});
