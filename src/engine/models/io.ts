import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as tf from '../backend/tf';
import { UserError } from '../core/errors';
import { readTfjsFile } from '../formats/tfjs-weights';
import { writeLayersModel } from '../formats/tfjs-layers';
import { formatOf } from '../formats';
import type { LoadedModel } from './model';

export { wrapLayersModel, needsLayers, type LoadedModel } from './model';

/** The folder holding package.json: found by walking up, so it works from src/ and from a bundle in out/. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'layerlens') return dir;
      } catch {
        // not ours; keep walking
      }
    }
    const up = dirname(dir);
    if (up === dir) return resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
    dir = up;
  }
}

/** Where builtin models live: `LAYERLENS_MODELS_DIR` when set (tests, packaged apps), else `<repo>/resources/models`. */
export function builtinModelsDir(): string {
  return process.env.LAYERLENS_MODELS_DIR ? resolve(process.env.LAYERLENS_MODELS_DIR) : join(repoRoot(), 'resources', 'models');
}

export function listBuiltinModels(): { ref: string; name: string }[] {
  const dir = builtinModelsDir();
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => !name.startsWith('.') && existsSync(join(dir, name, 'model.json')))
    .sort()
    .map((name) => ({ ref: `builtin:${name}`, name }));
}

/** ref → absolute model.json path (builtin name, a model.json, or a folder holding one). */
export function resolveModelRef(ref: string): { file: string; name: string; builtin: boolean } {
  if (!ref || !ref.trim()) throw new UserError('no model given');
  if (ref.startsWith('builtin:')) {
    const name = ref.slice('builtin:'.length);
    const file = join(builtinModelsDir(), name, 'model.json');
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) || !existsSync(file)) {
      const have = listBuiltinModels().map((m) => m.name);
      throw new UserError(`unknown builtin model "${name.slice(0, 80)}" (available: ${have.length ? have.join(', ') : 'none installed'})`, ref);
    }
    return { file, name, builtin: true };
  }
  let file = resolve(ref);
  if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'model.json');
  const name = basename(file) === 'model.json' ? basename(dirname(file)) : basename(file, extname(file));
  return { file, name, builtin: false };
}

/** Opens a model through the first format of the registry that recognises the file. */
export async function loadModel(ref: string): Promise<LoadedModel> {
  const { file, name, builtin } = resolveModelRef(ref);
  const format = formatOf(file);
  if (format?.load) return format.load({ file, ref, name, builtin });
  // nothing recognised it: the tfjs reader says precisely why (missing, a folder, not JSON, no modelTopology …)
  readTfjsFile(file);
  throw new UserError('not a model this build reads (tfjs layers/graph model.json, .onnx or .llpk)', file);
}

/** Saves `<dir>/model.json` + `<dir>/weights.bin` atomically; returns the model.json path. */
export async function saveLayersModel(model: tf.LayersModel, dir: string, metadata?: Record<string, unknown>): Promise<string> {
  return writeLayersModel(model, dir, metadata);
}
