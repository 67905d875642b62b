// How a model's weights are stored on disk, with the first few stored codes beside the values they decode to:
// tfjs manifests (float16, affine uint8/uint16: value = code·scale + min), ONNX initializers (DequantizeLinear
// codes), and our packed files.
import { extname, resolve } from 'node:path';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { entryBytes, readTfjsFile } from '../formats/tfjs-weights';
import { DT_NAME, constantValues, dimsOf, readOnnxFile, tensorPayloadBytes, tensorValues, halfToFloat } from '../formats/onnx';
import { readPacked } from '../formats/packed';
import { resolveModelRef } from '../models/io';
import type { StorageWeight } from '../../shared/api-export';

export function readStorage(ref: string, limit = 8): { model: string; format: string; weights: StorageWeight[] } {
  let file: string;
  if (extname(ref).toLowerCase() === '.llpk') file = resolve(ref);
  else if (existsSync(ref) && statSync(ref).isDirectory() && existsSync(join(ref, 'model.llpk'))) file = join(resolve(ref), 'model.llpk');
  else file = resolveModelRef(ref).file;
  const ext = extname(file).toLowerCase();
  const weights: StorageWeight[] = [];
  if (ext === '.llpk') {
    const p = readPacked(file);
    for (const t of p.tensors) {
      const e = t.entry;
      weights.push({
        name: e.name,
        shape: e.shape,
        dtype: 'float32',
        storage: e.kind === 'float32' ? 'float32' : `${e.bits}-bit ${e.kind}`,
        bytes: (e.data[1] ?? 0) + (e.scales?.[1] ?? 0) + (e.zeroPoints?.[1] ?? 0) + (e.codebook?.[1] ?? 0),
        ...(t.q ? { codes: Array.from(t.q.codes.subarray(0, limit)), scale: t.q.scales[0] } : {}),
        values: Array.from(t.values.subarray(0, limit)),
      });
    }
    return { model: file, format: 'packed', weights };
  }
  if (ext === '.onnx') {
    const f = readOnnxFile(file);
    const consts = constantValues(f.model, file);
    const inits = new Map((f.model.graph?.initializer ?? []).map((t) => [t.name ?? '', t]));
    const dqOf = new Set<string>();
    for (const n of f.model.graph?.node ?? []) {
      if (n.opType !== 'DequantizeLinear') continue;
      const [q, s, z] = n.input ?? [];
      const qt = inits.get(q);
      if (!qt) continue;
      [q, s, z].forEach((x) => x && dqOf.add(x));
      const scale = consts.get(s)?.values[0];
      weights.push({
        name: n.output?.[0] ?? q,
        shape: dimsOf(qt),
        dtype: 'float32',
        storage: DT_NAME[qt.dataType ?? 0] ?? String(qt.dataType),
        scale,
        bytes: [q, s, z].reduce((a, x) => a + (x && inits.has(x) ? tensorPayloadBytes(inits.get(x)!) : 0), 0),
        codes: Array.from(tensorValues(qt, file).subarray(0, limit)),
        values: Array.from((consts.get(n.output?.[0] ?? '')?.values ?? new Float32Array(0)).subarray(0, limit)),
      });
    }
    for (const [name, t] of inits) {
      if (dqOf.has(name)) continue;
      weights.push({ name, shape: dimsOf(t), dtype: DT_NAME[t.dataType ?? 0] ?? '?', storage: DT_NAME[t.dataType ?? 0] ?? '?', bytes: tensorPayloadBytes(t), values: Array.from((consts.get(name)?.values ?? new Float32Array(0)).subarray(0, limit)) });
    }
    return { model: file, format: 'onnx', weights };
  }
  const f = readTfjsFile(file);
  const view = new DataView(f.weightData);
  let o = 0;
  for (const e of f.specs) {
    const bytes = entryBytes(e) ?? 0;
    const q = e.quantization;
    const n = Math.min(limit, e.shape.reduce((a, b) => a * b, 1));
    const codes: number[] = [];
    const values: number[] = [];
    for (let i = 0; i < n; i++) {
      if (q?.dtype === 'uint8' || q?.dtype === 'uint16') {
        const c = q.dtype === 'uint8' ? view.getUint8(o + i) : view.getUint16(o + 2 * i, true);
        codes.push(c);
        values.push(c * (q.scale ?? 1) + (q.min ?? 0));
      } else if (q?.dtype === 'float16') {
        const h = view.getUint16(o + 2 * i, true);
        codes.push(h);
        values.push(halfToFloat(h));
      } else if (e.dtype === 'float32') values.push(view.getFloat32(o + 4 * i, true));
      else if (e.dtype === 'int32') values.push(view.getInt32(o + 4 * i, true));
    }
    weights.push({ name: e.name, shape: e.shape, dtype: e.dtype, storage: q?.dtype ?? e.dtype, scale: q?.scale, min: q?.min, bytes, ...(q ? { codes } : {}), values });
    o += bytes;
  }
  return { model: file, format: f.format, weights };
}
