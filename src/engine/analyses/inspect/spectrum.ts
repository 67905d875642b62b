// Singular values of every kernel of any loaded model (tfjs layers, tfjs graph, ONNX), from its named weights:
// conv kernels [kh,kw,in,out] as the channel matrix [out, kh·kw·in], dense/matmul kernels as they are. The
// low-rank analyses (lowrank/) factorise layers models; this is the read-only view that works on all three.
import type { LoadedModel } from '../../models/model';
import { modelNodes } from '../../models/nodes';
import { kernelToMatrix, matrixShape } from '../../lowrank/reshape';
import { svd } from '../../lowrank/svd';
import { energyRank } from '../../lowrank/rank';

export interface WeightSpectrum {
  name: string;
  kind: string;
  weight: string;
  kernelShape: number[];
  /** rows × cols of the matrix whose singular values these are */
  matrix: [number, number];
  singularValues: number[];
  rankAtEnergy: Record<'0.9' | '0.95' | '0.99', number>;
}

/** Spectra of every 2-D or 4-D main weight (depthwise kernels, whose matrix is per channel, are skipped). */
export async function weightSpectra(m: LoadedModel, opts: { maxSide?: number } = {}): Promise<WeightSpectrum[]> {
  const out: WeightSpectrum[] = [];
  for (const c of await modelNodes(m)) {
    if (c.main < 0 || /depthwise/i.test(c.kind)) continue;
    const w = c.weights[c.main];
    if (w.shape.length !== 2 && w.shape.length !== 4) continue;
    const [rows, cols] = matrixShape(w.shape, 'channel');
    if (opts.maxSide && Math.min(rows, cols) > opts.maxSide) continue;
    const d = svd(kernelToMatrix(w.value().dataSync(), w.shape, 'channel'), { method: 'auto' });
    const s = Array.from(d.s);
    out.push({ name: c.name, kind: c.kind, weight: w.name, kernelShape: [...w.shape], matrix: [rows, cols], singularValues: s, rankAtEnergy: { '0.9': energyRank(s, 0.9), '0.95': energyRank(s, 0.95), '0.99': energyRank(s, 0.99) } });
  }
  return out;
}
