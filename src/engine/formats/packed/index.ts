// LayerLens packed format (.llpk): really b bits per quantized weight, plus per-channel scales/zero points or
// codebooks, plus the tfjs layers topology so the reader rebuilds a runnable model. Layout in
// docs/packed-format.md. The reader checks magic, version, lengths and a CRC-32 and gives one-line errors.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, statSync, writeFileSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { crc32 } from 'node:zlib';
import * as tf from '../../backend/tf';
import { UserError } from '../../core/errors';
import { dequantize, type QuantizedTensor, type QuantSpec } from '../../quant/quantizers';
import type { ExportPlan } from '../../export/plan';
import { planLayersModel } from '../../export/plan';
import { layersArtifacts } from '../../models/model';
import { flat, isDims } from '../tfjs-weights';
import type { FormatModule } from '../format';
import { checkLayersTopology } from '../tfjs-layers/topology';
import { wrapLayersModel } from '../../models/model';
import { maxAbs, predictAll, tfPredictor } from '../../export/verify';
import { concatArrays } from '../../core/arrays';

const PACKED_MAGIC = 'LLPK';
const PACKED_VERSION = 1;

interface PackedEntry {
  name: string;
  layer: string;
  shape: number[];
  kind: 'float32' | 'affine' | 'codebook';
  /** bits per code in the bit stream (quantized kinds) */
  bits?: number;
  /** added to every stored (unsigned) code to get the quantizer's code */
  codeOffset?: number;
  spec?: QuantSpec;
  levels?: number;
  channels?: number;
  /** byte offsets into the payload: [offset, length] */
  data: [number, number];
  scales?: [number, number];
  zeroPoints?: [number, number];
  codebook?: [number, number];
}
export interface PackedHeader {
  format: 'layerlens-packed';
  modelTopology: unknown;
  /** tfjs weight order, needed to rebuild the model */
  weightOrder: string[];
  metadata: Record<string, unknown>;
  entries: PackedEntry[];
}

/** LSB-first bit stream of unsigned codes, `bits` each. */
export function packBits(codes: ArrayLike<number>, bits: number): Uint8Array {
  const out = new Uint8Array(Math.ceil((codes.length * bits) / 8));
  let pos = 0;
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i];
    for (let b = 0; b < bits; b++, pos++) if ((c >>> b) & 1) out[pos >> 3] |= 1 << (pos & 7);
  }
  return out;
}
export function unpackBits(data: Uint8Array, bits: number, n: number): Int32Array {
  const out = new Int32Array(n);
  let pos = 0;
  for (let i = 0; i < n; i++) {
    let c = 0;
    for (let b = 0; b < bits; b++, pos++) c |= ((data[pos >> 3] >> (pos & 7)) & 1) << b;
    out[i] = c;
  }
  return out;
}

const f32bytes = (v: Float32Array) => new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));
const i32bytes = (v: Int32Array) => new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));

export interface PackedWriteResult {
  file: string;
  /** payload bytes per layer */
  layerBytes: Map<string, number>;
  layerData: Map<string, Uint8Array[]>;
}

/** Writes the plan as one .llpk file. */
export async function writePacked(plan: ExportPlan, file: string, metadata: Record<string, unknown>): Promise<PackedWriteResult> {
  const a = await layersArtifacts(planLayersModel(plan, 'the packed format'));
  const chunks: Uint8Array[] = [];
  let size = 0;
  const put = (b: Uint8Array): [number, number] => {
    const at = size;
    chunks.push(b);
    size += b.byteLength;
    return [at, b.byteLength];
  };
  const entries: PackedEntry[] = [];
  const layerBytes = new Map<string, number>();
  const layerData = new Map<string, Uint8Array[]>();
  for (const l of plan.layers) {
    l.weights.forEach((w, wi) => {
      const before = size;
      const start = chunks.length;
      if (wi === l.main && l.q) {
        const q = l.q;
        let lo = Infinity;
        let hi = -Infinity;
        for (const c of q.codes) {
          if (c < lo) lo = c;
          if (c > hi) hi = c;
        }
        if (!Number.isFinite(lo)) lo = hi = 0;
        // as many bits as the policy says; ternary's {−1,0,1} needs 2
        const bits = Math.max(1, l.bits, Math.ceil(Math.log2(hi - lo + 1)));
        const affine = !q.codebook;
        entries.push({
          name: w.name,
          layer: l.name,
          shape: w.shape,
          kind: affine ? 'affine' : 'codebook',
          bits,
          codeOffset: lo,
          spec: q.spec,
          levels: q.levels,
          channels: q.scales.length,
          data: put(packBits(Int32Array.from(q.codes, (c) => c - lo), bits)),
          scales: put(f32bytes(q.scales)),
          // symmetric codes have all-zero zero points: omitted rather than stored as int32s
          ...(affine ? (q.zeroPoints.some((z) => z !== 0) ? { zeroPoints: put(i32bytes(q.zeroPoints)) } : {}) : { codebook: put(f32bytes(q.codebook!)) }),
        });
      } else {
        entries.push({ name: w.name, layer: l.name, shape: w.shape, kind: 'float32', data: put(f32bytes(w.values)) });
      }
      layerBytes.set(l.name, (layerBytes.get(l.name) ?? 0) + size - before);
      layerData.set(l.name, [...(layerData.get(l.name) ?? []), ...chunks.slice(start)]);
    });
  }
  const header: PackedHeader = {
    format: 'layerlens-packed',
    modelTopology: a.modelTopology,
    weightOrder: (a.weightSpecs ?? []).map((s) => s.name),
    metadata,
    entries,
  };
  const hbytes = new TextEncoder().encode(JSON.stringify(header));
  const body = concatArrays(Uint8Array, [hbytes, ...chunks]);
  const out = new Uint8Array(16 + body.byteLength + 4);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode(PACKED_MAGIC), 0);
  view.setUint32(4, PACKED_VERSION, true);
  view.setUint32(8, hbytes.byteLength, true);
  view.setUint32(12, size, true);
  out.set(body, 16);
  view.setUint32(16 + body.byteLength, crc32(body), true);
  const path = resolve(file);
  writeFileSync(path, out);
  return { file: path, layerBytes, layerData };
}

export interface PackedTensor {
  entry: PackedEntry;
  values: Float32Array;
  q?: QuantizedTensor;
}

const isRange = (r: unknown) => Array.isArray(r) && r.length === 2 && r.every((v) => Number.isSafeInteger(v) && v >= 0);

/** One header entry, field by field, before any of it is used to size or slice anything. */
function checkEntry(e: PackedEntry, i: number, file: string): void {
  if (!e || typeof e !== 'object' || typeof e.name !== 'string') throw new UserError(`packed entry ${i} has no name`, file);
  if (!isDims(e.shape)) throw new UserError(`weight ${e.name}: invalid shape ${flat(JSON.stringify(e.shape), 80)}`, file);
  if (!['float32', 'affine', 'codebook'].includes(e.kind)) throw new UserError(`weight ${e.name}: unknown kind "${flat(e.kind, 40)}"`, file);
  if (!isRange(e.data)) throw new UserError(`weight ${e.name}: data is not an [offset, length] pair`, file);
  if (e.kind === 'float32') return;
  if (!(Number.isInteger(e.bits) && e.bits! >= 1 && e.bits! <= 32)) throw new UserError(`weight ${e.name}: ${flat(e.bits, 20)} bits per code (expected 1..32)`, file);
  if (!Number.isSafeInteger(e.codeOffset ?? 0)) throw new UserError(`weight ${e.name}: codeOffset is not an integer`, file);
  if (!e.spec || typeof e.spec !== 'object') throw new UserError(`weight ${e.name}: quantized entry has no spec`, file);
  for (const k of ['scales', 'zeroPoints', 'codebook'] as const) {
    if (e[k] !== undefined && !isRange(e[k])) throw new UserError(`weight ${e.name}: ${k} is not an [offset, length] pair`, file);
  }
  if (!isRange(e.scales)) throw new UserError(`weight ${e.name}: quantized entry has no scales`, file);
  if (e.kind === 'codebook' && !isRange(e.codebook)) throw new UserError(`weight ${e.name}: codebook entry has no codebook`, file);
}

/** Reads and checks a .llpk file; every weight decoded (codes kept for quantized ones). */
export function readPacked(path: string): { file: string; header: PackedHeader; tensors: PackedTensor[] } {
  const file = resolve(path);
  if (!existsSync(file)) throw new UserError('packed model not found', file);
  if (statSync(file).isDirectory()) throw new UserError('is a folder, not a .llpk file', file);
  const buf = new Uint8Array(readFileSync(file));
  if (buf.byteLength < 20 || new TextDecoder().decode(buf.subarray(0, 4)) !== PACKED_MAGIC) throw new UserError('not a LayerLens packed file (bad magic)', file);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const version = view.getUint32(4, true);
  if (version !== PACKED_VERSION) throw new UserError(`packed format version ${version} is not supported (this build reads ${PACKED_VERSION})`, file);
  const hlen = view.getUint32(8, true);
  const plen = view.getUint32(12, true);
  if (buf.byteLength !== 16 + hlen + plen + 4) throw new UserError(`packed file is truncated or padded: ${buf.byteLength} bytes, header says ${16 + hlen + plen + 4}`, file);
  const body = buf.subarray(16, 16 + hlen + plen);
  if (crc32(body) !== view.getUint32(16 + hlen + plen, true)) throw new UserError('packed file is corrupt (CRC-32 mismatch)', file);
  let header: PackedHeader;
  try {
    header = JSON.parse(new TextDecoder().decode(body.subarray(0, hlen))) as PackedHeader;
  } catch (e) {
    throw new UserError(`packed header is not JSON (${flat(e, 100)})`, file);
  }
  if (header.format !== 'layerlens-packed' || !Array.isArray(header.entries)) throw new UserError('packed header has no entries', file);
  if (!Array.isArray(header.weightOrder) || !header.weightOrder.every((n) => typeof n === 'string')) throw new UserError('packed header has no weightOrder list', file);
  header.entries.forEach((e, i) => checkEntry(e, i, file));
  const payload = body.subarray(hlen);
  const slice = (r: [number, number] | undefined, what: string, name: string): Uint8Array => {
    if (!r || r[0] < 0 || r[0] + r[1] > payload.byteLength) throw new UserError(`weight ${name}: ${what} lies outside the payload`, file);
    return payload.slice(r[0], r[0] + r[1]);
  };
  const tensors = header.entries.map((e): PackedTensor => {
    const n = e.shape.reduce((x, y) => x * y, 1);
    if (e.kind === 'float32') {
      const d = slice(e.data, 'data', e.name);
      if (d.byteLength !== 4 * n) throw new UserError(`weight ${e.name}: ${d.byteLength} bytes for ${n} floats`, file);
      return { entry: e, values: new Float32Array(d.buffer) };
    }
    const bits = e.bits ?? 0;
    const d = slice(e.data, 'codes', e.name);
    if (d.byteLength !== Math.ceil((n * bits) / 8)) throw new UserError(`weight ${e.name}: ${d.byteLength} code bytes for ${n}×${bits} bits`, file);
    const codes = unpackBits(d, bits, n).map((c) => c + (e.codeOffset ?? 0));
    // scales, zero points and codebooks are 4-byte values: a ragged section is a corrupt header, not a RangeError
    const words = (r: [number, number] | undefined, what: string) => {
      const b = slice(r, what, e.name);
      if (b.byteLength === 0 || b.byteLength % 4) throw new UserError(`weight ${e.name}: ${what} section of ${b.byteLength} bytes is not a list of 4-byte values`, file);
      return b.buffer;
    };
    const scales = new Float32Array(words(e.scales, 'scales'));
    const q: QuantizedTensor = {
      spec: e.spec!,
      shape: e.shape,
      codes,
      scales,
      zeroPoints: e.kind === 'affine' && e.zeroPoints ? new Int32Array(words(e.zeroPoints, 'zero points')) : new Int32Array(scales.length),
      codebook: e.kind === 'codebook' ? new Float32Array(words(e.codebook, 'codebook')) : undefined,
      levels: e.levels ?? 0,
    };
    try {
      return { entry: e, values: dequantize(q), q };
    } catch (err) {
      // a spec the quantizer does not know (method, axis, levels) is a corrupt header
      throw new UserError(`weight ${e.name}: cannot decode its codes (${flat(err, 120)})`, file);
    }
  });
  return { file, header, tensors };
}

/** Rebuilds the runnable tfjs model from a packed file. */
async function packedModel(path: string): Promise<{ model: tf.LayersModel; header: PackedHeader; tensors: PackedTensor[] }> {
  const { file, header, tensors } = readPacked(path);
  checkLayersTopology(header.modelTopology, file);
  const byName = new Map(tensors.map((t) => [t.entry.name, t]));
  const specs: tf.io.WeightsManifestEntry[] = [];
  const parts: Float32Array[] = [];
  for (const name of header.weightOrder) {
    const t = byName.get(name);
    if (!t) throw new UserError(`weight ${name} is missing from the packed file`, file);
    specs.push({ name, shape: t.entry.shape, dtype: 'float32' });
    parts.push(t.values);
  }
  const all = concatArrays(Float32Array, parts);
  try {
    const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: header.modelTopology as object, weightSpecs: specs, weightData: all.buffer }), { strict: true });
    return { model, header, tensors };
  } catch (e) {
    throw new UserError(`cannot build the model from the packed file: ${flat(e)}`, file);
  }
}

/** The LayerLens packed format (.llpk): real b-bit codes; read back into a runnable layers model. */
export const packedFormat: FormatModule = {
  name: 'packed',
  target: 'packed',
  match(file) {
    if (extname(file).toLowerCase() === '.llpk') return true;
    try {
      if (!existsSync(file) || !statSync(file).isFile()) return false;
      const fd = openSync(file, 'r');
      const b = Buffer.alloc(4);
      readSync(fd, b, 0, 4, 0);
      closeSync(fd);
      return b.toString('latin1') === PACKED_MAGIC;
    } catch {
      return false;
    }
  },
  async load({ file, ref, name }) {
    const p = await packedModel(file);
    return wrapLayersModel(p.model, { ref, name, format: 'tfjs-layers', path: resolve(file), metadata: p.header.metadata });
  },
  canWrite: (plan) => !!plan.model,
  async write(s, dir, opts) {
    mkdirSync(dir, { recursive: true });
    const w = await writePacked(s.plan, join(dir, 'model.llpk'), opts.metadata);
    return { files: [w.file], bytes: w.layerBytes, data: w.layerData, storage: new Map(), flags: new Map(), extra: w.file };
  },
  async verify(s, w, _dir, ctx) {
    ctx.progress({ fraction: 0.5, stage: 'reloading with the packed reader' });
    const { model, tensors } = await packedModel(w.extra as string);
    try {
      const byName = new Map(tensors.map((t) => [t.entry.name, t]));
      const errors = new Map<string, number>();
      for (const l of s.plan.layers) {
        let e = 0;
        l.weights.forEach((wt, i) => {
          const t = byName.get(wt.name);
          e = Math.max(e, t ? maxAbs(wt.values, t.values) : Infinity);
          // exact round trip: the codes themselves must come back
          if (i === l.main && l.q && t?.q && maxAbs(l.q.codes, t.q.codes) !== 0) e = Infinity;
        });
        errors.set(l.name, e);
        if (l.main >= 0) w.storage.set(l.name, l.q ? `${byName.get(l.weights[l.main].name)?.entry.bits ?? l.bits}-bit ${l.q.codebook ? 'codebook' : 'affine'}` : 'float32');
      }
      const reloaded = await predictAll(s.evalSet.x, s.evalSet.n, s.evalSet.shape, tfPredictor(model, s.evalSet.shape), ctx, s.evalSet.batch);
      return { errors, reloaded, runtime: 'layerlens packed reader' };
    } finally {
      model.dispose();
    }
  },
};
