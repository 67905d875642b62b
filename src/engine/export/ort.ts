// ONNX Runtime (onnxruntime-node) behind two small functions, loaded on first use so hosts that never touch
// ONNX do not pay for the native module.
import type * as Ort from 'onnxruntime-node';
import { UserError } from '../core/errors';
import type * as tf from '../backend/tf';
import { flat } from '../formats/tfjs-weights';
import { exportOnnx } from '../formats/onnx/export';
import { encodeModel } from '../formats/onnx/proto';
import type { PlanLayer } from './plan';
import { makeRng } from '../core/random';

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

/** A float export plan straight from a layers model's current weights (every layer stays float). */
function floatPlan(model: tf.LayersModel): PlanLayer[] {
  return model.layers
    .filter((l) => l.weights.length > 0)
    .map((l) => {
      const weights = l.weights.map((w) => {
        const v = Float32Array.from(w.read().dataSync());
        return { name: w.name, shape: [...w.shape] as number[], values: v, original: v };
      });
      return { name: l.name, kind: l.getClassName(), weights, main: weights.findIndex((w) => /(^|\/)(kernel|depthwise_kernel)(_\d+)?$/.test(w.name)), bits: 32 };
    });
}

/** A session over the in-memory float ONNX of a layers model with its current weights. */
export async function layersSession(model: tf.LayersModel, where: string): Promise<Ort.InferenceSession> {
  return ortSession(encodeModel(exportOnnx(model, floatPlan(model), 'float').model), where);
}

/** Which path evaluated a result, and why ONNX Runtime was not used where it was asked for. */
export interface EvaluatorPick {
  evaluator: 'tfjs' | 'ort';
  /** the session (ort only); the caller releases it */
  session?: Ort.InferenceSession;
  note?: string;
}

const median3 = async (f: () => Promise<unknown>): Promise<number> => {
  const t: number[] = [];
  for (let i = 0; i < 3; i++) {
    const s = performance.now();
    await f();
    t.push(performance.now() - s);
  }
  return t.sort((a, b) => a - b)[1];
};

/**
 * Picks tfjs or ONNX Runtime for one run. `auto` times one seeded batch of `dims` through both (after a warm-up)
 * and keeps the faster; with `perCall` the ONNX Runtime side also pays the export and session creation (what a
 * caller that re-exports per candidate pays). A model ONNX export cannot write falls back to tfjs with the reason.
 */
export async function pickEvaluator(
  want: 'auto' | 'tfjs' | 'ort',
  model: tf.LayersModel | undefined,
  dims: number[],
  tfjsPredict: (x: Float32Array, dims: number[]) => Float32Array,
  where: string,
  perCall = false,
): Promise<EvaluatorPick> {
  if (want === 'tfjs') return { evaluator: 'tfjs' };
  if (!model) return { evaluator: 'tfjs', note: 'ONNX Runtime not used: the model is not a tfjs layers model' };
  let session: Ort.InferenceSession;
  try {
    session = await layersSession(model, where);
  } catch (e) {
    return { evaluator: 'tfjs', note: `ONNX Runtime not used: ${flat(e, 200)}` };
  }
  if (want === 'ort') return { evaluator: 'ort', session };
  const rng = makeRng(7);
  const x = Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => rng());
  tfjsPredict(x, dims);
  await ortPredict(session, x, dims);
  const tTf = await median3(async () => tfjsPredict(x, dims));
  const tOrt = await median3(async () => {
    if (perCall) await (await layersSession(model, where)).release();
    await ortPredict(session, x, dims);
  });
  const note = `auto: tfjs ${tTf.toFixed(1)} ms, ONNX Runtime ${tOrt.toFixed(1)} ms per batch of ${dims[0]}${perCall ? ' (incl. export per candidate)' : ''}`;
  if (tOrt < tTf) return { evaluator: 'ort', session, note };
  await session.release();
  return { evaluator: 'tfjs', note };
}
