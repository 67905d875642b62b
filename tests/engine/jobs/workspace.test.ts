import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Workspace } from '../../../src/engine/jobs/workspace';

const tmp = () => mkdtempSync(join(tmpdir(), 'll-ws-'));

describe('Workspace', () => {
  it('records a job, its progress and metric history, and survives reopening', () => {
    const dir = tmp();
    const ws = new Workspace(dir);
    ws.createJob('j1', 'train', { arch: 'lenet5', data: 'mnist', epochs: 1 });
    ws.update('j1', { status: 'running', fraction: 0.25, stage: 'epoch 1/4' });
    ws.addMetric('j1', { t: 1, loss: 2.0 });
    ws.addMetric('j1', { t: 2, loss: 1.5 });
    ws.update('j1', { status: 'done', fraction: 1, result: { top1: 0.9 }, resultPaths: ['/x/model.json'] });
    ws.close();

    const again = new Workspace(dir);
    const job = again.getJob('j1')!;
    expect(job.status).toBe('done');
    expect(job.config).toEqual({ arch: 'lenet5', data: 'mnist', epochs: 1 });
    expect(job.metrics.map((m) => m.loss)).toEqual([2.0, 1.5]);
    expect(job.result).toEqual({ top1: 0.9 });
    expect(job.resultPaths).toEqual(['/x/model.json']);
    expect(again.listJobs().map((j) => j.id)).toEqual(['j1']);
    again.close();
  });

  it('marks jobs orphaned by a dead process resumable or failed, never leaves them running', () => {
    const ws = new Workspace(tmp());
    ws.createJob('a', 'train', { out: '/has/checkpoint' });
    ws.createJob('b', 'eval', {});
    ws.createJob('mine', 'eval', {});
    // a pid that cannot exist: the job's process is gone
    ws.db.prepare("UPDATE jobs SET status = 'running', pid = 999999999 WHERE id IN ('a', 'b')").run();
    ws.update('mine', { status: 'running' });
    const recovered = ws.recoverOrphans((job) => (job.config as { out?: string }).out === '/has/checkpoint');
    expect(recovered.map((j) => [j.id, j.status]).sort()).toEqual([
      ['a', 'resumable'],
      ['b', 'failed'],
    ]);
    expect(ws.getJob('b')!.error).toMatch(/interrupted/);
    // a job of this (live) process is left alone
    expect(ws.getJob('mine')!.status).toBe('running');
    ws.close();
  });

  it('keeps the recent models list most-recent first without duplicates', () => {
    const ws = new Workspace(tmp());
    ws.touchModel('/m/a/model.json');
    ws.touchModel('/m/b/model.json');
    ws.touchModel('/m/a/model.json');
    expect(ws.recentModels()[0]).toBe('/m/a/model.json');
    expect(ws.recentModels()).toHaveLength(2);
    ws.close();
  });
});
