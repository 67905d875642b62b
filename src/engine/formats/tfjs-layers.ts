// TensorFlow.js layers models (format "layers-model"): read and write model.json + weights.bin without tfjs's
// file:// handler, which plain @tensorflow/tfjs lacks in Node.
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as tf from '../backend/tf';
import { UserError } from '../core/errors';
import type { TfjsFile } from './tfjs-weights';
import { checkFinite, flat, readTfjsFile, shapeText, stageFile } from './tfjs-weights';

/** Builds the model from an already checked file; shape and name mismatches become one-line UserErrors. */
export async function layersModelFromFile(f: TfjsFile): Promise<tf.LayersModel> {
  if (f.format !== 'tfjs-layers') throw new UserError('is a TensorFlow.js graph model, not a layers model', f.file);
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
