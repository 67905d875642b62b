/**
 * An action run folder: action.json (architecture, class names, hierarchy, config) and weights.bin (every variable
 * of the model in modelVariables order, float32), written atomically; loaded back by rebuilding the network from
 * action.json and filling its variables.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as tf from '../backend/tf';
import { concatArrays } from '../core/arrays';
import { UserError } from '../core/errors';
import { buildActionModel, modelVariables, type ActionArch, type ActionModel } from './model';

const META_FILE = 'action.json';
const WEIGHTS_FILE = 'weights.bin';

export interface ActionMeta {
  version: 1;
  arch: ActionArch;
  classNames: string[];
  coarseNames: string[];
  coarseOf: number[];
  seed: number;
  config: Record<string, unknown>;
}

export function writeAtomic(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

/** Every variable's values, concatenated (float32 bytes). */
export function weightBytes(vars: readonly tf.Variable[]): Uint8Array {
  const all = concatArrays(Float32Array, vars.map((v) => v.dataSync() as Float32Array));
  return new Uint8Array(all.buffer);
}

/** Fills variables from bytes written by weightBytes; a size mismatch is the file's fault. */
export function assignWeights(vars: readonly tf.Variable[], bytes: Uint8Array, file: string): void {
  const floats = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const need = vars.reduce((s, v) => s + v.size, 0);
  if (floats.length !== need) throw new UserError(`holds ${floats.length} weights, the network needs ${need}`, file);
  let o = 0;
  for (const v of vars) {
    v.assign(tf.tensor(floats.subarray(o, o + v.size), v.shape));
    o += v.size;
  }
}

export function saveActionRun(dir: string, model: ActionModel, meta: ActionMeta): void {
  writeAtomic(join(dir, WEIGHTS_FILE), weightBytes(modelVariables(model)));
  writeAtomic(join(dir, META_FILE), JSON.stringify(meta, null, 1));
}

/** A run folder from a ref that may also name its action.json. */
export function actionRunDir(ref: string): string {
  const p = resolve(ref);
  return p.endsWith(META_FILE) ? resolve(p, '..') : p;
}

export function readActionMeta(dir: string): ActionMeta {
  const file = join(dir, META_FILE);
  if (!existsSync(file)) throw new UserError(`is not an action run folder (no ${META_FILE})`, dir);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ActionMeta;
  } catch {
    throw new UserError('is not valid JSON', file);
  }
}

export function loadActionRun(ref: string): { dir: string; model: ActionModel; meta: ActionMeta } {
  const dir = actionRunDir(ref);
  const meta = readActionMeta(dir);
  const file = join(dir, WEIGHTS_FILE);
  if (!existsSync(file)) throw new UserError(`has no ${WEIGHTS_FILE} (the run has not finished)`, dir);
  const model = buildActionModel(meta.arch, meta.seed);
  const bytes = readFileSync(file);
  assignWeights(modelVariables(model), new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), file);
  return { dir, model, meta };
}
