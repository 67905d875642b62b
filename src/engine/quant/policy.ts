/** Per-layer bit policies: compression accounting and the shared `policy.json` form (src/shared/common.ts). */
import type { LayerPolicy, Policy } from '../../shared/common';
import { levelCount, storageBits, type QuantMethod, type QuantSpec } from './quantizers';

export interface CodebookChoice {
  method: QuantMethod;
  granularity: 'per-tensor' | 'per-channel';
  symmetric: boolean;
}

export function specFor(bits: number, cb: CodebookChoice, seed = 0): QuantSpec {
  return { bits, method: cb.method, granularity: cb.granularity, symmetric: cb.symmetric, seed };
}

/** Bits a quantized layer takes: codes plus its parameters (float32 scales + zero points, or codebooks). */
export function layerBits(size: number, shape: number[], spec: QuantSpec): number {
  const channels = spec.granularity === 'per-channel' ? shape[spec.axis ?? shape.length - 1] : 1;
  const codes = size * storageBits(spec);
  if (spec.method === 'kmeans' || spec.method === 'pow2') return codes + channels * levelCount(spec) * 32;
  const zp = spec.method === 'uniform' && !spec.symmetric ? spec.bits : 0;
  return codes + channels * (32 + zp);
}

/**
 * 32·Σ N_l / Σ bits_l (codes + codebooks/scales), over the quantized layers' kernels. Layers at 32 bits (float)
 * count 32 per weight. Biases and BatchNorm stay float and are not in either sum (see `modelCompression`).
 */
export function compressionRatio(layers: { size: number; shape: number[] }[], specs: (QuantSpec | null)[]): number {
  let num = 0;
  let den = 0;
  layers.forEach((l, i) => {
    num += 32 * l.size;
    const s = specs[i];
    den += s ? layerBits(l.size, l.shape, s) : 32 * l.size;
  });
  return den > 0 ? num / den : 1;
}

/** The same ratio over every parameter of the model, float biases and BN included. */
export function modelCompression(totalParams: number, layers: { size: number; shape: number[] }[], specs: (QuantSpec | null)[]): number {
  let den = 0;
  let kernels = 0;
  layers.forEach((l, i) => {
    kernels += l.size;
    const s = specs[i];
    den += s ? layerBits(l.size, l.shape, s) : 32 * l.size;
  });
  den += 32 * (totalParams - kernels);
  return (32 * totalParams) / den;
}

export function toPolicy(names: string[], specs: (QuantSpec | null)[], provenance: Record<string, unknown>): Policy {
  const layers: Record<string, LayerPolicy> = {};
  names.forEach((n, i) => {
    const s = specs[i];
    if (!s) return;
    layers[n] = { bits: storageBits(s), method: s.method, granularity: s.granularity, symmetric: s.symmetric };
  });
  return { version: 1, layers, provenance };
}
