// `npm run bench:distributed`: the queue mode on this machine. A 12-cell sensitivity grid (builtin ResNet-8 on 2,000
// seeded Fashion-MNIST val images; 2 layer groups × 6 bit-widths, fanned out as 6 children of 2 cells) with 1, 2 and 3 local
// `layerlens worker` processes against a throw-away redis-server, next to the same grid on the local runner; and the
// queue's overhead per job (an empty job's round trip). Workers on one machine share its cores: on 2 cores the
// speed-up cannot pass about 2× whatever the worker count.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import type { SensitivityConfig } from '../src/shared/api-quant';
import { createService } from '../src/engine/service';
import { connectionOf } from '../src/engine/distributed/connection';
import { PREFIX, QUEUE } from '../src/engine/distributed/protocol';

const bin = resolve(import.meta.dirname, '../bin/layerlens.mjs');
const grid: SensitivityConfig = {
  model: 'builtin:resnet8-fashion',
  data: 'fashion-mnist',
  bits: [2, 3, 4, 5, 6, 8],
  groups: [
    ['conv1', 's1b0_conv1', 's1b0_conv2', 's2b0_conv1', 's2b0_conv2', 's2b0_sc_conv'],
    ['s3b0_conv1', 's3b0_conv2', 's3b0_sc_conv', 'fc'],
  ],
  method: 'uniform',
  limit: 2000,
  seed: 1,
  evaluator: 'tfjs',
};
const PINGS = 50;

async function freePort(): Promise<number> {
  return new Promise((done) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => done(port));
    });
  });
}

async function startRedis(): Promise<{ url: string; proc: ChildProcess }> {
  if (spawnSync('redis-server', ['--version']).status !== 0) throw new Error('redis-server is not installed (apt-get install redis-server)');
  const port = await freePort();
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', mkdtempSync(join(tmpdir(), 'll-bench-redis-'))]);
  await new Promise<void>((ready) => proc.stdout!.on('data', (b: Buffer) => b.toString().includes('Ready to accept') && ready()));
  return { url: `redis://127.0.0.1:${port}`, proc };
}

async function startWorkers(url: string, n: number): Promise<ChildProcess[]> {
  return Promise.all(
    Array.from({ length: n }, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'll-bench-worker-'));
      const p = spawn(process.execPath, [bin, 'worker', '--redis', url, '--dir', dir, '--workspace', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((ready) => p.stdout!.on('data', (b: Buffer) => b.toString().includes(' ready ') && ready()));
      return p;
    }),
  );
}

const stop = (ps: ChildProcess[]) => Promise.all(ps.map((p) => new Promise((done) => (p.once('exit', done), p.kill('SIGTERM')))));

async function runGrid(redis?: string): Promise<{ seconds: number; result: unknown }> {
  const s = await createService({ workspaceDir: mkdtempSync(join(tmpdir(), 'll-bench-ws-')), host: 'cli', redis: redis ? { url: redis } : undefined });
  try {
    const t = performance.now();
    const rec = await s.runner.wait((await s.call('jobs.start', { kind: 'sensitivity', config: grid })).id);
    if (rec.status !== 'done') throw new Error(`grid ${rec.status}: ${rec.error}`);
    return { seconds: (performance.now() - t) / 1000, result: rec.result };
  } finally {
    await s.close();
  }
}

const { url, proc: redis } = await startRedis();
try {
  console.log(`machine: ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} at start; grid: 12 cells as 6 children, seed ${grid.seed}`);
  const local = await runGrid();
  console.log(`local runner: ${local.seconds.toFixed(1)} s`);
  const rows: { label: string; seconds: number; same: boolean }[] = [{ label: 'local runner (a new thread: includes loading the engine)', seconds: local.seconds, same: true }];
  let pingMs: number[] = [];
  for (const n of [1, 2, 3]) {
    const workers = await startWorkers(url, n);
    try {
      const r = await runGrid(url);
      rows.push({ label: `${n} worker${n > 1 ? 's' : ''}`, seconds: r.seconds, same: JSON.stringify(r.result) === JSON.stringify(local.result) });
      console.log(`${rows.at(-1)!.label}: ${r.seconds.toFixed(1)} s`);
      if (n === 1) {
        // the queue's own cost: an empty job's round trip through Redis and an idle worker, one after another
        const connection = connectionOf({ url });
        const q = new Queue(QUEUE, { connection, prefix: PREFIX });
        const ev = new QueueEvents(QUEUE, { connection, prefix: PREFIX });
        await ev.waitUntilReady();
        for (let i = 0; i < PINGS; i++) {
          const t = performance.now();
          const job = await q.add('ping', { op: 'ping', sentAt: Date.now() });
          await job.waitUntilFinished(ev, 30_000);
          pingMs.push(performance.now() - t);
        }
        await ev.close();
        await q.close();
      }
    } finally {
      await stop(workers);
    }
  }
  pingMs = pingMs.sort((a, b) => a - b);
  const base = rows[1].seconds;
  console.log('\n(workers load the engine into their threads before they say ready; the grid time starts after that)');
  console.log('| runner | 12-cell grid, s | speed-up vs 1 worker | grid equals local |');
  console.log('|---|---:|---:|:---:|');
  for (const r of rows) console.log(`| ${r.label} | ${r.seconds.toFixed(1)} | ${(base / r.seconds).toFixed(2)}× | ${r.same ? 'yes' : 'NO'} |`);
  console.log(`\nqueue overhead per job (empty job round trip, ${PINGS} in a row, 1 idle worker): median ${pingMs[PINGS >> 1].toFixed(1)} ms, p90 ${pingMs[Math.floor(PINGS * 0.9)].toFixed(1)} ms`);
  console.log(`load average at end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}; on ${cpus().length} cores the ceiling is about ${cpus().length}×`);
} finally {
  redis.kill('SIGTERM');
}
