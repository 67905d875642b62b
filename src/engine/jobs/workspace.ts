import Database from 'better-sqlite3';
import { mkdirSync, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { JobKind, JobRecord, JobStatus, MetricPoint } from '../../shared/api';
import { UserError } from '../core/errors';

export function defaultWorkspaceDir(): string {
  return resolve(process.env.LAYERLENS_WORKSPACE ?? join(homedir(), '.layerlens'));
}

interface JobRow {
  id: string;
  kind: JobKind;
  status: JobStatus;
  config: string;
  created_at: number;
  updated_at: number;
  fraction: number;
  stage: string;
  result: string | null;
  error: string | null;
  result_paths: string;
  pid: number | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  status TEXT NOT NULL,
  config TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  fraction REAL NOT NULL DEFAULT 0,
  stage TEXT NOT NULL DEFAULT '',
  result TEXT,
  error TEXT,
  result_paths TEXT NOT NULL DEFAULT '[]',
  pid INTEGER
);
CREATE TABLE IF NOT EXISTS job_metrics (
  job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  point TEXT NOT NULL,
  PRIMARY KEY (job_id, seq)
);
CREATE TABLE IF NOT EXISTS recent_models (
  ref TEXT PRIMARY KEY,
  opened_at INTEGER NOT NULL
);
`;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The workspace database: one SQLite file per workspace folder. Every job's config, status, metric history
 * and result paths live here, written as they happen, so a crash loses at most the step in flight.
 */
export class Workspace {
  readonly dir: string;
  readonly db: Database.Database;

  constructor(dir: string) {
    this.dir = resolve(dir);
    try {
      mkdirSync(this.dir, { recursive: true });
    } catch (e) {
      throw new UserError(`cannot create workspace folder (${(e as Error).message})`, this.dir);
    }
    const file = join(this.dir, 'workspace.sqlite');
    try {
      this.db = new Database(file);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('busy_timeout = 5000');
      this.db.pragma('foreign_keys = ON');
      this.db.exec(SCHEMA);
    } catch (e) {
      throw new UserError(`not a usable workspace database (${(e as Error).message})`, file);
    }
  }

  jobDir(id: string): string {
    const d = join(this.dir, 'jobs', id);
    if (!existsSync(d)) mkdirSync(d, { recursive: true });
    return d;
  }

  createJob(id: string, kind: JobKind, config: unknown): JobRecord {
    const now = Date.now();
    this.db
      .prepare(
        'INSERT INTO jobs (id, kind, status, config, created_at, updated_at, pid) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(id, kind, 'queued', JSON.stringify(config), now, now, process.pid);
    return this.getJob(id)!;
  }

  update(
    id: string,
    fields: Partial<{ status: JobStatus; fraction: number; stage: string; result: unknown; error: string | null; resultPaths: string[]; config: unknown }>,
  ): void {
    const columns: Record<string, [string, unknown]> = {
      status: ['status', fields.status],
      fraction: ['fraction', fields.fraction],
      stage: ['stage', fields.stage],
      error: ['error', fields.error],
      result: ['result', fields.result === undefined ? undefined : JSON.stringify(fields.result)],
      config: ['config', fields.config === undefined ? undefined : JSON.stringify(fields.config)],
      resultPaths: ['result_paths', fields.resultPaths === undefined ? undefined : JSON.stringify(fields.resultPaths)],
    };
    const sets = ['updated_at = @now'];
    const params: Record<string, unknown> = { id, now: Date.now() };
    for (const [key, [column, value]] of Object.entries(columns)) {
      if (value === undefined) continue;
      sets.push(`${column} = @${key}`);
      params[key] = value;
    }
    this.db.prepare(`UPDATE jobs SET ${sets.join(', ')} WHERE id = @id`).run(params);
  }

  /** Claim a job for this process (on start or resume), so a later restart can tell it was orphaned. */
  claim(id: string): void {
    this.db.prepare('UPDATE jobs SET pid = ?, updated_at = ? WHERE id = ?').run(process.pid, Date.now(), id);
  }

  addMetric(id: string, point: MetricPoint): void {
    this.db
      .prepare(
        'INSERT INTO job_metrics (job_id, seq, point) VALUES (?, (SELECT COALESCE(MAX(seq), -1) + 1 FROM job_metrics WHERE job_id = ?), ?)',
      )
      .run(id, id, JSON.stringify(point));
  }

  getJob(id: string): JobRecord | undefined {
    const row = this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
    if (!row) return undefined;
    const metrics = (
      this.db.prepare('SELECT point FROM job_metrics WHERE job_id = ? ORDER BY seq').all(id) as { point: string }[]
    ).map((r) => JSON.parse(r.point) as MetricPoint);
    return toRecord(row, metrics);
  }

  listJobs(limit = 200): JobRecord[] {
    const rows = this.db.prepare('SELECT * FROM jobs ORDER BY created_at DESC LIMIT ?').all(limit) as JobRow[];
    return rows.map((r) => toRecord(r, []));
  }

  /**
   * Jobs left 'running' or 'queued' by a process that is gone were killed mid-way: mark them resumable when
   * a checkpoint exists, else failed. Never silently lost.
   */
  recoverOrphans(hasCheckpoint: (job: JobRecord) => boolean): JobRecord[] {
    const rows = this.db.prepare("SELECT * FROM jobs WHERE status IN ('running', 'queued')").all() as JobRow[];
    const recovered: JobRecord[] = [];
    for (const row of rows) {
      if (row.pid !== null && (row.pid === process.pid || isAlive(row.pid))) continue;
      const rec = toRecord(row, []);
      const resumable = hasCheckpoint(rec);
      this.update(row.id, {
        status: resumable ? 'resumable' : 'failed',
        error: resumable
          ? 'interrupted: the process running it exited; resume continues from the last checkpoint'
          : 'interrupted: the process running it exited before the first checkpoint',
      });
      recovered.push(this.getJob(row.id)!);
    }
    return recovered;
  }

  touchModel(ref: string): void {
    this.db
      .prepare('INSERT INTO recent_models (ref, opened_at) VALUES (?, ?) ON CONFLICT(ref) DO UPDATE SET opened_at = excluded.opened_at')
      .run(ref, Date.now());
  }

  recentModels(limit = 20): string[] {
    return (this.db.prepare('SELECT ref FROM recent_models ORDER BY opened_at DESC LIMIT ?').all(limit) as { ref: string }[]).map(
      (r) => r.ref,
    );
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

function toRecord(row: JobRow, metrics: MetricPoint[]): JobRecord {
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    config: JSON.parse(row.config),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    fraction: row.fraction,
    stage: row.stage,
    metrics,
    result: row.result ? JSON.parse(row.result) : undefined,
    error: row.error ?? undefined,
    resultPaths: JSON.parse(row.result_paths),
  };
}
