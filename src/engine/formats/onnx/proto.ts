// ONNX files: read and write ModelProto with the onnx-proto package (protobufjs static code), plus the tensor
// helpers both directions share: typed data of an initializer (int4/uint4 packed two per byte, low nibble
// first), DequantizeLinear of constant initializers, one-line errors naming the file.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import onnxProto from 'onnx-proto';
import { UserError } from '../../core/errors';
import { flat } from '../tfjs-weights';

const onnx = onnxProto.onnx;
export type ModelProto = onnxProto.onnx.ModelProto;
export type TensorProto = onnxProto.onnx.ITensorProto;
export type NodeProto = onnxProto.onnx.INodeProto;
export type AttributeProto = onnxProto.onnx.IAttributeProto;

/**
 * TensorProto.DataType codes. onnx-proto 8 ships the IR of ONNX 1.10, whose enum stops at BFLOAT16; the field
 * is a plain int32 on the wire, so the opset-21 types (UINT4 21, INT4 22) are written as numbers.
 */
export const DT = { FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, FLOAT16: 10, DOUBLE: 11, UINT4: 21, INT4: 22 } as const;
export const DT_NAME: Record<number, string> = Object.fromEntries(Object.entries(DT).map(([k, v]) => [v, k.toLowerCase()]));

/** ONNX attribute types used here. */
const AT = { FLOAT: 1, INT: 2, STRING: 3, INTS: 7 } as const;

export const prod = (a: readonly number[]) => a.reduce((x, y) => x * y, 1);
const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v as { toString(): string }));

/** Payload bytes of an integer container holding `n` elements. */
function containerBytes(dt: number, n: number): number {
  switch (dt) {
    case DT.INT4:
    case DT.UINT4:
      return Math.ceil(n / 2);
    case DT.INT8:
    case DT.UINT8:
      return n;
    case DT.INT16:
    case DT.UINT16:
    case DT.FLOAT16:
      return 2 * n;
    case DT.INT64:
    case DT.DOUBLE:
      return 8 * n;
    default:
      return 4 * n;
  }
}

/** The smallest opset-21 integer container for codes in [lo, hi] (both the codes and the zero points). */
export function chooseContainer(lo: number, hi: number): number {
  if (lo >= -8 && hi <= 7) return DT.INT4;
  if (lo >= 0 && hi <= 15) return DT.UINT4;
  if (lo >= -128 && hi <= 127) return DT.INT8;
  if (lo >= 0 && hi <= 255) return DT.UINT8;
  if (lo >= -32768 && hi <= 32767) return DT.INT16;
  if (lo >= 0 && hi <= 65535) return DT.UINT16;
  throw new Error(`codes ${lo}..${hi} fit no ONNX integer container`);
}

/** Integer codes → raw little-endian bytes of `dt`; int4/uint4 two per byte, lower index in the low nibble. */
export function packInts(codes: ArrayLike<number>, dt: number): Uint8Array {
  const n = codes.length;
  const out = new Uint8Array(containerBytes(dt, n));
  if (dt === DT.INT4 || dt === DT.UINT4) {
    for (let i = 0; i < n; i++) out[i >> 1] |= (codes[i] & 0xf) << ((i & 1) * 4);
    return out;
  }
  const view = new DataView(out.buffer);
  for (let i = 0; i < n; i++) {
    const c = codes[i];
    if (dt === DT.INT8) view.setInt8(i, c);
    else if (dt === DT.UINT8) view.setUint8(i, c);
    else if (dt === DT.INT16) view.setInt16(2 * i, c, true);
    else if (dt === DT.UINT16) view.setUint16(2 * i, c, true);
    else view.setInt32(4 * i, c, true);
  }
  return out;
}

export function unpackInts(raw: Uint8Array, dt: number, n: number): Int32Array {
  const out = new Int32Array(n);
  if (raw.byteLength < containerBytes(dt, n)) throw new Error(`holds ${raw.byteLength} bytes, needs ${containerBytes(dt, n)}`);
  if (dt === DT.INT4 || dt === DT.UINT4) {
    for (let i = 0; i < n; i++) {
      const nib = (raw[i >> 1] >> ((i & 1) * 4)) & 0xf;
      out[i] = dt === DT.INT4 && nib > 7 ? nib - 16 : nib;
    }
    return out;
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  for (let i = 0; i < n; i++) {
    if (dt === DT.INT8) out[i] = view.getInt8(i);
    else if (dt === DT.UINT8) out[i] = view.getUint8(i);
    else if (dt === DT.INT16) out[i] = view.getInt16(2 * i, true);
    else if (dt === DT.UINT16) out[i] = view.getUint16(2 * i, true);
    else if (dt === DT.INT64) out[i] = Number(view.getBigInt64(8 * i, true));
    else out[i] = view.getInt32(4 * i, true);
  }
  return out;
}

export function floatTensor(name: string, dims: readonly number[], values: Float32Array): TensorProto {
  return { name, dims: [...dims], dataType: DT.FLOAT, rawData: new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)) };
}
export function intTensor(name: string, dims: readonly number[], codes: ArrayLike<number>, dt: number): TensorProto {
  return { name, dims: [...dims], dataType: dt, rawData: packInts(codes, dt) };
}
export function int64Tensor(name: string, values: readonly number[]): TensorProto {
  const raw = new Uint8Array(8 * values.length);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setBigInt64(8 * i, BigInt(v), true));
  return { name, dims: [values.length], dataType: DT.INT64, rawData: raw };
}

/** Bytes an initializer occupies as payload (raw data or typed fields). */
export function tensorPayloadBytes(t: TensorProto): number {
  if (t.rawData && t.rawData.length) return t.rawData.length;
  const n = prod((t.dims ?? []).map(num));
  return containerBytes(t.dataType ?? 0, n);
}

export function dimsOf(t: TensorProto): number[] {
  return (t.dims ?? []).map(num);
}

/** Numeric values of an initializer as float64 (ints stay exact). */
export function tensorValues(t: TensorProto, where: string): Float64Array | Int32Array | Float32Array {
  const dims = dimsOf(t);
  const n = prod(dims);
  const dt = t.dataType ?? 0;
  const raw = t.rawData && t.rawData.length ? t.rawData : null;
  try {
    if (dt === DT.FLOAT) {
      if (raw) {
        if (raw.byteLength < 4 * n) throw new Error(`holds ${raw.byteLength} bytes, needs ${4 * n}`);
        return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + 4 * n));
      }
      const f = Float32Array.from(t.floatData ?? []);
      if (f.length !== n) throw new Error(`holds ${f.length} floats, needs ${n}`);
      return f;
    }
    if (dt === DT.DOUBLE) {
      if (raw) return Float64Array.from(new Float64Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + 8 * n)));
      return Float64Array.from(t.doubleData ?? []);
    }
    if (dt === DT.INT64) {
      if (raw) return unpackInts(raw, dt, n);
      return Int32Array.from((t.int64Data ?? []).map(num));
    }
    if (dt === DT.FLOAT16) {
      const bits = raw ? unpackInts(raw, DT.UINT16, n) : Int32Array.from(t.int32Data ?? []);
      return Float32Array.from(bits, halfToFloat);
    }
    if ([DT.INT4, DT.UINT4, DT.INT8, DT.UINT8, DT.INT16, DT.UINT16, DT.INT32].includes(dt as never)) {
      if (raw) return unpackInts(raw, dt, n);
      // typed storage: int32_data holds one (or, for 4-bit, two packed) element per entry
      const d = Int32Array.from(t.int32Data ?? []);
      if (dt === DT.INT4 || dt === DT.UINT4) return unpackInts(Uint8Array.from(d), dt, n);
      if (d.length !== n) throw new Error(`holds ${d.length} values, needs ${n}`);
      return d;
    }
  } catch (e) {
    throw new UserError(`initializer ${t.name} is truncated or malformed: ${flat(e, 120)}`, where);
  }
  throw new UserError(`initializer ${t.name} has unsupported data type ${DT_NAME[dt] ?? dt}`, where);
}

/** IEEE half → float. */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

function attr(node: NodeProto, name: string): AttributeProto | undefined {
  return (node.attribute ?? []).find((a) => a.name === name);
}
export function attrInt(node: NodeProto, name: string, dflt: number): number {
  const a = attr(node, name);
  return a?.i !== undefined && a.i !== null ? num(a.i) : dflt;
}
export function attrFloat(node: NodeProto, name: string, dflt: number): number {
  const a = attr(node, name);
  return a?.f !== undefined && a.f !== null ? a.f : dflt;
}
export function attrInts(node: NodeProto, name: string): number[] | undefined {
  const a = attr(node, name);
  return a?.ints && a.ints.length ? a.ints.map(num) : undefined;
}
export function attrString(node: NodeProto, name: string): string | undefined {
  const a = attr(node, name);
  return a?.s && a.s.length ? new TextDecoder().decode(a.s) : undefined;
}
export const intAttr = (name: string, i: number): AttributeProto => ({ name, type: AT.INT, i });
export const floatAttr = (name: string, f: number): AttributeProto => ({ name, type: AT.FLOAT, f });
export const intsAttr = (name: string, ints: number[]): AttributeProto => ({ name, type: AT.INTS, ints });
export const stringAttr = (name: string, s: string): AttributeProto => ({ name, type: AT.STRING, s: new TextEncoder().encode(s) });

export function encodeModel(model: onnxProto.onnx.IModelProto): Uint8Array {
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

/** Decodes bytes as a ModelProto, turning protobuf's errors (truncation, bad wire types) into one line. */
export function decodeModel(bytes: Uint8Array, where: string): ModelProto {
  let m: ModelProto;
  try {
    m = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new UserError(`not a valid ONNX file (truncated or corrupt protobuf: ${flat(e, 120)})`, where);
  }
  if (!m.graph || !(m.graph.node ?? []).length) throw new UserError('not a valid ONNX file (no graph nodes)', where);
  if (!(m.opsetImport ?? []).length) throw new UserError('not a valid ONNX file (no opset_import)', where);
  return m;
}

export function readOnnxFile(path: string): { file: string; bytes: Uint8Array; model: ModelProto } {
  const file = resolve(path);
  if (!existsSync(file)) throw new UserError('ONNX model file not found', file);
  if (statSync(file).isDirectory()) throw new UserError('is a folder, not an .onnx file', file);
  const bytes = new Uint8Array(readFileSync(file));
  if (bytes.byteLength === 0) throw new UserError('not a valid ONNX file (empty)', file);
  return { file, bytes, model: decodeModel(bytes, file) };
}

/** The default-domain opset of a model. */
export function opsetOf(m: ModelProto): number {
  const o = (m.opsetImport ?? []).find((x) => !x.domain || x.domain === 'ai.onnx');
  return o ? num(o.version) : 0;
}

export function metadataOf(m: ModelProto): Record<string, string> {
  return Object.fromEntries((m.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? '']));
}

const constSourcesOf = new WeakMap<ModelProto, Map<string, Set<string>>>();

/** The initializers each constant-derived tensor comes from (after constantValues ran on the model). */
export function constSources(m: ModelProto): Map<string, Set<string>> {
  return constSourcesOf.get(m) ?? new Map();
}

/**
 * Every constant the graph holds as float values: initializers, Constant nodes, and DequantizeLinear of
 * constant integer inputs (how QDQ models store weights), applied with its axis. Keys are tensor names.
 */
export function constantValues(m: ModelProto, where: string): Map<string, { dims: number[]; values: Float32Array }> {
  const out = new Map<string, { dims: number[]; values: Float32Array }>();
  const sources = constSourcesOf.get(m) ?? new Map<string, Set<string>>();
  constSourcesOf.set(m, sources);
  for (const t of m.graph?.initializer ?? []) sources.set(t.name ?? '', new Set([t.name ?? '']));
  const ints = new Map<string, { dims: number[]; values: Int32Array | Float32Array | Float64Array; dt: number }>();
  const add = (t: TensorProto, name = t.name ?? '') => {
    const v = tensorValues(t, where);
    ints.set(name, { dims: dimsOf(t), values: v, dt: t.dataType ?? 0 });
    out.set(name, { dims: dimsOf(t), values: v instanceof Float32Array ? v : Float32Array.from(v) });
  };
  for (const t of m.graph?.initializer ?? []) add(t);
  for (const n of m.graph?.node ?? []) {
    if (n.opType === 'Constant') {
      const v = attr(n, 'value');
      if (v?.t) add(v.t, n.output?.[0] ?? '');
      continue;
    }
    for (const o of n.output ?? []) sources.set(o, new Set((n.input ?? []).flatMap((i) => [...(sources.get(i) ?? [])])));
    // the codebook decode path of our QDQ export (and simple constant folding of the same ops elsewhere)
    if (n.opType === 'Cast' || n.opType === 'Identity') {
      const a = out.get(n.input?.[0] ?? '');
      if (a) out.set(n.output?.[0] ?? '', a);
      continue;
    }
    if (n.opType === 'Add') {
      const a = out.get(n.input?.[0] ?? '');
      const b = out.get(n.input?.[1] ?? '');
      if (!a || !b) continue;
      const per = a.values.length / b.values.length;
      // b is a scalar, the same shape, or one value per leading-axis row
      if (!Number.isInteger(per)) continue;
      out.set(n.output?.[0] ?? '', { dims: a.dims, values: Float32Array.from(a.values, (v, i) => v + b.values[Math.floor(i / per)]) });
      continue;
    }
    if (n.opType === 'Gather') {
      const d = out.get(n.input?.[0] ?? '');
      const idx = out.get(n.input?.[1] ?? '');
      if (!d || !idx || d.dims.length !== 1) continue;
      const vals = new Float32Array(idx.values.length);
      for (let i = 0; i < vals.length; i++) {
        const k = idx.values[i];
        if (!(k >= 0 && k < d.values.length)) throw new UserError(`Gather ${n.name ?? ''}: index ${k} outside a codebook of ${d.values.length}`, where);
        vals[i] = d.values[k];
      }
      out.set(n.output?.[0] ?? '', { dims: idx.dims, values: vals });
      continue;
    }
    if (n.opType !== 'DequantizeLinear') continue;
    const [xq, xs, xz] = n.input ?? [];
    const q = ints.get(xq);
    const s = out.get(xs);
    if (!q || !s) continue;
    const z = xz ? ints.get(xz) : undefined;
    const perAxis = s.values.length > 1;
    let axis = attrInt(n, 'axis', 1);
    if (axis < 0) axis += q.dims.length;
    if (perAxis && q.dims[axis] !== s.values.length) {
      throw new UserError(`DequantizeLinear ${n.name ?? xq}: ${s.values.length} scales for axis ${axis} of size ${q.dims[axis]}`, where);
    }
    const inner = prod(q.dims.slice(axis + 1));
    const count = perAxis ? q.dims[axis] : 1;
    const vals = new Float32Array(q.values.length);
    for (let i = 0; i < vals.length; i++) {
      const c = perAxis ? Math.floor(i / inner) % count : 0;
      vals[i] = (q.values[i] - (z ? z.values[c] : 0)) * s.values[c];
    }
    out.set(n.output?.[0] ?? '', { dims: q.dims, values: vals });
  }
  // only tensors that are constants keep their sources (activations downstream of weights do not)
  for (const k of [...sources.keys()]) if (!out.has(k)) sources.delete(k);
  return out;
}
