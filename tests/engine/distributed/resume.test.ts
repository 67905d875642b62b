// Checkpoint resume across workers that share one --dir: a worker SIGKILLed mid-training leaves its per-epoch
// checkpoint in the shared job folder; the retry on the other worker starts from it (not from epoch 0) and ends
// with the result of an uninterrupted local run of the same seed.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { TrainConfig, TrainResult } from '../../../src/shared/api';
import { createService, type Service } from '../../../src/engine/service';
import type { RemoteRunner } from '../../../src/engine/distributed/remote-runner';
import { skipReason, startRedis, type RedisServer } from './redis';
import { spawnWorker, stopWorker, type WorkerProc } from './workers';

const training: TrainConfig = { arch: 'lenet5', data: 'mnist', epochs: 4, limit: 1024, evalLimit: 200, seed: 9 };

let redis: RedisServer;
let workers: WorkerProc[] = [];
let remote: Service;

describe.skipIf(skipReason !== '')(`distributed: checkpoint resume on another worker ${skipReason}`, () => {
  beforeAll(async () => {
    redis = await startRedis({ appendonly: true });
    const shared = mkdtempSync(join(tmpdir(), 'll-shared-'));
    workers = await Promise.all([0, 1].map(() => spawnWorker(redis.url, ['--dir', shared])));
    remote = await createService({ workspaceDir: mkdtempSync(join(tmpdir(), 'll-dist-resume-')), host: 'cli', redis: { url: redis.url } });
  });
  afterAll(async () => {
    await remote?.close();
    await Promise.all(workers.map(stopWorker));
    await redis?.stop();
  });

  it('the retry on the surviving worker resumes after the killed epoch and matches the local run', async () => {
    const runner = remote.runner as RemoteRunner;
    const { id } = await remote.call('jobs.start', { kind: 'train', config: training });
    // wait for the first epoch's end (its checkpoint is written before the epoch's progress event), then kill
    let killedAfter = 0;
    const off = remote.onJob((e) => {
      if (e.id === id && e.metrics?.valTop1 !== undefined && killedAfter === 0) killedAfter = e.metrics.epoch;
    });
    await vi.waitFor(() => expect(killedAfter).toBeGreaterThan(0), { timeout: 90_000, interval: 50 });
    off();
    const worker = runner.listChildren(id)[0].worker;
    const victim = workers.find((w) => w.id === worker)!;
    victim.proc.kill('SIGKILL');
    await victim.exited;
    const survivor = workers.find((w) => w !== victim)!;

    const rec = await remote.runner.wait(id);
    expect(rec.status, rec.error ?? '').toBe('done');
    const got = rec.result as TrainResult;
    const resumedAt = Number(/resuming from epoch (\d+)/.exec(survivor.output())?.[1]);
    // it started from a checkpoint the killed worker wrote: after epoch 0, at or after the epoch seen finished
    expect(resumedAt).toBeGreaterThanOrEqual(killedAfter);
    expect(resumedAt).toBeLessThan(training.epochs!);
    expect(runner.listChildren(id)[0].attempts).toBe(2);

    const local = await createService({ workspaceDir: mkdtempSync(join(tmpdir(), 'll-local-')), host: 'cli' });
    const want = (await local.runner.wait((await local.call('jobs.start', { kind: 'train', config: training })).id)).result as TrainResult;
    await local.close();
    expect(got.history).toEqual(want.history);
    expect(got.top1).toBe(want.top1);
  }, 240_000);
});
