/**
 * Result records (issue 15): every experiment run writes one small JSON file under results/; reports read them
 * back and never see a number typed by hand. A record's name is its path under the records folder without .json.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { ResultRecord } from '../../shared/api-report';
import { UserError } from '../core/errors';
import { headlineRecords } from './headline';

/** Folders under the records folder that hold other JSON (bench runs), not run records. */
const NOT_RECORDS = new Set(['bench']);
/** Folder of the older trimmed quant/lowrank results, read through the headline adapter. */
const HEADLINE_DIR = 'headline';

const safePart = (s: string) => s.toLowerCase().replace(/[^a-z0-9.+-]+/g, '-').replace(/^-+|-+$/g, '');

/** results/<experiment>/<table>/<row>.s<seed>.json: one file per run, so a sweep can skip what it already has. */
export function recordName(r: Pick<ResultRecord, 'experiment' | 'table' | 'row' | 'seed'>): string {
  return [safePart(r.experiment), safePart(r.table), `${safePart(r.row)}.s${r.seed}`].join('/');
}

export function recordFile(recordsDir: string, name: string): string {
  const file = resolve(recordsDir, `${name}.json`);
  if (!file.startsWith(resolve(recordsDir) + sep)) throw new UserError(`record "${name}" is outside the records folder`, recordsDir);
  return file;
}

/** The commit the code was at, or null outside a git checkout. */
export function gitCommit(cwd = process.cwd()): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || null;
  } catch {
    return null;
  }
}

function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

export type RecordInput = Omit<ResultRecord, 'schema' | 'version' | 'commit' | 'createdAt'> & Partial<Pick<ResultRecord, 'version' | 'commit' | 'createdAt'>>;

/** Validate and write one record atomically (a killed sweep leaves no half file); returns its name. */
export function writeRecord(recordsDir: string, input: RecordInput): string {
  const record = ResultRecord.parse({
    ...input,
    schema: 1,
    version: input.version ?? packageVersion(),
    commit: input.commit === undefined ? gitCommit() : input.commit,
    createdAt: input.createdAt ?? new Date().toISOString(),
  });
  const name = recordName(record);
  const file = recordFile(recordsDir, name);
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(record, null, 1) + '\n');
  renameSync(tmp, file);
  return name;
}

export function hasRecord(recordsDir: string, key: Pick<ResultRecord, 'experiment' | 'table' | 'row' | 'seed'>): boolean {
  return existsSync(recordFile(recordsDir, recordName(key)));
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError(e instanceof SyntaxError ? `not valid JSON (${e.message})` : `cannot read (${(e as Error).message})`, file);
  }
}

/** Parse one record file; any problem is one line naming the file. */
export function readRecord(file: string): ResultRecord {
  return parseRecord(readJson(file), file);
}

function parseRecord(raw: unknown, file: string): ResultRecord {
  const parsed = ResultRecord.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UserError(`not a result record: ${issue.path.join('.') || '(top level)'}: ${issue.message}`, file);
  }
  return parsed.data;
}

export interface NamedRecord {
  name: string;
  file: string;
  record: ResultRecord;
}

function jsonFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...jsonFiles(p));
    else if (entry.isFile() && entry.name.endsWith('.json')) out.push(p);
  }
  return out;
}

/**
 * Every record under the folder (sorted by name), the headline files through their adapter. A JSON file with no
 * top-level `schema` field is another kind of result (other experiments keep theirs under results/ too): it is
 * skipped and its path pushed to `skipped`; a file that says it is a record but is not one is an error.
 */
export function readRecords(recordsDir: string, skipped: string[] = []): NamedRecord[] {
  const root = resolve(recordsDir);
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new UserError('no such records folder', root);
  const out: NamedRecord[] = [];
  for (const entry of readdirSync(root, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isDirectory() || NOT_RECORDS.has(entry.name)) continue;
    const dir = join(root, entry.name);
    if (entry.name === HEADLINE_DIR) {
      out.push(...headlineRecords(dir).map((r) => ({ ...r, name: relative(root, r.file).replace(/\.json$/, '').split(sep).join('/') })));
      continue;
    }
    for (const file of jsonFiles(dir)) {
      const raw = readJson(file);
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw) || !('schema' in raw)) {
        skipped.push(file);
        continue;
      }
      out.push({ name: relative(root, file).replace(/\.json$/, '').split(sep).join('/'), file, record: parseRecord(raw, file) });
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}
