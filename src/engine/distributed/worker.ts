// A queue worker: takes jobs from Redis and runs each in a worker thread through the engine's job table, as the local
// runner does, so remote and local results come from the same code.
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { isAbsolute, join, resolve, sep } from 'node:path';
import { Worker as Thread } from 'node:worker_threads';
import { Queue, QueueEvents, UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { JobStart } from '../../shared/api';
import { oneLine, RelayedError, UserError } from '../core/errors';
import { jobAnalyses } from '../analyses/registry';
import type { ThreadMessage, ThreadRequest } from './job-thread';
import { isSubJobKind } from './sub-jobs';
import { folderBlobs, fetchFolder, redisBlobs, type BlobStore } from './blobs';
import { connectionOf, redactUrl, type RedisTarget } from './connection';
import { checkRedis } from './remote-runner';
import { cancelKey, heartbeatKey, Payload, PREFIX, QUEUE, type ChildOutcome, type ChildProgress, type RunPayload, type SubPayload } from './protocol';

const threadEntry = new URL('./thread-boot.mjs', import.meta.url);
// a thread is replaced after this many jobs, which bounds what a leaking analysis can hold on to
const RECYCLE_AFTER_JOBS = 50;
const HEARTBEAT_MS = 2_000;
const PROGRESS_EVERY_MS = 250;

export interface WorkerOptions {
  redis: RedisTarget;
  /** the worker's own folder: job outputs and fetched blobs; nothing from a payload is used outside it */
  dir: string;
  concurrency?: number;
  /** a blob folder shared with the submitters, read before Redis */
  blobDir?: string;
  /** how long a job's lock lives without renewal, and how often stalled jobs are looked for (short in tests) */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  log?: (line: string) => void;
}

interface Slot {
  thread: Thread;
  jobs: number;
  dead: boolean;
}

export interface RunningWorker {
  id: string;
  /** stop taking jobs, let the current ones finish, disconnect */
  close(): Promise<void>;
}

/** Strings of a config that name files must lie inside the worker's folder (a builtin ref or a dataset name does not). */
function checkPaths(value: unknown, root: string, at: string): void {
  if (typeof value === 'string') {
    if (!/[\\/]/.test(value) && !value.startsWith('.') && !value.startsWith('~')) return;
    const p = isAbsolute(value) ? resolve(value) : resolve(root, value);
    if (p !== root && !p.startsWith(root + sep)) {
      throw new UnrecoverableError(`config field ${at} names a path outside the worker's folder ("${value}"); only builtin models/datasets and blobs travel to workers`);
    }
  } else if (Array.isArray(value)) value.forEach((v, i) => checkPaths(v, root, `${at}[${i}]`));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) checkPaths(v, root, at ? `${at}.${k}` : k);
}

/** Validate a run payload with the contract's schemas and point its blob fields at this worker's copies. */
async function prepareRun(p: Pick<RunPayload, 'kind' | 'config' | 'blobs'>, dirName: string, root: string, stores: BlobStore[]): Promise<{ config: unknown; jobDir: string }> {
  const analysis = (jobAnalyses as Record<string, (typeof jobAnalyses)[keyof typeof jobAnalyses] | undefined>)[p.kind];
  const contract = JobStart.safeParse({ kind: p.kind, config: p.config });
  if (!analysis || (!contract.success && contract.error.issues.some((i) => i.path[0] === 'kind'))) {
    throw new UnrecoverableError(`unknown job kind "${p.kind.slice(0, 64)}"`);
  }
  if (!contract.success) {
    const i = contract.error.issues[0];
    throw new UnrecoverableError(`invalid ${p.kind} config: ${i.path.slice(1).join('.') || '(root)'}: ${i.message}`);
  }
  let config = analysis.parse(contract.data.config) as Record<string, unknown>;
  const jobDir = join(root, 'jobs', dirName);
  mkdirSync(jobDir, { recursive: true });
  for (const [field, folder] of Object.entries(p.blobs ?? {})) {
    try {
      config = { ...config, [field]: await fetchFolder(stores, folder, root) };
    } catch (e) {
      throw e instanceof UserError ? new UnrecoverableError(e.message) : e;
    }
  }
  config = (analysis.withDefaults?.(config, jobDir) ?? config) as Record<string, unknown>;
  checkPaths(config, root, '');
  return { config, jobDir };
}

export async function startWorker(opts: WorkerOptions): Promise<RunningWorker> {
  const root = resolve(opts.dir);
  mkdirSync(root, { recursive: true });
  await checkRedis(opts.redis);
  const id = `${hostname()}-${process.pid}`;
  const log = opts.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const connection = connectionOf(opts.redis);
  let active = 0;
  /** slots whose job waits on its own sub-jobs */
  let waiting = 0;
  // heartbeat, blobs and cancel marks; the queue keeps its own connections
  const client = new Redis(connection);
  client.on('error', () => {});

  const processor = async (job: Job, _token?: string): Promise<unknown> => {
    const parsed = Payload.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`bad payload: ${parsed.error.issues[0].path.join('.') || '(root)'}: ${parsed.error.issues[0].message}`);
    const p = parsed.data;
    if (p.op === 'ping') return { pong: Date.now(), worker: id };
    if (p.op === 'sub' && !isSubJobKind(p.kind)) throw new UnrecoverableError(`unknown sub-job kind "${p.kind.slice(0, 64)}"`);
    const { config, jobDir } = await prepareRun(p.op === 'sub' ? { ...p, kind: p.baseKind } : p, p.op === 'sub' ? 'parts' : `${p.parent}-${p.index}`, root, stores);
    log(`start ${job.id} attempt ${job.attemptsStarted} on ${id}`);
    active++;
    try {
      const request: ThreadRequest = p.op === 'sub' ? { type: 'sub', kind: p.kind, config, part: p.part } : { type: 'run', kind: p.kind, config, workDir: jobDir };
      const outcome = await runInThread(job, p.op === 'run' ? p : undefined, request);
      log(`done ${job.id} on ${id}`);
      return outcome;
    } catch (e) {
      // the thread's line (already one line) or the worker's own refusal, as BullMQ records it
      log(`failed ${job.id} on ${id}: ${(e as Error).message}`);
      throw e;
    } finally {
      active--;
    }
  };

  // one long-lived thread per concurrency slot (see job-thread.ts); a thread that died is replaced
  const idle: Slot[] = [];
  const slots = new Set<Slot>();
  const newSlot = (): Slot => {
    const slot: Slot = { thread: new Thread(threadEntry, { stdout: false, stderr: false }), jobs: 0, dead: false };
    slot.thread.once('exit', () => {
      slot.dead = true;
      slots.delete(slot);
    });
    slots.add(slot);
    return slot;
  };
  const takeSlot = (): Slot => {
    for (let s = idle.pop(); s; s = idle.pop()) if (!s.dead) return s;
    return newSlot();
  };
  const release = (slot: Slot) => {
    if (slot.dead) return;
    if (++slot.jobs >= RECYCLE_AFTER_JOBS) void slot.thread.terminate();
    else idle.push(slot);
  };

  // sub-jobs a running job fans out (ctx.fanOut) go on the same queue, for the other slots to take
  let fan: { queue: Queue; events: QueueEvents } | undefined;
  const fanOut = async (job: Job, p: RunPayload, call: number, kind: string, parts: unknown[]): Promise<unknown[] | undefined> => {
    if (!isSubJobKind(kind)) throw new Error(`unknown sub-job kind "${kind}"`);
    // this job holds its own slot while it waits: with no other slot to take them the parts would never run, so it
    // does them itself
    waiting++;
    try {
      if ((await freeSlots()) < 1) return undefined;
      await beat();
      return await fanOutNow(job, p, call, kind, parts);
    } finally {
      waiting--;
      void beat();
    }
  };
  const fanOutNow = async (job: Job, p: RunPayload, call: number, kind: string, parts: unknown[]): Promise<unknown[]> => {
    if (!fan) {
      fan = { queue: new Queue(QUEUE, { connection, prefix: PREFIX }), events: new QueueEvents(QUEUE, { connection, prefix: PREFIX }) };
      fan.queue.on('error', () => {});
      fan.events.on('error', () => {});
      await fan.events.waitUntilReady();
    }
    const { queue, events } = fan;
    const base = `${job.id}.a${job.attemptsStarted}.f${call}`;
    const jobs = await queue.addBulk(
      parts.map((part, i) => {
        const data: SubPayload = { op: 'sub', kind, baseKind: p.kind, config: p.config, blobs: p.blobs, part };
        const keep = { age: 3600 };
        return { name: kind, data, opts: { jobId: `${base}.${i}`, attempts: 3, backoff: { type: 'fixed', delay: 200 }, removeOnComplete: keep, removeOnFail: keep } };
      }),
    );
    const outcomes = (await Promise.all(jobs.map((j) => j.waitUntilFinished(events)))) as ChildOutcome[];
    return outcomes.map((o) => o.result);
  };
  /**
   * Slots that will take a sub-job sooner or later, over every live worker (this one included): all but those held
   * by jobs waiting on their own sub-jobs (a busy slot frees up; a waiting one only when its sub-jobs ran elsewhere).
   */
  const freeSlots = async (): Promise<number> => {
    let free = (opts.concurrency ?? 1) - waiting;
    for (const key of await client.keys(heartbeatKey('*'))) {
      if (key === heartbeatKey(id)) continue;
      const beat = JSON.parse((await client.get(key)) ?? 'null') as { concurrency: number; waiting?: number } | null;
      if (beat) free += Math.max(0, beat.concurrency - (beat.waiting ?? 0));
    }
    return free;
  };

  const runInThread = (job: Job, payload: RunPayload | undefined, request: ThreadRequest) =>
    new Promise<ChildOutcome>((resolveRun, reject) => {
      const slot = takeSlot();
      const { thread } = slot;
      let settled = false;
      let last = 0;
      // cancellation from the submitter: a key the worker looks at while the job runs
      const cancelWatch = setInterval(() => {
        void client.exists(cancelKey(job.id!)).then((n) => n && thread.postMessage({ type: 'cancel' } satisfies ThreadRequest), () => {});
      }, 1_000);
      const settle = (fn: () => void, threadLost = false) => {
        if (settled) return;
        settled = true;
        clearInterval(cancelWatch);
        thread.off('message', onMessage).off('error', onError).off('exit', onExit);
        if (threadLost) slot.dead = true;
        else release(slot);
        fn();
      };
      const onMessage = (m: ThreadMessage) => {
        if (m.type === 'fanout') {
          const answer = (reply: Omit<Extract<ThreadRequest, { type: 'fanned' }>, 'type' | 'call'>) => thread.postMessage({ type: 'fanned', call: m.call, ...reply } satisfies ThreadRequest);
          if (!payload) answer({ error: 'a sub-job cannot fan out' });
          else fanOut(job, payload, m.call, m.kind, m.parts).then((results) => answer({ results }), (e: unknown) => answer({ error: oneLine(e) }));
        } else if (m.type === 'progress') {
          const now = Date.now();
          if (!m.metrics && now - last < PROGRESS_EVERY_MS) return;
          last = now;
          const progress: ChildProgress = { fraction: m.fraction, stage: m.stage, metrics: m.metrics, worker: id };
          void job.updateProgress(progress as unknown as object).catch(() => {});
        } else if (m.type === 'log') log(`${job.id}: ${m.message}`);
        else if (m.type === 'done') settle(() => resolveRun({ result: m.result, resultPaths: m.resultPaths, worker: id }));
        else if (m.type === 'failed') settle(() => reject(new RelayedError(m.error)));
        else if (m.type === 'cancelled') settle(() => reject(new UnrecoverableError('cancelled by the user')));
      };
      const onError = (e: Error) => settle(() => reject(new Error(oneLine(e))), true);
      const onExit = (code: number) => settle(() => reject(new Error(`job thread exited with code ${code}`)), true);
      thread.on('message', onMessage).on('error', onError).on('exit', onExit);
      thread.postMessage(request);
    });

  const worker = new Worker(QUEUE, processor, {
    connection,
    prefix: PREFIX,
    concurrency: opts.concurrency ?? 1,
    lockDuration: opts.lockDurationMs ?? 30_000,
    stalledInterval: opts.stalledIntervalMs ?? 30_000,
    maxStalledCount: 1,
    autorun: false,
  });
  worker.on('error', (e) => log(`redis: ${oneLine(e)}`));
  const stores: BlobStore[] = [...(opts.blobDir ? [folderBlobs(opts.blobDir)] : []), redisBlobs(client)];
  const beat = () =>
    client
      .set(heartbeatKey(id), JSON.stringify({ pid: process.pid, host: hostname(), concurrency: opts.concurrency ?? 1, active, waiting, at: Date.now() }), 'PX', HEARTBEAT_MS * 5)
      .catch(() => {});
  await beat();
  const heartbeat = setInterval(beat, HEARTBEAT_MS);
  // load the engine into every slot's thread before taking the first job
  await Promise.all(
    Array.from({ length: opts.concurrency ?? 1 }, async () => {
      const slot = newSlot();
      await new Promise<void>((loaded) => {
        slot.thread.once('message', () => loaded());
        slot.thread.once('exit', () => loaded());
      });
      if (!slot.dead) idle.push(slot);
    }),
  );
  void worker.run();
  log(`worker ${id} ready on ${redactUrl(opts.redis.url)} (concurrency ${opts.concurrency ?? 1}, folder ${root})`);
  return {
    id,
    async close() {
      clearInterval(heartbeat);
      await worker.close();
      await Promise.all([...slots].map((s) => s.thread.terminate()));
      await client.del(heartbeatKey(id)).catch(() => {});
      await worker.disconnect();
      await fan?.events.close();
      await fan?.queue.close();
      client.disconnect();
    },
  };
}
