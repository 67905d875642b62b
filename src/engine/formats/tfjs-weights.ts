// The part both tfjs formats share: model.json + a weights manifest + binary shards. Every check here throws a
// one-line UserError that names the offending file, before tfjs sees the data (its own errors are multi-line
// and do not say which file is wrong).
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import * as tf from '../backend/tf';
import { UserError } from '../core/errors';
import { concatArrays } from '../core/arrays';

export type TfjsFormat = 'tfjs-layers' | 'tfjs-graph';

export interface TfjsFile {
  /** absolute path of model.json */
  file: string;
  format: TfjsFormat;
  json: Record<string, unknown>;
  specs: tf.io.WeightsManifestEntry[];
  /** all shards of all groups, concatenated in manifest order */
  weightData: ArrayBuffer;
  artifacts: tf.io.ModelArtifacts;
}

/** One line, bounded: for error text that came from elsewhere. */
export function flat(text: unknown, max = 300): string {
  const s = String(text instanceof Error ? text.message : text).replace(/\s+/g, ' ').trim();
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

export const shapeText = (s: readonly (number | null)[]) => `[${s.map((d) => d ?? '?').join(',')}]`;

const plainBytes: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8 };
const quantBytes: Record<string, number> = { uint8: 1, uint16: 2, float16: 2 };

/** Bytes of one manifest entry, or null for strings (variable length). */
export function entryBytes(e: tf.io.WeightsManifestEntry): number | null {
  const n = e.shape.reduce((a, b) => a * b, 1);
  if (e.quantization) return n * quantBytes[e.quantization.dtype];
  if (e.dtype === 'string') return null;
  return n * plainBytes[e.dtype];
}

/** Which tfjs format a parsed model.json is, or null when it is neither. */
export function detectTfjsFormat(json: unknown): TfjsFormat | null {
  if (!json || typeof json !== 'object' || Array.isArray(json)) return null;
  const j = json as Record<string, unknown>;
  const topo = j.modelTopology as Record<string, unknown> | undefined;
  if (j.format === 'graph-model') return 'tfjs-graph';
  if (j.format === 'layers-model') return 'tfjs-layers';
  if (topo && typeof topo === 'object') {
    if (Array.isArray(topo.node)) return 'tfjs-graph';
    if ('class_name' in topo || 'model_config' in topo || 'keras_version' in topo) return 'tfjs-layers';
  }
  return null;
}

/** Reads and parses model.json, checking that it exists, is JSON and is a tfjs model. */
function readModelJson(file: string): { json: Record<string, unknown>; format: TfjsFormat } {
  if (!existsSync(file)) throw new UserError('model file not found', file);
  if (statSync(file).isDirectory()) throw new UserError('is a folder, not a model.json file', file);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError(`not valid JSON (${flat(e, 160)})`, file);
  }
  const format = detectTfjsFormat(json);
  if (!format) throw new UserError('not a TensorFlow.js model (no modelTopology or format)', file);
  const j = json as Record<string, unknown>;
  if (!j.modelTopology || typeof j.modelTopology !== 'object')
    {throw new UserError(`not a TensorFlow.js ${format === 'tfjs-graph' ? 'graph' : 'layers'} model (modelTopology is missing)`, file);}
  return { json: j, format };
}

/** Non-negative integer dims whose product is exact (2^31 × 2^31 passes, so the byte count can refuse it). */
export const isDims = (s: unknown): s is number[] =>
  Array.isArray(s) && s.every((d) => Number.isInteger(d) && d >= 0) && Number.isSafeInteger(s.reduce((a: number, b: number) => a * b, 1));

/** The manifest, checked entry by entry. */
function readManifest(file: string, json: Record<string, unknown>): tf.io.WeightsManifestConfig {
  const m = json.weightsManifest;
  if (m === undefined) return [];
  if (!Array.isArray(m)) throw new UserError('weightsManifest is not a list', file);
  m.forEach((g: unknown, gi) => {
    const group = g as { paths?: unknown; weights?: unknown };
    if (!group || !Array.isArray(group.paths) || !group.paths.every((p) => typeof p === 'string' && p.length > 0))
      {throw new UserError(`weightsManifest[${gi}].paths is not a list of file names`, file);}
    if (!Array.isArray(group.weights)) throw new UserError(`weightsManifest[${gi}].weights is not a list`, file);
    group.weights.forEach((w: unknown, wi) => {
      const e = w as Partial<tf.io.WeightsManifestEntry>;
      const where = `weightsManifest[${gi}].weights[${wi}]`;
      if (!e || typeof e.name !== 'string') throw new UserError(`${where} has no name`, file);
      if (!isDims(e.shape)) throw new UserError(`weight ${e.name} has an invalid shape ${flat(JSON.stringify(e.shape), 80)}`, file);
      if (e.quantization) {
        const q = e.quantization;
        if (!(q.dtype in quantBytes)) throw new UserError(`weight ${e.name} has unsupported quantization dtype "${flat(q.dtype, 40)}"`, file);
        if (q.dtype !== 'float16' && !(Number.isFinite(q.scale) && Number.isFinite(q.min)))
          {throw new UserError(`weight ${e.name}: ${q.dtype} quantization needs a finite scale and min`, file);}
      } else if (!(typeof e.dtype === 'string' && (e.dtype in plainBytes || e.dtype === 'string'))) {
        throw new UserError(`weight ${e.name} has unsupported dtype "${flat(e.dtype, 40)}"`, file);
      }
    });
  });
  return m as tf.io.WeightsManifestConfig;
}

/** Reads every shard, checking that each exists and that each group holds exactly the bytes its entries need. */
function readShards(file: string, manifest: tf.io.WeightsManifestConfig): { specs: tf.io.WeightsManifestEntry[]; data: ArrayBuffer } {
  const dir = dirname(file);
  const parts: Uint8Array[] = [];
  const specs: tf.io.WeightsManifestEntry[] = [];
  for (const group of manifest) {
    let held = 0;
    const paths = group.paths.map((p) => resolve(dir, decodeURIComponent(p)));
    for (const p of paths) {
      if (!existsSync(p) || !statSync(p).isFile()) throw new UserError(`weight shard is missing (listed in ${file})`, p);
      const buf = readFileSync(p);
      parts.push(buf);
      held += buf.byteLength;
    }
    const sizes = group.weights.map(entryBytes);
    const need = sizes.reduce<number>((a, b) => a + (b ?? 0), 0);
    const variable = sizes.some((s) => s === null);
    const last = paths[paths.length - 1] ?? file;
    if (held < need) throw new UserError(`weight shard is truncated: holds ${held} bytes, the manifest in ${file} needs ${need}`, last);
    if (held > need && !variable) throw new UserError(`weight shard holds ${held} bytes, more than the ${need} the manifest in ${file} lists`, last);
    specs.push(...group.weights);
  }
  return { specs, data: concatArrays(Uint8Array, parts).buffer };
}

/** NaN or ±Inf in float weights (float32 or float16 storage) is a broken file, not a model to analyse. */
export function checkFinite(file: string, specs: tf.io.WeightsManifestEntry[], data: ArrayBuffer): void {
  const view = new DataView(data);
  let o = 0;
  for (const e of specs) {
    const bytes = entryBytes(e);
    if (bytes === null) return; // offsets after a string weight are unknown; tfjs decodes those itself
    const q = e.quantization?.dtype;
    if (!q && e.dtype === 'float32') {
      for (let i = o; i < o + bytes; i += 4) {
        const v = view.getFloat32(i, true);
        if (!Number.isFinite(v)) throw new UserError(`weight ${e.name} contains ${Number.isNaN(v) ? 'NaN' : 'Inf'}`, file);
      }
    } else if (q === 'float16') {
      for (let i = o; i < o + bytes; i += 2) {
        const h = view.getUint16(i, true);
        if ((h & 0x7c00) === 0x7c00) throw new UserError(`weight ${e.name} contains ${h & 0x03ff ? 'NaN' : 'Inf'}`, file);
      }
    }
    o += bytes;
  }
}

/** model.json + shards → checked ModelArtifacts ready for tf.io.fromMemory. */
export function readTfjsFile(path: string): TfjsFile {
  const file = resolve(path);
  const { json, format } = readModelJson(file);
  const manifest = readManifest(file, json);
  const { specs, data } = readShards(file, manifest);
  checkFinite(file, specs, data);
  const artifacts = tf.io.getModelArtifactsForJSONSync(json as unknown as tf.io.ModelJSON, specs, data);
  return { file, format, json, specs, weightData: data, artifacts };
}

/** Writes `data` next to `file` under a temporary name, flushed to disk; the caller renames it into place. */
export function stageFile(file: string, data: string | Uint8Array): string {
  const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  try {
    const fd = openSync(tmp, 'w');
    try {
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      let off = 0;
      while (off < bytes.byteLength) off += writeSync(fd, bytes, off, bytes.byteLength - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    return tmp;
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Which tfjs format a file is, by its JSON; null for anything else (not JSON, missing, a folder). */
export function sniffTfjsFormat(file: string): TfjsFormat | null {
  try {
    if (!existsSync(file) || !statSync(file).isFile()) return null;
    // look at the head first: a weight shard or an .onnx file is not read whole just to be turned down
    const fd = openSync(file, 'r');
    const head = Buffer.alloc(64);
    const got = readSync(fd, head, 0, 64, 0);
    closeSync(fd);
    const start = head.subarray(0, got).toString('utf8').trimStart();
    if (start && !start.startsWith('{')) return null;
    return detectTfjsFormat(JSON.parse(readFileSync(file, 'utf8')));
  } catch {
    return null;
  }
}
