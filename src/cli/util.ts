import { resolve } from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import cliProgress from 'cli-progress';
import { ZodArray, ZodNumber, ZodObject, type z } from 'zod';
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
  /** how many positionals (exact; -1: the command checks them, e.g. by subcommand) and what they are, for the error message */
  positionals: { count: number; what: string };
  run(args: CommandArgs): Promise<void>;
}

/** One `layerlens <command> <sub>`: its flags (other subcommands' are refused), its positionals, what it does. */
export interface Subcommand {
  /** help lines, already indented; omitted where another subcommand's lines cover it (`parts mine|train`) */
  usage?: string;
  flags: string[];
  /** names of the positionals after the subcommand */
  positionals: string[];
  run(args: CommandArgs, positionals: string[]): Promise<void>;
}

const SHARED_FLAGS = new Set(['json', 'workspace', 'help']);
const orList = (names: string[]) => (names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names.at(-1)}` : names.join(''));

/**
 * A command that dispatches on its first positional (`layerlens wsod train …`): usage from the subcommands' lines,
 * one flag set for parseArgs (`booleans` are switches, the rest take a value), and one-line usage errors (exit 2)
 * for a missing or unknown subcommand, another subcommand's flag, or the wrong number of positionals.
 */
export function subcommands(
  name: string,
  subs: Record<string, Subcommand>,
  opts: {
    /** what the positionals are, said after their names: "a wsod run folder" */
    positionalsAre?: string;
    booleans?: string[];
    /** the error for a missing (undefined) or unknown subcommand, where the standard one does not fit */
    refuse?: (got: string | undefined) => string;
  } = {},
): CliCommand {
  const names = Object.keys(subs);
  const booleans = new Set(opts.booleans);
  const flags = [...new Set(Object.values(subs).flatMap((s) => s.flags))];
  const refuse =
    opts.refuse ?? ((got) => (got === undefined ? `${name} needs a subcommand: ${orList(names)}` : `unknown ${name} subcommand "${got}" (have: ${names.join(', ')})`));
  return {
    name,
    usage: Object.values(subs)
      .flatMap((s) => (s.usage ? [s.usage] : []))
      .join('\n'),
    options: Object.fromEntries(flags.map((f) => [f, booleans.has(f) ? { type: 'boolean' } : { type: 'string' }])) as CliCommand['options'],
    // the subcommand decides how many positionals follow it
    positionals: { count: -1, what: `a subcommand: ${orList(names)}` },
    async run(args) {
      const [subName, ...rest] = args.positionals;
      const sub = subName !== undefined && Object.prototype.hasOwnProperty.call(subs, subName) ? subs[subName] : undefined;
      if (!sub) throw new UsageError(refuse(subName));
      for (const [flag, value] of Object.entries(args.values)) {
        if (value !== undefined && !SHARED_FLAGS.has(flag) && !sub.flags.includes(flag)) throw new UsageError(`${name} ${subName}: unknown option '--${flag}'`);
      }
      if (rest.length !== sub.positionals.length) {
        throw new UsageError(
          sub.positionals.length === 0
            ? `${name} ${subName} takes no positional arguments (got "${rest[0]}")`
            : `${name} ${subName} needs a <${sub.positionals.join('> <')}>${opts.positionalsAre ? ` (${opts.positionalsAre})` : ''}`,
        );
      }
      await sub.run(args, rest);
    },
  };
}

/** A one-run command (`wsod-compress <run>`) as a subcommand of another (`wsod compress <run>`): the same flags and run. */
export function asSubcommand(cmd: CliCommand): Subcommand {
  return {
    usage: cmd.usage,
    flags: Object.keys(cmd.options),
    positionals: ['run'],
    run: (args, positionals) => cmd.run({ ...args, positionals }),
  };
}

/** parseArgs options for flags that take a value: `...stringFlags('data', 'limit')`. */
export function stringFlags<N extends string>(...names: N[]): Record<N, { type: 'string' }> {
  return Object.fromEntries(names.map((n) => [n, { type: 'string' }])) as Record<N, { type: 'string' }>;
}

/** An integer flag with no contract field behind it (e.g. `serve --port`). */
export function int(name: string, v: unknown, min = 0): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^\d+$/.test(v) || Number(v) < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got "${String(v)}"`);
  return Number(v);
}

/** The numeric limits a contract field declares through zod's checks (int, min/max, gt/lt, positive …). */
export interface NumberBounds {
  int: boolean;
  min?: { value: number; inclusive: boolean };
  max?: { value: number; inclusive: boolean };
}

type Wrapped = { _def: { innerType?: z.ZodTypeAny; schema?: z.ZodTypeAny } };

// optional(), default(), nullable(), refine() … wrap the schema that carries the checks
function unwrap(t: z.ZodTypeAny): z.ZodTypeAny {
  for (;;) {
    const d = (t as unknown as Wrapped)._def;
    const inner = d.innerType ?? d.schema;
    if (!inner) return t;
    t = inner;
  }
}

/** The bounds of a numeric field (of a list's elements for an array field), read from its zod schema. */
export function boundsOf(field: z.ZodTypeAny): NumberBounds {
  let t = unwrap(field);
  if (t instanceof ZodArray) t = unwrap(t.element as z.ZodTypeAny);
  if (!(t instanceof ZodNumber)) throw new Error(`boundsOf: not a number schema (${t.constructor.name})`);
  const b: NumberBounds = { int: false };
  for (const c of t._def.checks) {
    if (c.kind === 'int') b.int = true;
    else if (c.kind === 'min' && (!b.min || c.value > b.min.value)) b.min = { value: c.value, inclusive: c.inclusive };
    else if (c.kind === 'max' && (!b.max || c.value < b.max.value)) b.max = { value: c.value, inclusive: c.inclusive };
  }
  return b;
}

/** "an integer ≥ 1 and ≤ 1000", "a number > 0 and ≤ 10" */
export function describeBounds(b: NumberBounds): string {
  const parts = [
    b.min && `${b.min.inclusive ? '≥' : '>'} ${b.min.value}`,
    b.max && `${b.max.inclusive ? '≤' : '<'} ${b.max.value}`,
  ].filter(Boolean);
  return `${b.int ? 'an integer' : 'a number'}${parts.length ? ` ${parts.join(' and ')}` : ''}`;
}

const camel = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** The field `key` of an object schema (through refine/default wrappers). */
function fieldOf(schema: z.ZodTypeAny, key: string): z.ZodTypeAny {
  const obj = unwrap(schema);
  const field = obj instanceof ZodObject ? (obj.shape as Record<string, z.ZodTypeAny>)[key] : undefined;
  if (!field) throw new Error(`no field "${key}" in the contract schema`);
  return field;
}

function checkNumber(name: string, text: string, b: NumberBounds): number {
  const n = Number(text);
  const ok =
    (b.int ? /^[-+]?\d+$/.test(text) : text !== '' && Number.isFinite(n)) &&
    (!b.min || (b.min.inclusive ? n >= b.min.value : n > b.min.value)) &&
    (!b.max || (b.max.inclusive ? n <= b.max.value : n < b.max.value));
  if (!ok) throw new UsageError(`--${name} must be ${describeBounds(b)}, got "${text}"`);
  return n;
}

/**
 * A numeric flag checked against the bounds of the contract field it fills (`schema.key`, key defaulting to
 * the flag's name in camelCase), so the CLI repeats no limits and says them before a job starts.
 */
export function numFlag(name: string, v: unknown, schema: z.ZodTypeAny, key = camel(name)): number | undefined {
  if (v === undefined) return undefined;
  return checkNumber(name, String(v).trim(), boundsOf(fieldOf(schema, key)));
}

/** A comma-separated list of numbers (e.g. --bits 2,3,4), each checked like numFlag against the list's elements. */
export function numListFlag(name: string, v: unknown, schema: z.ZodTypeAny, key = camel(name)): number[] | undefined {
  if (v === undefined) return undefined;
  const b = boundsOf(fieldOf(schema, key));
  return String(v)
    .split(',')
    .map((p) => checkNumber(name, p.trim(), b));
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
  const { redisFromEnv } = await import('../engine/distributed/connection');
  const s = await createService({ workspaceDir: resolve(workspace ?? defaultWorkspaceDir()), host: 'cli', redis: redisFromEnv() });
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
