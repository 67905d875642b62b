// The ONNX format: `.onnx` files (protobuf ModelProto). Read by converting the graph to a tfjs layers model
// (import.ts) with ONNX Runtime kept for evaluating the file itself (load.ts); written from a plan's layers
// model as QDQ (export.ts) and verified by reloading with ONNX Runtime.
import { closeSync, existsSync, mkdirSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { FormatModule } from '../format';
import type { RunContext } from '../../core/context';
import { planLayersModel } from '../../export/plan';
import { maxAbs, predictAll, type ExportSession, type Verified, type Written } from '../../export/verify';
import { ortRunAll, ortSession } from '../../export/ort';
import { constantValues, encodeModel, readOnnxFile, tensorPayloadBytes } from './proto';
import { exportOnnx } from './export';
import { loadOnnxModel } from './load';

export * from './proto';
export { exportOnnx } from './export';

/** A ModelProto starts with field 1 (ir_version, varint): tag byte 0x08. */
function looksLikeOnnx(file: string): boolean {
  if (extname(file).toLowerCase() === '.onnx') return true;
  try {
    if (!existsSync(file) || !statSync(file).isFile()) return false;
    const fd = openSync(file, 'r');
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, 0);
    closeSync(fd);
    return b[0] === 0x08 && extname(file).toLowerCase() !== '.json';
  } catch {
    return false;
  }
}

export interface OnnxWritten {
  file: string;
  expected: { layer: string; tensor: string; values: Float32Array }[];
  /** weights to apply before comparing (AIMET encodings), by tensor name */
  transform?: (tensor: string, v: Float32Array) => Float32Array;
}

/** Writes model.onnx from the plan: QDQ for the onnx target, float (simulated values) for aimet. */
export function writeOnnxFile(s: ExportSession, dir: string, mode: 'qdq' | 'float', metadata: Record<string, unknown>): Written & { extra: OnnxWritten } {
  const names = s.plan.source.outputs.map((o) => o.name);
  const ex = exportOnnx(planLayersModel(s.plan, 'ONNX export'), s.plan.layers, mode, { 'layerlens.metadata': JSON.stringify(metadata) }, names);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'model.onnx');
  const bytesOut = encodeModel(ex.model);
  writeFileSync(file, bytesOut);
  // per-layer bytes from the initializers each layer owns
  const byName = new Map((ex.model.graph?.initializer ?? []).map((t) => [t.name ?? '', t]));
  const bytes = new Map<string, number>();
  const data = new Map<string, Uint8Array[]>();
  for (const [layer, names] of ex.inits) {
    for (const n of names) {
      const t = byName.get(n);
      if (!t) continue;
      bytes.set(layer, (bytes.get(layer) ?? 0) + tensorPayloadBytes(t as never));
      data.set(layer, [...(data.get(layer) ?? []), (t.rawData as Uint8Array | null | undefined) ?? new Uint8Array(0)]);
    }
  }
  return { files: [file], bytes, data, storage: ex.storage, flags: ex.flags, extra: { file, expected: ex.expected } };
}

/** Reloads model.onnx: the protobuf package for the weights, ONNX Runtime for the outputs. */
export async function verifyOnnxFile(s: ExportSession, w: Written, ctx: RunContext): Promise<Verified> {
  const x = w.extra as OnnxWritten;
  ctx.progress({ fraction: 0.5, stage: 'reloading with ONNX Runtime' });
  const back = readOnnxFile(x.file);
  const consts = constantValues(back.model, x.file);
  const errors = new Map<string, number>();
  for (const e of x.expected) {
    const got = consts.get(e.tensor);
    const v = got ? (x.transform ? x.transform(e.tensor, got.values) : got.values) : undefined;
    errors.set(e.layer, Math.max(errors.get(e.layer) ?? 0, v ? maxAbs(e.values, v) : Infinity));
  }
  const session = await ortSession(back.bytes, x.file);
  try {
    const run = async (xb: Float32Array, b: number) => {
      const r = await ortRunAll(session, xb, [b, ...s.evalSet.shape]);
      return session.outputNames.map((k) => r[k].data);
    };
    const reloaded = await predictAll(s.evalSet.x, s.evalSet.n, s.evalSet.shape, run, ctx, s.evalSet.batch);
    return { errors, reloaded, runtime: 'onnxruntime-node' };
  } finally {
    await session.release();
  }
}

export const onnxFormat: FormatModule = {
  name: 'onnx',
  target: 'onnx',
  match: looksLikeOnnx,
  load: ({ file, ref, name }) => loadOnnxModel(file, ref, name),
  canWrite: (plan) => !!plan.model,
  write: async (s, dir, opts) => writeOnnxFile(s, dir, 'qdq', opts.metadata),
  verify: (s, w, _dir, ctx) => verifyOnnxFile(s, w, ctx),
};
