import { resolve } from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import cliProgress from 'cli-progress';
import type { JobEvent, JobRecord, JobStart } from '../shared/api';
import { UserError } from '../engine/core/errors';
import { defaultWorkspaceDir } from '../engine/jobs/workspace';
import type { Service } from '../engine/service';

/** A flag or argument the user got wrong: exit code 2. */
export class UsageError extends UserError {}

export type Values = Record<string, string | boolean | undefined>;

/** What a command gets: parsed flags, positionals, and the shared switches. */
export interface CommandArgs {
  values: Values;
  positionals: string[];
  json: boolean;
  /** show a progress bar (stderr is a TTY and not --json) */
  bar: boolean;
  workspace?: string;
  out: (s: string) => void;
}

/** One `layerlens <name>` command. Capabilities add theirs in src/cli/commands/<domain>.ts. */
export interface CliCommand {
  name: string;
  /** help lines, already indented */
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  /** how many positionals (exact) and what they are, for the error message */
  positionals: { count: number; what: string };
  run(args: CommandArgs): Promise<void>;
}

export function int(name: string, v: unknown, min = 0): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^\d+$/.test(v) || Number(v) < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got "${String(v)}"`);
  return Number(v);
}

export function num(name: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} must be a positive number, got "${String(v)}"`);
  return n;
}

/** A comma-separated list of integers, e.g. --bits 2,3,4 */
export function intList(name: string, v: unknown, min = 0): number[] | undefined {
  if (v === undefined) return undefined;
  const parts = String(v).split(',');
  return parts.map((p) => int(name, p.trim(), min)!);
}

export function oneOf<T extends string>(name: string, v: unknown, allowed: readonly T[]): T | undefined {
  if (v === undefined) return undefined;
  if (!allowed.includes(v as T)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got "${String(v)}"`);
  return v as T;
}

export function required<T>(name: string, v: T | undefined): T {
  if (v === undefined) throw new UsageError(`missing --${name}`);
  return v;
}

export async function withService<T>(workspace: string | undefined, fn: (s: Service) => Promise<T>): Promise<T> {
  const { createService } = await import('../engine/service');
  const s = await createService({ workspaceDir: resolve(workspace ?? defaultWorkspaceDir()), host: 'cli' });
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

/** Runs a job to its end with a progress bar on a TTY; Ctrl-C cancels it cleanly. */
export async function runJob(s: Service, start: (s: Service) => Promise<string>, showBar: boolean): Promise<JobRecord> {
  const id = await start(s);
  const bar = showBar
    ? new cliProgress.SingleBar(
        { format: ' {bar} {percentage}% | {stage} {metrics}', stream: process.stderr, hideCursor: true, clearOnComplete: true },
        cliProgress.Presets.shades_classic,
      )
    : null;
  bar?.start(100, 0, { stage: 'starting', metrics: '' });
  const off = s.onJob((e: JobEvent) => {
    if (e.id !== id || !bar) return;
    const m = e.metrics;
    const metrics = m
      ? Object.entries(m)
          .filter(([k]) => k !== 't' && k !== 'step')
          .map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(4)}`)
          .join(' ')
      : undefined;
    bar.update(Math.round(e.fraction * 100), { stage: e.stage, ...(metrics ? { metrics } : {}) });
  });
  const onSigint = () => s.runner.cancel(id);
  process.once('SIGINT', onSigint);
  try {
    return await s.runner.wait(id);
  } finally {
    process.off('SIGINT', onSigint);
    off();
    bar?.stop();
  }
}

/** The job's result, or its failure as a one-line error. */
export function finishJob(rec: JobRecord): unknown {
  if (rec.status === 'done') return rec.result;
  if (rec.status === 'cancelled') throw new UserError(`job ${rec.id} cancelled`);
  throw new UserError(rec.error ?? `job ${rec.id} ${rec.status}`);
}

/** Start a job through the contract, run it to the end (progress bar on a TTY), return its result. */
export async function runJobToEnd(args: CommandArgs, job: JobStart): Promise<unknown> {
  return withService(args.workspace, async (s) => finishJob(await runJob(s, async (s) => (await s.call('jobs.start', job)).id, args.bar)));
}
