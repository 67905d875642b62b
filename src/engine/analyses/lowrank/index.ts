// The synchronous lowrank analyses behind the contract's methods (the job lives in ./run.ts).
import * as tf from '../../backend/tf';
import { initBackend } from '../../backend';
import { UserError } from '../../core/errors';
import { loadDataset, splitsOf } from '../../data';
import { loadModel, needsLayers, type LoadedModel } from '../../models/io';
import { decomposeModel, modelFlops } from '../../lowrank/decompose';
import { modelSpectra } from '../../lowrank/spectrum';
import { weightSpectra } from '../inspect/spectrum';
import { modelNodes } from '../../models/nodes';
import { checkInputShape, top1 } from '../eval';
import type { AccuracyResult, LowrankScheme, SpectrumResult } from '../../../shared/api-lowrank';

const layersOf = (m: LoadedModel): tf.LayersModel => needsLayers(m, 'low-rank analysis');

/** Singular values of every Conv2D/Dense layer of a model (or of one layer). */
export async function spectrum(req: { model: string; scheme?: LowrankScheme; layer?: string; svd?: 'auto' | 'exact' | 'gram' }): Promise<SpectrumResult> {
  await initBackend();
  const loaded = await loadModel(req.model);
  if (!loaded.layers) {
    // a graph model has no layers to factorise, but its kernels have spectra all the same
    try {
      const scheme = req.scheme ?? 'channel';
      const layers = await weightSpectra(loaded, { scheme, only: req.layer ? [req.layer] : undefined, method: req.svd });
      if (req.layer && layers.length === 0) throw new UserError(`no conv/dense kernel "${req.layer}" in ${req.model}`);
      return { model: req.model, scheme, flops: (await modelNodes(loaded)).reduce((a, c) => a + c.flops, 0), layers };
    } finally {
      loaded.dispose();
    }
  }
  const model = layersOf(loaded);
  try {
    const scheme = req.scheme ?? 'channel';
    const layers = modelSpectra(model, scheme, { only: req.layer ? [req.layer] : undefined, method: req.svd });
    if (req.layer && layers.length === 0) {
      const have = model.layers.filter((l) => ['Conv2D', 'Dense'].includes(l.getClassName())).map((l) => l.name);
      throw new UserError(`no Conv2D/Dense layer "${req.layer}" in ${req.model} (have: ${have.join(', ')})`);
    }
    return { model: req.model, scheme, flops: modelFlops(model), layers };
  } finally {
    loaded.dispose();
  }
}

/** Factorise at the given ranks (no fine-tuning) and evaluate on the val split: the rank picker's accuracy (a choice). */
export async function accuracyAt(req: { model: string; data: string; scheme?: LowrankScheme; ranks: Record<string, number>; limit?: number }): Promise<AccuracyResult> {
  await initBackend();
  const loaded = await loadModel(req.model);
  const model = layersOf(loaded);
  try {
    const data = await loadDataset(req.data);
    checkInputShape(loaded, data.shape, req.data);
    const dec = await decomposeModel(model, req.scheme ?? 'channel', req.ranks);
    try {
      const r = await top1((x) => dec.model.predict(x) as tf.Tensor, data.val, data.shape, { limit: req.limit });
      return { top1: r.top1, n: r.n, split: 'val', splits: splitsOf(data), flops: dec.flopsAfter, baselineFlops: dec.flopsBefore, params: dec.paramsAfter, layers: dec.layers };
    } finally {
      dec.model.dispose();
    }
  } finally {
    loaded.dispose();
  }
}
