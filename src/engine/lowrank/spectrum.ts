// Spectra of a model's factorisable layers.
import type * as tf from '../backend/tf';
import { candidates, costAt, maxUsefulRank, type Candidate } from './decompose';
import { cumulativeEnergy, energyRank } from './rank';
import { kernelToMatrix, type Scheme } from './reshape';
import { svd, type SvdMethod } from './svd';
import type { LayerSpectrum } from '../../shared/api-lowrank';

export type { LayerSpectrum };

function layerSpectrum(model: tf.LayersModel, c: Candidate, scheme: Scheme, method: SvdMethod = 'auto'): LayerSpectrum {
  const kernel = model.getLayer(c.name).getWeights()[0].dataSync();
  const t0 = performance.now();
  const d = svd(kernelToMatrix(kernel, c.kernelShape, scheme), { method });
  const ms = performance.now() - t0;
  const s = Array.from(d.s);
  return {
    name: c.name,
    kind: c.kind,
    kernelShape: c.kernelShape,
    shape: c.matrix,
    singularValues: s,
    cumulativeEnergy: cumulativeEnergy(s),
    rankAtEnergy: { '0.9': energyRank(s, 0.9), '0.95': energyRank(s, 0.95), '0.99': energyRank(s, 0.99) },
    flops: c.flops,
    flopsAtRank: s.map((_, i) => costAt(c, scheme, i + 1).flops),
    usefulRank: maxUsefulRank(c, scheme),
    strides: c.strides,
    first: c.first,
    last: c.last,
    svdMethod: d.method,
    ms,
  };
}

/** Spectra of every Conv2D/Dense layer (or of `only`), under a scheme. */
export function modelSpectra(model: tf.LayersModel, scheme: Scheme, opts: { only?: string[]; method?: SvdMethod } = {}): LayerSpectrum[] {
  const cands = candidates(model, scheme).filter((c) => !opts.only || opts.only.includes(c.name));
  return cands.map((c) => layerSpectrum(model, c, scheme, opts.method));
}
