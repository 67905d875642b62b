// Singular values of every kernel of any loaded model (tfjs layers, tfjs graph, ONNX), from its named weights:
// conv kernels [kh,kw,in,out] reshaped by the scheme (lowrank/reshape.ts), dense/matmul kernels as they are.
// lowrank/ factorises layers models; this read-only view works on all three, and `spectrum` uses it for
// models without a layer topology (graph models).
import type { LoadedModel } from '../../models/model';
import { modelNodes } from '../../models/nodes';
import { kernelToMatrix, matrixShape, type Scheme } from '../../lowrank/reshape';
import { svd, type SvdMethod } from '../../lowrank/svd';
import { cumulativeEnergy, energyRank } from '../../lowrank/rank';
import type { LayerSpectrum } from '../../../shared/api-lowrank';

/**
 * Spectra of every conv or dense kernel (rank 2 or 4 main weight; depthwise kernels, whose matrix is per
 * channel, are skipped). MACs of the factorised pair at rank r are r·(rows + cols) per output position, the
 * positions taken from the node's own MACs.
 */
export async function weightSpectra(m: LoadedModel, opts: { scheme?: Scheme; only?: string[]; method?: SvdMethod } = {}): Promise<LayerSpectrum[]> {
  const scheme = opts.scheme ?? 'channel';
  const nodes = (await modelNodes(m)).filter((c) => c.main >= 0 && !/depthwise/i.test(c.kind) && [2, 4].includes(c.weights[c.main].shape.length));
  const kept = nodes.filter((c) => !opts.only || opts.only.includes(c.name));
  return kept.map((c) => {
    const w = c.weights[c.main];
    const [rows, cols] = matrixShape(w.shape, scheme);
    const t0 = performance.now();
    const d = svd(kernelToMatrix(w.value().dataSync(), w.shape, scheme), { method: opts.method ?? 'auto' });
    const ms = performance.now() - t0;
    const s = Array.from(d.s);
    const positions = c.flops / (rows * cols);
    return {
      name: c.name,
      kind: w.shape.length === 4 ? 'conv' : 'dense',
      kernelShape: [...w.shape],
      shape: [rows, cols],
      singularValues: s,
      cumulativeEnergy: cumulativeEnergy(s),
      rankAtEnergy: { '0.9': energyRank(s, 0.9), '0.95': energyRank(s, 0.95), '0.99': energyRank(s, 0.99) },
      flops: c.flops,
      flopsAtRank: s.map((_, i) => (i + 1) * (rows + cols) * positions),
      usefulRank: Math.max(0, Math.floor((rows * cols - 1) / (rows + cols))),
      strides: [1, 1],
      first: c === nodes[0],
      last: c === nodes[nodes.length - 1],
      svdMethod: d.method,
      ms,
    };
  });
}
