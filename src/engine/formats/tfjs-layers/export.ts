// Writes tfjs layers models with the weight storage tfjs-core can read but not write (its encodeWeights leaves
// quantization as a TODO): float16, or per-tensor affine uint8/uint16 (value = code·scale + min). Policy mode
// stores each quantized kernel on its own grid where the manifest can (per-tensor affine); per-channel and
// codebook kernels get the converter's per-tensor rule and a flag, since a manifest has one scale per tensor.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as tf from '../../backend/tf';
import { isAffine } from '../../quant/quantizers';
import type { ExportPlan } from '../../export/plan';

export type TfjsDtype = 'float32' | 'float16' | 'uint8' | 'uint16' | 'policy';
/** tfjs's default shard size (tfjs PRs #2774/#2889) */
const SHARD_BYTES = 4 * 1024 * 1024;

interface TfjsWeightOut {
  name: string;
  layer: string;
  bytes: number;
  storage: string;
  /** the bytes written for this weight (for per-layer gzip) */
  data: Uint8Array;
}
export interface TfjsExportResult {
  files: string[];
  weights: TfjsWeightOut[];
  flags: Map<string, string[]>;
  storage: Map<string, string>;
}

/** float → IEEE half bits, round to nearest even. */
function floatToHalf(v: number): number {
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  f[0] = v;
  const x = u[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++;
  if ((h & 0x7c00) === 0x7c00) e = 31;
  return sign | h;
}

/** The tfjs converter's affine rule: scale = (max−min)/(2^b−1), min nudged so 0.0 is a code; constant → scale 1. */
function affineCodes(v: Float32Array, bits: 8 | 16): { codes: Int32Array; scale: number; min: number } {
  let lo = Infinity;
  let hi = -Infinity;
  for (const x of v) {
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  const qmax = 2 ** bits - 1;
  const codes = new Int32Array(v.length);
  if (!(hi > lo)) return { codes, scale: 1, min: Number.isFinite(lo) ? lo : 0 };
  const scale = (hi - lo) / qmax;
  let min = lo;
  if (lo < 0 && hi > 0) min = -Math.round(-lo / scale) * scale;
  for (let i = 0; i < v.length; i++) codes[i] = Math.max(0, Math.min(qmax, Math.round((v[i] - min) / scale)));
  return { codes, scale, min };
}

function bytesOf(codes: Int32Array, dtype: 'uint8' | 'uint16'): Uint8Array {
  if (dtype === 'uint8') return Uint8Array.from(codes);
  const out = new Uint8Array(codes.length * 2);
  const view = new DataView(out.buffer);
  codes.forEach((c, i) => view.setUint16(2 * i, c, true));
  return out;
}

/**
 * Writes `<dir>/model.json` + `group1-shard{k}of{n}.bin` from the artifacts of the source (a layers topology or a
 * graph) with the plan's weights; returns the files and the bytes of every weight.
 */
export async function writeTfjsExport(plan: ExportPlan, a: tf.io.ModelArtifacts, dir: string, dtype: TfjsDtype, metadata: Record<string, unknown>): Promise<TfjsExportResult> {
  const out = resolve(dir);
  const specs = a.weightSpecs ?? [];
  const layerOf = new Map<string, { layer: string; values: Float32Array; main: boolean; plan: ExportPlan['layers'][number] }>();
  for (const l of plan.layers) l.weights.forEach((w, i) => layerOf.set(w.name, { layer: l.name, values: w.values, main: i === l.main, plan: l }));
  const flags = new Map<string, string[]>();
  const storage = new Map<string, string>();
  const flag = (layer: string, f: string) => flags.set(layer, [...(flags.get(layer) ?? []), f]);
  const all = specs.length ? new Uint8Array(tf.io.CompositeArrayBuffer.join(a.weightData!)) : new Uint8Array(0);
  let off = 0;
  const entries: tf.io.WeightsManifestEntry[] = [];
  const weights: TfjsWeightOut[] = [];
  for (const s of specs) {
    const n = s.shape.reduce((x, y) => x * y, 1);
    const sq = s.quantization?.dtype;
    const width = sq ? (sq === 'uint8' ? 1 : 2) : s.dtype === 'float32' || s.dtype === 'int32' ? 4 : 1;
    const own = layerOf.get(s.name);
    const raw = all.slice(off, off + n * width);
    off += n * width;
    if (!own && (sq || s.dtype !== 'float32')) {
      // not a weight of the plan and not plain float (a graph's int32 shapes, a stored-quantized constant): as it was
      entries.push(s);
      weights.push({ name: s.name, layer: s.name.split('/')[0], bytes: raw.byteLength, storage: sq ?? s.dtype, data: raw });
      continue;
    }
    const values = own?.values ?? new Float32Array(raw.buffer);
    const layer = own?.layer ?? s.name.split('/')[0];
    let entry: tf.io.WeightsManifestEntry = { name: s.name, shape: s.shape, dtype: s.dtype };
    let data: Uint8Array;
    let kind: string = 'float32';
    const affine = (bits: 8 | 16) => {
      const r = affineCodes(values, bits);
      const dt = bits === 8 ? 'uint8' : 'uint16';
      entry = { ...entry, quantization: { dtype: dt, scale: r.scale, min: r.min } };
      data = bytesOf(r.codes, dt);
      kind = dt;
    };
    data = new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
    if (s.dtype !== 'float32') {
      // int32/bool weights stay as they are
    } else if (dtype === 'float16') {
      const h = new Uint8Array(2 * n);
      const view = new DataView(h.buffer);
      values.forEach((v, i) => view.setUint16(2 * i, floatToHalf(v), true));
      entry = { ...entry, quantization: { dtype: 'float16' } };
      data = h;
      kind = 'float16';
    } else if (dtype === 'uint8' || dtype === 'uint16') {
      affine(dtype === 'uint8' ? 8 : 16);
    } else if (dtype === 'policy' && own?.main && own.plan.q) {
      const l = own.plan;
      const q = l.q!;
      const container = l.bits <= 8 ? 8 : 16;
      if (isAffine(q) && q.scales.length === 1) {
        // the kernel's own grid: code' = code − min(code), value = code'·scale + (min(code) − zp)·scale
        let cmin = Infinity;
        let cmax = -Infinity;
        for (const c of q.codes) {
          if (c < cmin) cmin = c;
          if (c > cmax) cmax = c;
        }
        const dt = cmax - cmin <= 255 ? 'uint8' : 'uint16';
        const shifted = Int32Array.from(q.codes, (c) => c - cmin);
        entry = { ...entry, quantization: { dtype: dt, scale: q.scales[0], min: (cmin - q.zeroPoints[0]) * q.scales[0] } };
        data = bytesOf(shifted, dt);
        kind = dt;
      } else {
        affine(container as 8 | 16);
        flag(layer, isAffine(q) ? 'per-channel scales stored per-tensor (manifests hold one scale per tensor): lossy' : `${q.spec.method} codebook stored as per-tensor affine ${kind}: lossy`);
      }
      if (l.bits < (kind === 'uint8' ? 8 : 16)) flag(layer, `${l.bits}-bit codes in a ${kind} container (no saving except under gzip)`);
    }
    if (own?.main) storage.set(layer, kind);
    entries.push(entry);
    weights.push({ name: s.name, layer, bytes: data.byteLength, storage: kind, data });
  }

  // shards of at most 4 MiB, in entry order, like the converter
  const total = weights.reduce((x, w) => x + w.bytes, 0);
  const blob = new Uint8Array(total);
  let k = 0;
  for (const w of weights) {
    blob.set(w.data, k);
    k += w.bytes;
  }
  const count = Math.max(1, Math.ceil(total / SHARD_BYTES));
  const paths = Array.from({ length: count }, (_, i) => `group1-shard${i + 1}of${count}.bin`);
  mkdirSync(out, { recursive: true });
  rmSync(join(out, 'model.json'), { force: true });
  paths.forEach((p, i) => writeFileSync(join(out, p), blob.subarray(i * SHARD_BYTES, Math.min(total, (i + 1) * SHARD_BYTES))));
  const json = {
    format: a.format ?? 'layers-model',
    generatedBy: a.generatedBy,
    convertedBy: 'layerlens export',
    modelTopology: a.modelTopology,
    ...(a.signature ? { signature: a.signature } : {}),
    weightsManifest: [{ paths, weights: entries }],
    userDefinedMetadata: { ...(a.userDefinedMetadata ?? {}), ...metadata },
  };
  writeFileSync(join(out, 'model.json'), JSON.stringify(json));
  return { files: [join(out, 'model.json'), ...paths.map((p) => join(out, p))], weights, flags, storage };
}
