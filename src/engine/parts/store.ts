/**
 * A parts run folder: `backbone/` (tfjs layers, the frozen feature extractor), `parts.json` (feature spec,
 * detectors, classifiers, mining diagnostics, config) and `record.json` (the training result). Typed arrays are
 * stored as plain number lists.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as tf from '../backend/tf';
import { UserError } from '../core/errors';
import { loadModel } from '../models/io';
import type { FeatureSpec } from './features';
import type { PartsModel } from './pipeline';

export const PARTS_META = 'parts.json';
export const PARTS_BACKBONE = 'backbone';

export interface PartsMeta {
  version: 1;
  classNames: string[];
  features: FeatureSpec;
  width: number;
  height: number;
  pyramid: boolean;
  data: string;
  config: Record<string, unknown>;
  /** train image ids, in the order the mining's image indices refer to */
  trainIds: string[];
  model: PartsModel;
  /** per class, per seed: a 16 × 16 grayscale crop of the seed's region (base64), for the pattern gallery */
  patches: string[][];
  /** detector × image z-scored best responses on the first test images (the view's response matrix) */
  matrix: { images: string[]; labels: number[]; values: number[][] };
}

const replacer = (_k: string, v: unknown) => (v instanceof Float32Array || v instanceof Float64Array ? Array.from(v, (x) => Math.round(x * 1e6) / 1e6) : v);

/** Float arrays the model holds, turned back into Float32Array after JSON. */
function revive(m: PartsModel): PartsModel {
  const f = (x: unknown) => Float32Array.from(x as number[]);
  for (const d of m.detectors) d.w = f(d.w);
  for (const cm of m.mining) for (const cl of cm.clusters) cl.detector.w = f(cl.detector.w);
  if (m.classifiers) {
    for (const c of Object.values(m.classifiers)) {
      c.model.W = f(c.model.W);
      c.stats = { mean: f(c.stats.mean), std: f(c.stats.std) };
    }
  }
  return m;
}

export function writePartsMeta(dir: string, meta: PartsMeta): void {
  const file = join(dir, PARTS_META);
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(meta, replacer));
  renameSync(tmp, file);
}

export function readPartsMeta(dir: string): PartsMeta {
  const file = join(dir, PARTS_META);
  if (!existsSync(file)) throw new UserError('is not a parts run folder (no parts.json)', dir);
  let meta: PartsMeta;
  try {
    meta = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new UserError('is not valid JSON', file);
  }
  if (meta.version !== 1 || !meta.model) throw new UserError('is not a parts run description (version 1)', file);
  meta.model = revive(meta.model);
  return meta;
}

export async function loadBackbone(dir: string): Promise<tf.LayersModel> {
  const file = join(dir, PARTS_BACKBONE, 'model.json');
  if (!existsSync(file)) throw new UserError('has no backbone/model.json', dir);
  const m = await loadModel(file);
  if (!m.layers) throw new UserError('is not a tfjs layers model', file);
  return m.layers;
}
