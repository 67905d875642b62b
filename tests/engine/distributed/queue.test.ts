// The queue's guards and recoveries against a real, password-protected, append-only redis-server: poison jobs,
// unknown kinds, bad payloads, paths outside the worker, blob models, sweeps, and a Redis restart mid-run.
import { cpSync, mkdtempSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { EvalResult } from '../../../src/shared/api';
import { createService, type Service } from '../../../src/engine/service';
import { connectionOf } from '../../../src/engine/distributed/connection';
import { heartbeatKey, PREFIX, QUEUE } from '../../../src/engine/distributed/protocol';
import type { RemoteRunner } from '../../../src/engine/distributed/remote-runner';
import { resolveModelRef } from '../../../src/engine/models/io';
import { skipReason, startRedis, type RedisServer } from './redis';
import { spawnWorker, stopWorker, type WorkerProc } from './workers';

const PASSWORD = 'pw-0f3a9c';
let redis: RedisServer;
let worker: WorkerProc;
let service: Service;
let runner: RemoteRunner;
let raw: Queue;
let rawEvents: QueueEvents;

const evalOf = (model: string, limit: number) => ({ model, data: 'mnist', limit, split: 'val' as const, evaluator: 'tfjs' as const });

/** Put a payload on the queue directly, as a hostile or broken submitter could, and wait for its end. */
async function rawJob(jobId: string, data: unknown): Promise<{ state: string; reason?: string; attemptsMade: number }> {
  const job = await raw.add('raw', data, { jobId, attempts: 3, backoff: { type: 'fixed', delay: 100 } });
  await job.waitUntilFinished(rawEvents, 60_000).catch(() => {});
  const j = (await raw.getJob(jobId))!;
  return { state: await j.getState(), reason: j.failedReason, attemptsMade: j.attemptsMade };
}

describe.skipIf(skipReason !== '')(`distributed: queue guards ${skipReason}`, () => {
  beforeAll(async () => {
    redis = await startRedis({ password: PASSWORD, appendonly: true });
    // one worker, long locks (the restart below must not look like a stalled job)
    worker = await spawnWorker(redis.url, ['--lock-ms', '30000', '--stalled-ms', '30000']);
    service = await createService({ workspaceDir: mkdtempSync(join(tmpdir(), 'll-dist-q-')), host: 'cli', redis: { url: redis.url } });
    runner = service.runner as RemoteRunner;
    const connection = connectionOf({ url: redis.url });
    raw = new Queue(QUEUE, { connection, prefix: PREFIX });
    rawEvents = new QueueEvents(QUEUE, { connection, prefix: PREFIX });
    // the Redis restart below drops their connections; they reconnect by themselves
    raw.on('error', () => {});
    rawEvents.on('error', () => {});
    await rawEvents.waitUntilReady();
  });
  afterAll(async () => {
    await rawEvents?.close();
    await raw?.close();
    await service?.close();
    if (worker) await stopWorker(worker);
    await redis?.stop();
  });

  it('the server needs the password the URL carries', async () => {
    expect(redis.url).toContain(`:${PASSWORD}@`);
    // a client without it is refused (plain RESP over a socket: no client library guessing)
    const reply = await new Promise<string>((done, fail) => {
      const sock = connect(redis.port, '127.0.0.1', () => sock.write('GET x\r\n'));
      sock.once('data', (b) => {
        done(b.toString());
        sock.destroy();
      });
      sock.once('error', fail);
    });
    expect(reply).toMatch(/^-NOAUTH/);
    // a wrong password is one line at the start, for the worker and the submitter, and the password is not in it
    const bad = redis.url.replace(PASSWORD, 'wrong-pw-7');
    const refused = /cannot use Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ \(WRONGPASS/;
    await expect(spawnWorker(bad)).rejects.toThrow(refused);
    await expect(createService({ workspaceDir: mkdtempSync(join(tmpdir(), 'll-dist-bad-')), host: 'cli', redis: { url: bad } })).rejects.toThrow(refused);
  });

  it('a poison job fails after its attempts with its error, and the job behind it still runs', async () => {
    const poison = runner.start('eval', evalOf('builtin:no-such-model', 50));
    const good = runner.start('eval', evalOf('builtin:lenet5-mnist', 100));
    const [p, g] = await Promise.all([runner.wait(poison.id), runner.wait(good.id)]);
    expect(g.status).toBe('done');
    expect((g.result as EvalResult).n).toBe(100);
    expect(p.status).toBe('failed');
    expect(p.error).toMatch(/failed after 3 attempts: .*no-such-model/);
    expect(runner.listChildren(poison.id)[0]).toMatchObject({ status: 'failed', attempts: 3 });
  });

  it('refuses unknown kinds, bad payloads and paths outside its folder at once, without retrying', async () => {
    const unknown = await rawJob('raw-unknown', { op: 'run', parent: 'p1', index: 0, kind: 'shell', config: { cmd: 'rm -rf /' } });
    expect(unknown).toMatchObject({ state: 'failed', attemptsMade: 1 });
    expect(unknown.reason).toMatch(/unknown job kind "shell"/);

    const bad = await rawJob('raw-bad', { op: 'run', parent: '../../etc', index: 0, kind: 'eval', config: {} });
    expect(bad).toMatchObject({ state: 'failed', attemptsMade: 1 });
    expect(bad.reason).toMatch(/^bad payload: parent/);

    const invalid = await rawJob('raw-invalid', { op: 'run', parent: 'p2', index: 0, kind: 'eval', config: { model: 'builtin:lenet5-mnist', data: 'mnist', limit: -4 } });
    expect(invalid).toMatchObject({ state: 'failed', attemptsMade: 1 });
    expect(invalid.reason).toMatch(/^invalid eval config: limit/);

    const outside = await rawJob('raw-outside', { op: 'run', parent: 'p3', index: 0, kind: 'eval', config: evalOf('/etc/layerlens/model.json', 10) });
    expect(outside).toMatchObject({ state: 'failed', attemptsMade: 1 });
    expect(outside.reason).toMatch(/config field model names a path outside the worker's folder/);

    const blobPath = await rawJob('raw-blob-name', {
      op: 'run', parent: 'p4', index: 0, kind: 'eval', config: evalOf('builtin:lenet5-mnist', 10),
      blobs: { model: { entry: 'model.json', files: [{ name: '../model.json', sha256: 'a'.repeat(64), size: 1 }] } },
    });
    expect(blobPath).toMatchObject({ state: 'failed', attemptsMade: 1 });
    expect(blobPath.reason).toMatch(/^bad payload: blobs\.model\.files\.0\.name: not a plain file name/);
  });

  it('answers an empty job (the queue round trip)', async () => {
    const job = await raw.add('ping', { op: 'ping', sentAt: Date.now() }, { jobId: 'raw-ping' });
    const r = (await job.waitUntilFinished(rawEvents, 30_000)) as { worker: string };
    expect(r.worker).toBe(worker.id);
    // and keeps a heartbeat that expires if it dies
    const client = new Redis(connectionOf({ url: redis.url }));
    try {
      const beat = JSON.parse((await client.get(heartbeatKey(worker.id)))!) as { pid: number };
      expect(beat.pid).toBe(worker.proc.pid);
      expect(await client.pttl(heartbeatKey(worker.id))).toBeGreaterThan(0);
    } finally {
      client.disconnect();
    }
  });

  it('sends a model on disk as checked blobs; the worker\'s result equals the local one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'll-blob-model-'));
    cpSync(dirname(resolveModelRef('builtin:lenet5-mnist').file), dir, { recursive: true });
    const rec = await runner.wait(runner.start('eval', evalOf(join(dir, 'model.json'), 100)).id);
    expect(rec.error).toBeUndefined();
    const local = await createService({ workspaceDir: mkdtempSync(join(tmpdir(), 'll-local-')), host: 'cli' });
    const want = await local.runner.wait(local.runner.start('eval', evalOf(join(dir, 'model.json'), 100)).id);
    await local.close();
    const { metrics, n } = want.result as EvalResult;
    expect(rec.result).toMatchObject({ metrics, n });
    expect(worker.output()).toMatch(/done \S+ on/);
  });

  it('runs a seed set as one child per configuration, and survives a Redis restart without losing a finished result', async () => {
    const configs = [1, 2, 3].map((valSeed) => ({ ...evalOf('builtin:lenet5-mnist', 200), valSeed }));
    const { id } = runner.startSweep('eval', configs);
    // wait for the first child's result in the workspace, then restart Redis under the running sweep
    const deadline = Date.now() + 90_000;
    while (!runner.listChildren(id).some((c) => c.status === 'done') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const first = runner.listChildren(id).find((c) => c.status === 'done')!;
    expect(first).toBeDefined();
    await redis.stop();
    expect(runner.listChildren(id).find((c) => c.jobId === first.jobId)).toEqual(first);
    await new Promise((r) => setTimeout(r, 500));
    await redis.restart();
    const rec = await runner.wait(id);
    expect(rec.error).toBeUndefined();
    expect(rec.status).toBe('done');
    const results = rec.result as EvalResult[];
    expect(results).toHaveLength(3);
    expect(runner.listChildren(id).find((c) => c.jobId === first.jobId)).toEqual(first);
    for (const c of runner.listChildren(id)) expect(worker.output().split('\n').filter((l) => l.startsWith(`done ${c.jobId} `))).toHaveLength(1);
    // each configuration ran as given: three val seeds, three different val subsets
    expect(new Set(results.map((r) => JSON.stringify(r.metrics))).size).toBeGreaterThan(1);
  });

  it('cancels a child running on a worker; the worker takes the next job', async () => {
    const long = runner.start('train', { arch: 'lenet5', data: 'mnist', epochs: 50, limit: 4096, seed: 2 });
    const deadline = Date.now() + 90_000;
    while (runner.listChildren(long.id)[0].status !== 'running' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(runner.cancel(long.id)).toBe(true);
    expect((await runner.wait(long.id)).status).toBe('cancelled');
    const next = await runner.wait(runner.start('eval', evalOf('builtin:lenet5-mnist', 50)).id);
    expect(next.status).toBe('done');
    expect(worker.output()).toMatch(new RegExp(`failed ${long.id}\\.0 on \\S+: cancelled by the user`));
  });

  it('a DNQ search on the only worker scores its batches itself (no slot would take sub-jobs) and finishes', async () => {
    const search = { model: 'builtin:lenet5-mnist', data: 'mnist', method: 'dnq', episodes: 4, episodeEvalSize: 50, retrainEpochs: 0, fractions: [1], compareOrders: false, evalLimit: 100, seed: 2, evaluator: 'tfjs' };
    const rec = await runner.wait(runner.start('quantize', search).id);
    expect(rec.status, rec.error ?? '').toBe('done');
    expect((rec.result as { episodes: unknown[] }).episodes).toHaveLength(4);
    expect(worker.output()).not.toContain(`${rec.id}.0.a1.f`);
  });

  it('refuses a sub-job of an unknown kind at once', async () => {
    const sub = await rawJob('raw-sub', { op: 'sub', kind: 'shell', baseKind: 'eval', config: evalOf('builtin:lenet5-mnist', 10), part: {} });
    expect(sub).toMatchObject({ state: 'failed', attemptsMade: 1 });
    expect(sub.reason).toMatch(/unknown sub-job kind "shell"/);
  });

  it('the CLI sends a job to the queue with --redis', async () => {
    const bin = resolve(import.meta.dirname, '../../../bin/layerlens.mjs');
    const ws = mkdtempSync(join(tmpdir(), 'll-dist-cli-'));
    const r = spawnSync(process.execPath, [bin, 'eval', 'builtin:lenet5-mnist', '--data', 'mnist', '--limit', '60', '--redis', redis.url, '--workspace', ws, '--json'], {
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, LAYERLENS_REDIS: '' },
    });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({ split: 'test', n: 60 });
    const jobs = spawnSync(process.execPath, [bin, 'jobs', '--workspace', ws, '--json'], { encoding: 'utf8', timeout: 60_000 });
    const [rec] = JSON.parse(jobs.stdout) as { id: string; stage: string }[];
    expect(rec.stage).toBe('1/1 children');
    // (spawnSync held this process's event loop: the worker's last lines may still be in the pipe)
    await vi.waitFor(() => expect(worker.output()).toContain(`done ${rec.id}.0 on ${worker.id}`), { timeout: 10_000 });
  });

  it('on SIGTERM a worker finishes the job it is running, then exits 0', async () => {
    const { id } = runner.start('eval', evalOf('builtin:lenet5-mnist', 300));
    const deadline = Date.now() + 90_000;
    while (runner.listChildren(id)[0].status === 'queued' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await stopWorker(worker)).toBe(0);
    expect((await runner.wait(id)).status).toBe('done');
    expect(worker.output()).toMatch(new RegExp(`done ${id}\\.0 on [^\\n]*\\n[^]*stopped`));
  });
});
