import { randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { JobEvent, JobKind, JobRecord, MetricPoint } from '../../shared/api';
import { oneLine, UserError } from '../core/errors';
import type { JobAnalysis } from '../analyses/types';
import type { WorkerMessage } from './messages';
import type { Workspace } from './workspace';

// workers run the engine from source through tsx (registered by the boot file)
const workerFile = new URL('./worker-boot.mjs', import.meta.url);
const PERSIST_EVERY_MS = 250;
const KILL_AFTER_CANCEL_MS = 15_000;

/**
 * The job kinds a runner can start. Functions cannot cross into a worker thread, so each worker imports the same
 * table again from `module`, which must export it as `jobAnalyses`.
 */
export interface JobTable {
  analyses: Partial<Record<JobKind, JobAnalysis<any, any>>>;
  module: URL;
}

/** What the service and its handlers use of a runner: local threads (JobRunner) or the queue (RemoteRunner). */
export type Runner = Pick<JobRunner, 'onJob' | 'start' | 'resume' | 'cancel' | 'wait' | 'isRunning' | 'close'>;

/** A job id: its start time, sortable, plus a random tail. */
export function newJobId(): string {
  return `${new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)}-${randomBytes(3).toString('hex')}`;
}

interface Running {
  worker: Worker;
  settled: Promise<JobRecord>;
  killTimer?: NodeJS.Timeout;
}

/** Starts jobs in worker threads, records them in the workspace, and fans out their events. */
export class JobRunner {
  private readonly running = new Map<string, Running>();
  private readonly listeners = new Set<(e: JobEvent) => void>();

  constructor(
    private readonly workspace: Workspace,
    private readonly jobs: JobTable,
  ) {
    workspace.recoverOrphans((job) => {
      const a = jobs.analyses[job.kind];
      try {
        return !!a?.resumable?.(a.parse(job.config));
      } catch {
        return false;
      }
    });
  }

  onJob(listener: (e: JobEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(e: JobEvent): void {
    for (const l of this.listeners) l(e);
  }

  start(kind: JobKind, rawConfig: unknown): JobRecord {
    const analysis = this.jobs.analyses[kind];
    if (!analysis) throw new UserError(`unknown job kind "${kind}"`);
    const id = newJobId();
    let config = analysis.parse(rawConfig);
    config = analysis.withDefaults?.(config, this.workspace.jobDir(id)) ?? config;
    const rec = this.workspace.createJob(id, kind, config);
    this.launch(rec);
    return rec;
  }

  /** Start a job marked resumable (or failed) again with its recorded config; training picks up its checkpoint. */
  resume(id: string): JobRecord {
    const rec = this.workspace.getJob(id);
    if (!rec) throw new UserError(`no job "${id}" in this workspace`);
    if (rec.status !== 'resumable' && rec.status !== 'failed' && rec.status !== 'cancelled') {
      throw new UserError(`job "${id}" is ${rec.status}; only resumable, failed or cancelled jobs can be resumed`);
    }
    this.workspace.claim(id);
    this.workspace.update(id, { status: 'queued', error: null });
    this.launch(this.workspace.getJob(id)!);
    return this.workspace.getJob(id)!;
  }

  private launch(rec: JobRecord): void {
    const { id } = rec;
    const worker = new Worker(workerFile, {
      workerData: { kind: rec.kind, config: rec.config, workDir: this.workspace.jobDir(id), table: this.jobs.module.href },
      stdout: false,
      stderr: false,
    });
    let lastPersist = 0;
    let fraction = rec.fraction;
    let stage = 'starting';
    this.workspace.update(id, { status: 'running', stage });
    this.emit({ id, status: 'running', fraction, stage });

    const settled = new Promise<JobRecord>((resolveDone) => {
      let finished = false;
      const finish = (status: 'done' | 'failed' | 'cancelled', extra: { result?: unknown; error?: string; resultPaths?: string[] }) => {
        if (finished) return;
        finished = true;
        const r = this.running.get(id);
        if (r?.killTimer) clearTimeout(r.killTimer);
        this.running.delete(id);
        this.workspace.update(id, {
          status,
          fraction: status === 'done' ? 1 : fraction,
          stage: status === 'done' ? 'done' : stage,
          ...extra,
        });
        this.emit({ id, status, fraction: status === 'done' ? 1 : fraction, stage, error: extra.error });
        resolveDone(this.workspace.getJob(id)!);
      };
      worker.on('message', (m: WorkerMessage) => {
        switch (m.type) {
          case 'progress': {
            fraction = m.fraction;
            stage = m.stage ?? stage;
            let point: MetricPoint | undefined;
            if (m.metrics) {
              point = { t: Date.now(), ...m.metrics };
              this.workspace.addMetric(id, point);
            }
            const now = Date.now();
            if (point || now - lastPersist > PERSIST_EVERY_MS) {
              lastPersist = now;
              this.workspace.update(id, { fraction, stage });
            }
            this.emit({ id, status: 'running', fraction, stage, metrics: point });
            break;
          }
          case 'log':
            break;
          case 'done':
            finish('done', { result: m.result, resultPaths: m.resultPaths });
            break;
          case 'failed':
            finish('failed', { error: m.error });
            break;
          case 'cancelled':
            finish('cancelled', { error: 'cancelled by the user' });
            break;
        }
      });
      worker.on('error', (e) => finish('failed', { error: oneLine(e) }));
      worker.on('exit', (code) => {
        // a worker killed after cancel, or one that died without a word
        const r = this.running.get(id);
        if (r?.killTimer) finish('cancelled', { error: 'cancelled by the user' });
        else finish('failed', { error: `internal error: job worker exited with code ${code}` });
      });
    });
    this.running.set(id, { worker, settled });
  }

  cancel(id: string): boolean {
    const r = this.running.get(id);
    if (!r) return false;
    r.worker.postMessage({ type: 'cancel' });
    // a job deep inside one long kernel cannot hear the message; stop the thread if it does not answer
    r.killTimer ??= setTimeout(() => void r.worker.terminate(), KILL_AFTER_CANCEL_MS);
    return true;
  }

  /** Resolves when the job ends (immediately with the record if it is not running). */
  async wait(id: string): Promise<JobRecord> {
    const r = this.running.get(id);
    if (r) return r.settled;
    const rec = this.workspace.getJob(id);
    if (!rec) throw new UserError(`no job "${id}" in this workspace`);
    return rec;
  }

  isRunning(id: string): boolean {
    return this.running.has(id);
  }

  async close(): Promise<void> {
    const ids = [...this.running.keys()];
    for (const id of ids) this.cancel(id);
    await Promise.all(ids.map((id) => this.running.get(id)?.settled));
  }
}
