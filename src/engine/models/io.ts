import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '../backend/tf';
import { UserError } from '../core/errors';
import { readTfjsFile } from '../formats/tfjs-weights';
import { layersModelFromFile, writeLayersModel } from '../formats/tfjs-layers';
import { graphModelFromFile } from '../formats/tfjs-graph';

export interface LoadedModel {
  ref: string;
  name: string;
  format: 'tfjs-layers' | 'tfjs-graph' | 'builtin' | 'onnx';
  /** with the batch dimension first (null when free) */
  inputShape: (number | null)[];
  layers?: tf.LayersModel;
  graph?: tf.GraphModel;
  /** one output tensor; extra outputs of multi-output models are disposed */
  predict(x: tf.Tensor): tf.Tensor;
  /**
   * Optional asynchronous evaluator that takes precedence for accuracy where present: ONNX models run in
   * ONNX Runtime (the file itself), while `predict`/`layers` is the converted tfjs model that inspection and
   * the other analyses use.
   */
  predictAsync?(x: tf.Tensor): Promise<tf.Tensor>;
  dispose(): void;
  /** absolute path of model.json, when the model came from a file */
  path?: string;
  /** the model.json's userDefinedMetadata */
  metadata?: Record<string, unknown>;
}

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

function firstOutput(y: tf.Tensor | tf.Tensor[] | tf.NamedTensorMap): tf.Tensor {
  const all = y instanceof tf.Tensor ? [y] : Array.isArray(y) ? y : Object.values(y);
  for (const t of all.slice(1)) t.dispose();
  return all[0];
}

/** Wraps an in-memory layers model (e.g. fresh from the zoo) in the LoadedModel shape. */
export function wrapLayersModel(model: tf.LayersModel, opts: { ref?: string; name?: string; format?: LoadedModel['format']; path?: string; metadata?: Record<string, unknown> } = {}): LoadedModel {
  return {
    ref: opts.ref ?? `memory:${model.name}`,
    name: opts.name ?? model.name,
    format: opts.format ?? 'tfjs-layers',
    inputShape: [...(model.inputs[0]?.shape ?? [null])],
    layers: model,
    predict: (x) => firstOutput(model.predict(x)),
    dispose: () => model.dispose(),
    path: opts.path,
    metadata: opts.metadata,
  };
}

export async function loadModel(ref: string): Promise<LoadedModel> {
  const { file, name, builtin } = resolveModelRef(ref);
  if (extname(file).toLowerCase() === '.onnx') {
    const { loadOnnxModel } = await import('../formats/onnx-model');
    return loadOnnxModel(file, ref, name);
  }
  if (extname(file).toLowerCase() === '.llpk') {
    const { packedModel } = await import('../formats/packed');
    const p = await packedModel(file);
    return wrapLayersModel(p.model, { ref, name, format: 'tfjs-layers', path: file, metadata: p.header.metadata });
  }
  const f = readTfjsFile(file);
  const meta = f.json.userDefinedMetadata;
  const metadata = meta && typeof meta === 'object' && !Array.isArray(meta) ? (meta as Record<string, unknown>) : undefined;
  if (f.format === 'tfjs-layers') {
    const model = await layersModelFromFile(f);
    return wrapLayersModel(model, { ref, name, format: builtin ? 'builtin' : 'tfjs-layers', path: f.file, metadata });
  }
  const graph = await graphModelFromFile(f);
  const shape = graph.inputs[0]?.shape;
  return {
    ref,
    name,
    format: builtin ? 'builtin' : 'tfjs-graph',
    inputShape: shape ? shape.map((d) => (d < 0 ? null : d)) : [null],
    graph,
    predict: (x) => firstOutput(graph.predict(x)),
    dispose: () => graph.dispose(),
    path: f.file,
    metadata,
  };
}

/** Saves `<dir>/model.json` + `<dir>/weights.bin` atomically; returns the model.json path. */
export async function saveLayersModel(model: tf.LayersModel, dir: string, metadata?: Record<string, unknown>): Promise<string> {
  return writeLayersModel(model, dir, metadata);
}
