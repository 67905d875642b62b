import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const bin = resolve(import.meta.dirname, '../../bin/layerlens.mjs');

describe('a training run killed mid-way', () => {
  it('is marked resumable on the next start and resumes from its last checkpoint', async () => {
    const ws = mkdtempSync(join(tmpdir(), 'll-kill-'));
    const out = join(ws, 'run');
    const args = ['train', '--arch', 'lenet5', '--data', 'mnist', '--epochs', '3', '--limit', '2048', '--eval-limit', '200', '--seed', '9', '--out', out, '--workspace', ws, '--json'];
    const child = spawn(process.execPath, [bin, ...args], { stdio: 'ignore' });
    // kill -9 once the first epoch's checkpoint is on disk: no chance to clean up
    const deadline = Date.now() + 180_000;
    while (!existsSync(join(out, 'checkpoint', 'state.json'))) {
      if (Date.now() > deadline) throw new Error('no checkpoint appeared');
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(existsSync(join(out, 'model.json'))).toBe(false);

    const jobs = JSON.parse(spawnSync(process.execPath, [bin, 'jobs', '--json', '--workspace', ws], { encoding: 'utf8' }).stdout);
    expect(jobs).toHaveLength(1);
    expect(jobs[0].status).toBe('resumable');

    const r = spawnSync(process.execPath, [bin, 'resume', jobs[0].id, '--json', '--workspace', ws], { encoding: 'utf8', timeout: 240_000 });
    expect(r.stderr).toBe('');
    const result = JSON.parse(r.stdout);
    expect(result.history.map((h: { epoch: number }) => h.epoch)).toEqual([1, 2, 3]);
    expect(existsSync(join(out, 'model.json'))).toBe(true);
    const after = JSON.parse(spawnSync(process.execPath, [bin, 'jobs', '--json', '--workspace', ws], { encoding: 'utf8' }).stdout);
    expect(after[0].status).toBe('done');
  });
});
