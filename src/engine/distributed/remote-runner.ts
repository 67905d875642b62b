// The runner behind `--redis`: the same interface as the local JobRunner, but each job goes to the queue as one or
// more children; the workspace database records the parent and every child result as it arrives.
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import type { JobEvent, JobKind, JobRecord, JobStatus } from '../../shared/api';
import { firstLine, oneLine, UserError } from '../core/errors';
import { newJobId, type JobTable, type Runner } from '../jobs/runner';
import type { Workspace } from '../jobs/workspace';
import { folderBlobs, putModel, redisBlobs, type BlobStore } from './blobs';
import { connectionOf, redactUrl, type RedisTarget } from './connection';
import { mergeResults, planChildren, type ChildSpec } from './fanout';
import { cancelKey, PREFIX, QUEUE, type ChildOutcome, type ChildProgress, type RunPayload } from './protocol';

export interface RemoteOptions {
  redis: RedisTarget;
  /** put model blobs into this folder (shared with the workers) instead of Redis */
  blobDir?: string;
  /** runs of a child before it counts as failed (a poison job stops here) */
  attempts?: number;
  /** how often children are checked when no queue event came (after a Redis restart, say) */
  pollMs?: number;
}

// children of remote jobs; a result is written once, when it first arrives (idempotent by the child's job id)
const SCHEMA = `
CREATE TABLE IF NOT EXISTS remote_children (
  job_id TEXT PRIMARY KEY,
  parent_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  idx INTEGER NOT NULL,
  kind TEXT NOT NULL,
  config TEXT NOT NULL,
  status TEXT NOT NULL,
  fraction REAL NOT NULL DEFAULT 0,
  result TEXT,
  error TEXT,
  worker TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  finished_at INTEGER,
  UNIQUE (parent_id, idx)
);`;

interface ChildRow {
  job_id: string;
  parent_id: string;
  idx: number;
  kind: JobKind;
  config: string;
  status: 'queued' | 'running' | 'done' | 'failed';
  fraction: number;
  result: string | null;
  error: string | null;
  worker: string | null;
  attempts: number;
}

/** A child as the workspace records it (for tests and the CLI). */
export interface RemoteChild {
  jobId: string;
  index: number;
  status: ChildRow['status'];
  worker?: string;
  attempts: number;
  error?: string;
  result?: unknown;
}

const FINAL: JobStatus[] = ['done', 'failed', 'cancelled'];

/**
 * Connect once and PING, giving up after a few seconds: a wrong password or an unreachable server is one line at the
 * start instead of a queue client retrying forever.
 */
export async function checkRedis(target: RedisTarget, timeoutMs = 5_000): Promise<void> {
  const probe = new Redis({ ...connectionOf(target), lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: timeoutMs });
  // the client's error event carries the server's reason (WRONGPASS, ECONNREFUSED); the rejection may only say "closed"
  let reason: Error | undefined;
  probe.on('error', (e: Error) => (reason ??= e));
  try {
    await probe.connect();
    await probe.ping();
  } catch (e) {
    throw new UserError(`cannot use Redis at ${redactUrl(target.url)} (${firstLine((reason ?? (e as Error)).message)})`);
  } finally {
    probe.disconnect();
  }
}

export class RemoteRunner implements Runner {
  private readonly queue: Queue;
  private readonly events: QueueEvents;
  /** blobs and cancel marks */
  private readonly redis: Redis;
  private readonly listeners = new Set<(e: JobEvent) => void>();
  private readonly waiters = new Map<string, { settled: Promise<JobRecord>; resolve: (r: JobRecord) => void }>();
  private readonly stores: BlobStore[] = [];
  private readonly poller: NodeJS.Timeout;
  private polling = false;
  private readonly attempts: number;

  constructor(
    private readonly workspace: Workspace,
    private readonly jobs: JobTable,
    private readonly opts: RemoteOptions,
  ) {
    const connection = connectionOf(opts.redis);
    workspace.db.exec(SCHEMA);
    this.attempts = opts.attempts ?? 3;
    this.queue = new Queue(QUEUE, { connection, prefix: PREFIX });
    this.events = new QueueEvents(QUEUE, { connection, prefix: PREFIX });
    this.redis = new Redis(connection);
    this.redis.on('error', () => {});
    // errors here are connection losses; ioredis reconnects and the poller catches up
    this.queue.on('error', () => {});
    this.events.on('error', () => {});
    this.events.on('progress', ({ jobId, data }) => this.onProgress(jobId, data as unknown as ChildProgress));
    this.events.on('completed', ({ jobId }) => void this.settleChild(jobId).catch(() => {}));
    this.events.on('failed', ({ jobId }) => void this.settleChild(jobId).catch(() => {}));
    if (opts.blobDir) this.stores.push(folderBlobs(opts.blobDir));
    // parents a previous process left in flight are followed again
    const open = this.workspace.db
      .prepare("SELECT DISTINCT c.parent_id AS id FROM remote_children c JOIN jobs j ON j.id = c.parent_id WHERE j.status IN ('queued', 'running')")
      .all() as { id: string }[];
    for (const { id } of open) this.track(id);
    this.poller = setInterval(() => void this.poll(), opts.pollMs ?? 1_000);
  }

  onJob(listener: (e: JobEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(e: JobEvent): void {
    for (const l of this.listeners) l(e);
  }

  private track(id: string): void {
    if (this.waiters.has(id)) return;
    let resolve!: (r: JobRecord) => void;
    const settled = new Promise<JobRecord>((r) => (resolve = r));
    this.waiters.set(id, { settled, resolve });
  }

  private children(parent: string): ChildRow[] {
    return this.workspace.db.prepare('SELECT * FROM remote_children WHERE parent_id = ? ORDER BY idx').all(parent) as ChildRow[];
  }

  private child(jobId: string): ChildRow | undefined {
    return this.workspace.db.prepare('SELECT * FROM remote_children WHERE job_id = ?').get(jobId) as ChildRow | undefined;
  }

  /** The children of a remote job as recorded in the workspace. */
  listChildren(parent: string): RemoteChild[] {
    return this.children(parent).map((r) => ({
      jobId: r.job_id,
      index: r.idx,
      status: r.status,
      worker: r.worker ?? undefined,
      attempts: r.attempts,
      error: r.error ?? undefined,
      result: r.result ? JSON.parse(r.result) : undefined,
    }));
  }

  start(kind: JobKind, rawConfig: unknown): JobRecord {
    const analysis = this.jobs.analyses[kind];
    if (!analysis) throw new UserError(`unknown job kind "${kind}"`);
    // no withDefaults here: the worker fills output folders with its own
    const config = analysis.parse(rawConfig) as Record<string, unknown>;
    return this.submit(kind, config, planChildren(kind, config));
  }

  /** A sweep or seed set: one child per configuration, one parent record (config `{ sweep }`, result: the list). */
  startSweep(kind: JobKind, rawConfigs: unknown[]): JobRecord {
    const analysis = this.jobs.analyses[kind];
    if (!analysis) throw new UserError(`unknown job kind "${kind}"`);
    if (rawConfigs.length === 0) throw new UserError('a sweep needs at least one configuration');
    const configs = rawConfigs.map((c) => analysis.parse(c) as Record<string, unknown>);
    return this.submit(kind, { sweep: configs }, configs.map((config) => ({ kind, config })));
  }

  private submit(kind: JobKind, config: Record<string, unknown>, children: ChildSpec[]): JobRecord {
    const id = newJobId();
    this.workspace.createJob(id, kind, config);
    const insert = this.workspace.db.prepare(
      "INSERT INTO remote_children (job_id, parent_id, idx, kind, config, status) VALUES (?, ?, ?, ?, ?, 'queued')",
    );
    this.workspace.db.transaction(() => children.forEach((c, i) => insert.run(`${id}.${i}`, id, i, c.kind, JSON.stringify(c.config))))();
    this.workspace.update(id, { stage: `0/${children.length} children` });
    this.track(id);
    void this.enqueue(id, children.map((c, index) => ({ ...c, index }))).catch((e) => this.finishParent(id, 'failed', { error: oneLine(e) }));
    return this.workspace.getJob(id)!;
  }

  private blobStores(): BlobStore[] {
    if (this.stores.length === 0) this.stores.push(redisBlobs(this.redis));
    return this.stores;
  }

  /** Put children on the queue under their fixed ids (`<parent>.<index>`): adding an id twice is a no-op. */
  private async enqueue(parent: string, children: (ChildSpec & { index: number })[]): Promise<void> {
    const blobsOf = new Map<string, RunPayload['blobs']>();
    for (const c of children) {
      const model = c.config.model;
      if (typeof model === 'string' && !model.startsWith('builtin:') && !blobsOf.has(model)) {
        const [store] = this.blobStores();
        blobsOf.set(model, { model: await putModel(store, model) });
      }
    }
    await this.queue.addBulk(
      children.map((c) => {
        const payload: RunPayload = { op: 'run', parent, index: c.index, kind: c.kind, config: c.config, blobs: blobsOf.get(c.config.model as string) };
        return {
          name: c.kind,
          data: payload,
          opts: { jobId: `${parent}.${c.index}`, attempts: this.attempts, backoff: { type: 'fixed', delay: 200 }, removeOnComplete: false, removeOnFail: false },
        };
      }),
    );
  }

  private onProgress(jobId: string, p: ChildProgress): void {
    const row = this.child(jobId);
    if (!row || row.status === 'done' || row.status === 'failed' || typeof p?.fraction !== 'number') return;
    this.workspace.db
      .prepare("UPDATE remote_children SET status = 'running', fraction = ?, worker = ? WHERE job_id = ?")
      .run(Math.min(1, Math.max(0, p.fraction)), String(p.worker ?? ''), jobId);
    const parent = this.workspace.getJob(row.parent_id);
    if (!parent || FINAL.includes(parent.status)) return;
    const rows = this.children(row.parent_id);
    const done = rows.filter((r) => r.status === 'done').length;
    const fraction = rows.reduce((s, r) => s + (r.status === 'done' ? 1 : r.fraction), 0) / rows.length;
    const stage = `${done}/${rows.length} children${p.stage ? ` · ${p.stage}` : ''}`;
    let point: JobEvent['metrics'];
    if (p.metrics) {
      point = { t: Date.now(), child: row.idx, ...p.metrics };
      this.workspace.addMetric(row.parent_id, point);
    }
    this.workspace.update(row.parent_id, { status: 'running', fraction, stage });
    this.emit({ id: row.parent_id, status: 'running', fraction, stage, metrics: point });
  }

  /** Look at a child in the queue; record its result or failure the first time it is seen final. */
  private async settleChild(jobId: string): Promise<void> {
    const row = this.child(jobId);
    if (!row || row.status === 'done' || row.status === 'failed') return;
    const job = await this.queue.getJob(jobId);
    if (!job) return;
    const state = await job.getState();
    if (state === 'completed') {
      const outcome = job.returnvalue as ChildOutcome;
      const first = this.workspace.db
        .prepare(
          "UPDATE remote_children SET status = 'done', fraction = 1, result = ?, worker = ?, attempts = ?, finished_at = ? WHERE job_id = ? AND status != 'done'",
        )
        .run(JSON.stringify(outcome.result), outcome.worker, job.attemptsStarted, Date.now(), jobId);
      if (first.changes === 1) this.afterChild(row.parent_id);
    } else if (state === 'failed') {
      const first = this.workspace.db
        .prepare("UPDATE remote_children SET status = 'failed', error = ?, attempts = ? WHERE job_id = ? AND status NOT IN ('done', 'failed')")
        .run(job.failedReason ?? 'failed', job.attemptsMade, jobId);
      if (first.changes === 1) {
        const n = this.children(row.parent_id).length;
        const tries = job.attemptsMade === 1 ? '1 attempt' : `${job.attemptsMade} attempts`;
        this.finishParent(row.parent_id, 'failed', { error: `child ${row.idx + 1}/${n} (${jobId}) failed after ${tries}: ${job.failedReason}` });
        await this.withdraw(row.parent_id);
      }
    }
  }

  private afterChild(parent: string): void {
    const rec = this.workspace.getJob(parent);
    if (!rec || FINAL.includes(rec.status)) return;
    const rows = this.children(parent);
    const done = rows.filter((r) => r.status === 'done');
    if (done.length < rows.length) {
      const fraction = rows.reduce((s, r) => s + (r.status === 'done' ? 1 : r.fraction), 0) / rows.length;
      const stage = `${done.length}/${rows.length} children`;
      this.workspace.update(parent, { status: 'running', fraction, stage });
      this.emit({ id: parent, status: 'running', fraction, stage });
      return;
    }
    const results = rows.map((r) => JSON.parse(r.result!) as unknown);
    const config = rec.config as Record<string, unknown>;
    try {
      const result = 'sweep' in config ? results : mergeResults(rec.kind, config, results);
      this.finishParent(parent, 'done', { result });
    } catch (e) {
      this.finishParent(parent, 'failed', { error: oneLine(e) });
    }
  }

  private finishParent(id: string, status: 'done' | 'failed' | 'cancelled', extra: { result?: unknown; error?: string }): void {
    const rec = this.workspace.getJob(id);
    if (!rec || FINAL.includes(rec.status)) return;
    const n = this.children(id).length;
    const done = this.children(id).filter((r) => r.status === 'done').length;
    const fraction = status === 'done' ? 1 : rec.fraction;
    const stage = `${done}/${n} children`;
    this.workspace.update(id, { status, fraction, stage, ...extra });
    this.emit({ id, status, fraction, stage, error: extra.error });
    this.waiters.get(id)?.resolve(this.workspace.getJob(id)!);
    this.waiters.delete(id);
  }

  /** Take a parent's unfinished children off the queue (waiting ones go; running ones are asked to stop). */
  private async withdraw(parent: string): Promise<void> {
    for (const r of this.children(parent)) {
      if (r.status === 'done' || r.status === 'failed') continue;
      await this.redis.set(cancelKey(r.job_id), '1', 'EX', 3600);
      await this.queue.remove(r.job_id).catch(() => 0);
    }
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      for (const id of this.waiters.keys()) {
        for (const r of this.children(id)) if (r.status !== 'done' && r.status !== 'failed') await this.settleChild(r.job_id);
      }
    } catch {
      // Redis away: the next round tries again
    } finally {
      this.polling = false;
    }
  }

  cancel(id: string): boolean {
    const rec = this.workspace.getJob(id);
    if (!rec || !this.waiters.has(id) || FINAL.includes(rec.status)) return false;
    this.finishParent(id, 'cancelled', { error: 'cancelled by the user' });
    void this.withdraw(id).catch(() => {});
    return true;
  }

  resume(id: string): JobRecord {
    const rec = this.workspace.getJob(id);
    if (!rec) throw new UserError(`no job "${id}" in this workspace`);
    if (rec.status !== 'resumable' && rec.status !== 'failed' && rec.status !== 'cancelled') {
      throw new UserError(`job "${id}" is ${rec.status}; only resumable, failed or cancelled jobs can be resumed`);
    }
    const rows = this.children(id);
    if (rows.length === 0) throw new UserError(`job "${id}" did not run on the queue; resume it without --redis`);
    this.workspace.claim(id);
    this.workspace.db.prepare("UPDATE remote_children SET status = 'queued', error = NULL WHERE parent_id = ? AND status != 'done'").run(id);
    this.workspace.update(id, { status: 'queued', error: null });
    this.track(id);
    const pending = rows.filter((r) => r.status !== 'done');
    void (async () => {
      for (const r of pending) {
        await this.redis.del(cancelKey(r.job_id));
        await this.queue.remove(r.job_id).catch(() => 0);
      }
      await this.enqueue(id, pending.map((r) => ({ index: r.idx, kind: r.kind, config: JSON.parse(r.config) as Record<string, unknown> })));
    })().catch((e) => this.finishParent(id, 'failed', { error: oneLine(e) }));
    return this.workspace.getJob(id)!;
  }

  async wait(id: string): Promise<JobRecord> {
    const w = this.waiters.get(id);
    if (w) return w.settled;
    const rec = this.workspace.getJob(id);
    if (!rec) throw new UserError(`no job "${id}" in this workspace`);
    return rec;
  }

  isRunning(id: string): boolean {
    return this.waiters.has(id);
  }

  /** Disconnect; jobs already on the queue keep running on the workers and are followed again by the next runner. */
  async close(): Promise<void> {
    clearInterval(this.poller);
    await this.events.close();
    await this.queue.close();
    this.redis.disconnect();
  }
}
