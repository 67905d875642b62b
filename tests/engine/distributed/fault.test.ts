// The fault test of the distributed mode: a real redis-server, three worker processes, one SIGKILLed mid-job; every
// child result arrives exactly once and the merged grid equals the one the local runner computes for the same seed.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SensitivityConfig, SensitivityResult } from '../../../src/shared/api-quant';
import { createService, type Service } from '../../../src/engine/service';
import type { RemoteRunner } from '../../../src/engine/distributed/remote-runner';
import { skipReason, startRedis, type RedisServer } from './redis';
import { spawnWorker, stopWorker, type WorkerProc } from './workers';

// 4 rows (fc2+fc3 grouped) × 3 bit-widths = 12 cells, split into 3 children (one per bit-width)
const grid: SensitivityConfig = { model: 'builtin:lenet5-mnist', data: 'mnist', bits: [2, 4, 8], method: 'uniform', groups: [['fc2', 'fc3']], limit: 300, seed: 3, evaluator: 'tfjs' };

let redis: RedisServer;
let workers: WorkerProc[] = [];
let remote: Service;

describe.skipIf(skipReason !== '')(`distributed: SIGKILL mid-job ${skipReason}`, () => {
  beforeAll(async () => {
    redis = await startRedis({ appendonly: true });
    workers = await Promise.all([0, 1, 2].map(() => spawnWorker(redis.url)));
    remote = await createService({ workspaceDir: mkdtempSync(join(tmpdir(), 'll-dist-')), host: 'cli', redis: { url: redis.url } });
  });
  afterAll(async () => {
    await remote?.close();
    await Promise.all(workers.map(stopWorker));
    await redis?.stop();
  });

  it('retries the killed worker\'s child on another worker; each child lands once; the grid equals the local one', async () => {
    const local = await createService({ workspaceDir: mkdtempSync(join(tmpdir(), 'll-local-')), host: 'cli' });
    const localRun = local.call('jobs.start', { kind: 'sensitivity', config: grid }).then(({ id }) => local.runner.wait(id));

    const runner = remote.runner as RemoteRunner;
    const { id } = await remote.call('jobs.start', { kind: 'sensitivity', config: grid });
    // kill the first worker seen reporting progress on a child
    let victim: WorkerProc | undefined;
    let victimChild = '';
    await new Promise<void>((killed) => {
      const off = remote.onJob((e) => {
        if (e.id !== id || victim) return;
        const running = runner.listChildren(id).find((c) => c.status === 'running' && c.worker);
        const w = running && workers.find((x) => x.id === running.worker);
        if (!w) return;
        victim = w;
        victimChild = running!.jobId;
        w.proc.kill('SIGKILL');
        off();
        killed();
      });
    });
    const rec = await remote.runner.wait(id);
    expect(rec.error).toBeUndefined();
    expect(rec.status).toBe('done');
    expect(rec.stage).toBe('3/3 children');

    const children = runner.listChildren(id);
    expect(children.map((c) => [c.index, c.status])).toEqual([[0, 'done'], [1, 'done'], [2, 'done']]);
    const redone = children.find((c) => c.jobId === victimChild)!;
    expect(redone.worker).not.toBe(victim!.id);
    expect(redone.attempts).toBeGreaterThanOrEqual(2);
    // exactly once: across the surviving workers' logs each child finished once, and the victim finished none
    const logs = workers.filter((w) => w !== victim).map((w) => w.output()).join('\n');
    for (const c of children) expect(logs.split('\n').filter((l) => l.startsWith(`done ${c.jobId} `))).toHaveLength(1);
    expect(victim!.output()).not.toMatch(/^done /m);

    const localRec = await localRun;
    await local.close();
    expect(localRec.status).toBe('done');
    const want = localRec.result as SensitivityResult;
    const got = rec.result as SensitivityResult;
    expect(got.layers).toHaveLength(4);
    expect(Object.keys(got.layers[0].bits)).toEqual(['2', '4', '8']);
    // the merged grid is the one-process grid, cell for cell (same seed, same evaluator)
    expect(got).toEqual(want);
  });

  it('a worker told SIGTERM exits 0', async () => {
    const w = workers.find((x) => x.proc.exitCode === null && x.proc.signalCode === null)!;
    expect(await stopWorker(w)).toBe(0);
    expect(w.output()).toMatch(/stopped/);
  });
});
