// TensorFlow.js layers models (format "layers-model"): read and write model.json + weights.bin without tfjs's
// file:// handler, which plain @tensorflow/tfjs lacks in Node.
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as tf from '../../backend/tf';
import { UserError } from '../../core/errors';
import type { TfjsFile } from '../tfjs-weights';
import { checkFinite, flat, readTfjsFile, shapeText, sniffTfjsFormat, stageFile } from '../tfjs-weights';
import type { FormatModule } from '../format';
import { layersArtifacts, wrapLayersModel } from '../../models/model';
import { planLayersModel } from '../../export/plan';
import { maxAbs, predictAll, tfPredictor, type ExportSession, type Written } from '../../export/verify';
import { writeTfjsExport, type TfjsExportResult } from './export';
import { checkLayersTopology } from './topology';

/** Builds the model from an already checked file; shape and name mismatches become one-line UserErrors. */
async function layersModelFromFile(f: TfjsFile): Promise<tf.LayersModel> {
  if (f.format !== 'tfjs-layers') throw new UserError('is a TensorFlow.js graph model, not a layers model', f.file);
  checkLayersTopology(f.artifacts.modelTopology, f.file);
  try {
    return await tf.loadLayersModel(tf.io.fromMemory(f.artifacts), { strict: true });
  } catch (e) {
    throw (await explainMismatch(f)) ?? new UserError(`cannot build the layers model: ${flat(e)}`, f.file);
  }
}

/** tfjs says "Shape mismatch: [..] vs. [..]" without naming the weight; rebuild without weights and compare. */
async function explainMismatch(f: TfjsFile): Promise<UserError | null> {
  let bare: tf.LayersModel;
  try {
    bare = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: f.artifacts.modelTopology, format: f.artifacts.format }));
  } catch {
    return null;
  }
  try {
    const want = new Map(bare.weights.map((w) => [w.originalName, w.shape]));
    for (const s of f.specs) {
      const shape = want.get(s.name);
      if (!shape) return new UserError(`weight ${s.name} in the weights manifest belongs to no layer of the model`, f.file);
      if (shape.length !== s.shape.length || shape.some((d, i) => d !== s.shape[i]))
        {return new UserError(`shape mismatch: weight ${s.name} is ${shapeText(s.shape)} in the weights manifest but its layer expects ${shapeText(shape)}`, f.file);}
    }
    const given = new Set(f.specs.map((s) => s.name));
    const missing = [...want.keys()].filter((n) => !given.has(n));
    if (missing.length) return new UserError(`${missing.length} weight(s) missing from the weights manifest: ${flat(missing.join(', '), 200)}`, f.file);
    return null;
  } finally {
    bare.dispose();
  }
}

/** Reads a layers model.json (+ shards), validated; see tfjs-weights.ts for the checks. */
export async function readLayersModel(path: string): Promise<{ model: tf.LayersModel; file: TfjsFile }> {
  const f = readTfjsFile(path);
  return { model: await layersModelFromFile(f), file: f };
}

/**
 * Writes `<dir>/model.json` + `<dir>/weights.bin`. Both are written under temporary names first; then the old
 * model.json is removed, weights.bin renamed into place, model.json last: a crash leaves either a complete
 * model or no model.json, never a model.json that points at the wrong weights.
 */
export async function writeLayersModel(model: tf.LayersModel, dir: string, metadata?: Record<string, unknown>): Promise<string> {
  const out = resolve(dir);
  const jsonPath = join(out, 'model.json');
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) };
    }),
  );
  if (!artifacts) throw new Error('model.save produced no artifacts');
  const specs = artifacts.weightSpecs ?? [];
  const data = artifacts.weightData ? tf.io.CompositeArrayBuffer.join(artifacts.weightData) : new ArrayBuffer(0);
  checkFinite(jsonPath, specs, data);
  const userDefinedMetadata = metadata ?? artifacts.userDefinedMetadata;
  const json: Record<string, unknown> = {
    format: artifacts.format ?? 'layers-model',
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy ?? null,
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths: ['weights.bin'], weights: specs }],
  };
  if (artifacts.trainingConfig) json.trainingConfig = artifacts.trainingConfig;
  if (userDefinedMetadata) json.userDefinedMetadata = JSON.parse(JSON.stringify(userDefinedMetadata)) as unknown;

  mkdirSync(out, { recursive: true });
  const tmpWeights = stageFile(join(out, 'weights.bin'), new Uint8Array(data));
  let tmpJson: string;
  try {
    tmpJson = stageFile(jsonPath, JSON.stringify(json));
  } catch (e) {
    rmSync(tmpWeights, { force: true });
    throw e;
  }
  if (existsSync(jsonPath)) rmSync(jsonPath);
  renameSync(tmpWeights, join(out, 'weights.bin'));
  renameSync(tmpJson, jsonPath);
  return jsonPath;
}

const metadataOf = (f: TfjsFile) => {
  const m = f.json.userDefinedMetadata;
  return m && typeof m === 'object' && !Array.isArray(m) ? (m as Record<string, unknown>) : undefined;
};

/** The tfjs layers format: model.json (format "layers-model") + shards; writes the export target `tfjs`. */
export const tfjsLayersFormat: FormatModule = {
  name: 'tfjs-layers',
  target: 'tfjs',
  match: (file) => sniffTfjsFormat(file) === 'tfjs-layers',
  async load({ file, ref, name, builtin }) {
    const f = readTfjsFile(file);
    const model = await layersModelFromFile(f);
    return wrapLayersModel(model, { ref, name, format: builtin ? 'builtin' : 'tfjs-layers', path: f.file, metadata: metadataOf(f) });
  },
  canWrite: (plan) => !!plan.model,
  async write(s, dir, opts) {
    const a = await layersArtifacts(planLayersModel(s.plan, 'a tfjs layers model'));
    return tfjsWritten(await writeTfjsExport(s.plan, a, dir, opts.tfjsDtype ?? 'float32', opts.metadata));
  },
  async verify(s, _w, dir, ctx) {
    ctx.progress({ fraction: 0.5, stage: 'reloading with tf.loadLayersModel' });
    const { model } = await readLayersModel(join(dir, 'model.json'));
    try {
      const got = new Map(model.weights.map((w) => [w.originalName, w.read().dataSync() as Float32Array]));
      const reloaded = await predictAll(s.evalSet.x, s.evalSet.n, s.evalSet.shape, tfPredictor(model, s.evalSet.shape), ctx, s.evalSet.batch);
      return { errors: weightErrors(s, got), reloaded, runtime: 'tf.loadLayersModel' };
    } finally {
      model.dispose();
    }
  },
};

/** Per plan layer: max |reloaded − simulated| over its weights. */
export function weightErrors(s: ExportSession, got: Map<string, ArrayLike<number>>): Map<string, number> {
  const errors = new Map<string, number>();
  for (const l of s.plan.layers) errors.set(l.name, Math.max(0, ...l.weights.map((w) => maxAbs(w.values, got.get(w.name) ?? []))));
  return errors;
}

/** A tfjs writer's result as the registry's Written. */
export function tfjsWritten(r: TfjsExportResult): Written {
  const bytes = new Map<string, number>();
  const data = new Map<string, Uint8Array[]>();
  for (const w of r.weights) {
    bytes.set(w.layer, (bytes.get(w.layer) ?? 0) + w.bytes);
    data.set(w.layer, [...(data.get(w.layer) ?? []), w.data]);
  }
  return { files: r.files, bytes, data, storage: r.storage, flags: r.flags };
}
