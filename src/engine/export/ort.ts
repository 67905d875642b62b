// ONNX Runtime (onnxruntime-node) behind two small functions, loaded on first use so hosts that never touch
// ONNX do not pay for the native module.
import type * as Ort from 'onnxruntime-node';
import { UserError } from '../core/errors';
import { flat } from '../formats/tfjs-weights';

let ortModule: Promise<typeof Ort> | null = null;
function ort(): Promise<typeof Ort> {
  ortModule ??= import('onnxruntime-node');
  return ortModule;
}

/** A session over ONNX bytes; ORT's own load errors become one line naming the file. */
export async function ortSession(bytes: Uint8Array, where: string): Promise<Ort.InferenceSession> {
  const o = await ort();
  try {
    return await o.InferenceSession.create(bytes, { intraOpNumThreads: 2, graphOptimizationLevel: 'all' });
  } catch (e) {
    throw new UserError(`ONNX Runtime cannot load the model: ${flat(e, 200)}`, where);
  }
}

/** Runs the session's first input → first output on one float batch. */
export async function ortPredict(session: Ort.InferenceSession, x: Float32Array, dims: number[]): Promise<Float32Array> {
  const o = await ort();
  const feeds = { [session.inputNames[0]]: new o.Tensor('float32', Float32Array.from(x), dims) };
  const r = await session.run(feeds);
  const y = r[session.outputNames[0]];
  const d = Float32Array.from(y.data as Float32Array);
  for (const t of Object.values(r)) t.dispose?.();
  return d;
}

/** Runs the session's first input → every output, by name, with its dims. */
export async function ortRunAll(session: Ort.InferenceSession, x: Float32Array, dims: number[]): Promise<Record<string, { data: Float32Array; dims: number[] }>> {
  const o = await ort();
  const r = await session.run({ [session.inputNames[0]]: new o.Tensor('float32', Float32Array.from(x), dims) });
  const out: Record<string, { data: Float32Array; dims: number[] }> = {};
  for (const name of session.outputNames) out[name] = { data: Float32Array.from(r[name].data as Float32Array), dims: [...r[name].dims] };
  for (const t of Object.values(r)) t.dispose?.();
  return out;
}
