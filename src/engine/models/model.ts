// The one model shape every analysis sees, whatever the file was: tfjs layers, tfjs graph or ONNX. A model has
// named outputs, named weight tensors grouped into nodes with kinds (models/flops.ts's LayerCost), and can be run
// with some of its weights replaced (post-training quantization, sensitivity). Only retraining needs the
// trainable tfjs layers model behind it: `needsLayers` is the one place that says so.
import * as tf from '../backend/tf';
import { UserError } from '../core/errors';

export type ModelFormatName = 'tfjs-layers' | 'tfjs-graph' | 'builtin' | 'onnx';

export interface ModelOutput {
  name: string;
  /** with the batch dimension first (null when free) */
  shape: (number | null)[];
}

/** Something that maps an input batch to every output, named. */
export interface Runnable {
  outputs: ModelOutput[];
  /** every output, by name; the caller disposes them */
  predictAll(x: tf.Tensor): tf.NamedTensorMap;
  dispose(): void;
}

export interface LoadedModel {
  ref: string;
  name: string;
  format: ModelFormatName;
  /** with the batch dimension first (null when free) */
  inputShape: (number | null)[];
  /** every output of the model, in the file's order */
  outputs: ModelOutput[];
  layers?: tf.LayersModel;
  graph?: tf.GraphModel;
  /** the first output: what classification code paths read */
  predict(x: tf.Tensor): tf.Tensor;
  /** every output, by name (the caller disposes them) */
  predictAll(x: tf.Tensor): tf.NamedTensorMap;
  /**
   * Optional asynchronous evaluator that takes precedence for accuracy where present: ONNX models run in
   * ONNX Runtime (the file itself), while `predict`/`layers` is the converted tfjs model that inspection and
   * the other analyses use.
   */
  predictAsync?(x: tf.Tensor): Promise<tf.Tensor>;
  /** A runnable copy with the named weights (tfjs names, tfjs layout) replaced; the rest shared by value. */
  withWeights(values: Map<string, Float32Array>): Promise<Runnable>;
  dispose(): void;
  /** absolute path of model.json / model.onnx / model.llpk, when the model came from a file */
  path?: string;
  /** the file's own metadata (model.json userDefinedMetadata, ONNX metadata_props …) */
  metadata?: Record<string, unknown>;
}

/**
 * The trainable layers model, or one line saying that `what` needs one (it retrains, or rewrites layers) and
 * what works on this model instead. The model is disposed when it is refused, so callers can just throw.
 */
export function needsLayers(m: LoadedModel, what: string): tf.LayersModel {
  // an ONNX file is converted to a tfjs layers model on load, which retrains like any other
  if (m.layers) return m.layers;
  m.dispose();
  throw new UserError(`${what} needs a TensorFlow.js layers model; this is a ${m.format} model (ptq, inspect, spectrum and export work on it)`, m.path ?? m.ref);
}

/** Model outputs as a list, whatever tfjs returned. */
export function outputList(y: tf.Tensor | tf.Tensor[] | tf.NamedTensorMap): tf.Tensor[] {
  return y instanceof tf.Tensor ? [y] : Array.isArray(y) ? y : Object.values(y);
}

const shapeOf = (s: readonly (number | null)[] | undefined) => [...(s ?? [null])].map((d) => (d === null || d === undefined || d < 0 ? null : d));

/** Outputs of a layers model: one per output tensor, named after the layer that produces it (made unique). */
function layersOutputs(model: tf.LayersModel, names?: string[]): ModelOutput[] {
  const seen = new Map<string, number>();
  return model.outputs.map((o, i) => {
    const base = names?.[i] ?? model.outputLayers[i]?.name ?? `output_${i}`;
    const k = seen.get(base) ?? 0;
    seen.set(base, k + 1);
    return { name: k ? `${base}_${k}` : base, shape: shapeOf(o.shape) };
  });
}

/** Runs a layers model and names its outputs. */
export function layersRunnable(model: tf.LayersModel, own = true, names?: string[]): Runnable {
  const outputs = layersOutputs(model, names);
  return {
    outputs,
    predictAll: (x) => {
      const ys = outputList(model.predict(x));
      return Object.fromEntries(ys.map((t, i) => [outputs[i].name, t]));
    },
    dispose: () => {
      if (own) model.dispose();
    },
  };
}

/** Topology + weight specs of a layers model, as tfjs would save them. */
export async function layersArtifacts(m: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await m.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) };
    }),
  );
  if (!artifacts) throw new Error('model.save produced no artifacts');
  return artifacts;
}

/**
 * Weight specs and data of `a` with the float weights named in `values` replaced (same order); a replaced weight
 * that was stored quantized (uint8/uint16/float16) is written back as plain float32.
 */
export function replaceWeightData(a: { weightSpecs?: tf.io.WeightsManifestEntry[]; weightData?: tf.io.WeightData }, values: Map<string, Float32Array>): { specs: tf.io.WeightsManifestEntry[]; data: ArrayBuffer } {
  const specs: tf.io.WeightsManifestEntry[] = [];
  const data = a.weightData ? new Uint8Array(tf.io.CompositeArrayBuffer.join(a.weightData)) : new Uint8Array(0);
  const parts: Uint8Array[] = [];
  let o = 0;
  for (const s of a.weightSpecs ?? []) {
    const n = s.shape.reduce((x, y) => x * y, 1);
    const q = s.quantization?.dtype;
    const width = q ? (q === 'uint8' ? 1 : 2) : s.dtype === 'float32' || s.dtype === 'int32' ? 4 : 1;
    const v = values.get(s.name);
    if (v && s.dtype === 'float32') {
      parts.push(new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength)));
      specs.push({ name: s.name, shape: s.shape, dtype: 'float32' });
    } else {
      parts.push(data.slice(o, o + n * width));
      specs.push(s);
    }
    o += n * width;
  }
  const joined = new Uint8Array(parts.reduce((x, p) => x + p.byteLength, 0));
  let k = 0;
  for (const p of parts) {
    joined.set(p, k);
    k += p.byteLength;
  }
  return { specs, data: joined.buffer };
}

/** A new LayersModel with the same topology and the given weights replaced, all float32. */
export async function layersWithWeights(m: tf.LayersModel, values: Map<string, Float32Array>): Promise<tf.LayersModel> {
  const a = await layersArtifacts(m);
  const r = replaceWeightData(a, values);
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: a.modelTopology, weightSpecs: r.specs, weightData: r.data, format: a.format }), { strict: true });
}

/** Wraps an in-memory layers model (e.g. fresh from the zoo) in the LoadedModel shape. */
export function wrapLayersModel(
  model: tf.LayersModel,
  opts: { ref?: string; name?: string; format?: ModelFormatName; path?: string; metadata?: Record<string, unknown>; outputNames?: string[] } = {},
): LoadedModel {
  const run = layersRunnable(model, false, opts.outputNames);
  return {
    ref: opts.ref ?? `memory:${model.name}`,
    name: opts.name ?? model.name,
    format: opts.format ?? 'tfjs-layers',
    inputShape: [...(model.inputs[0]?.shape ?? [null])],
    outputs: run.outputs,
    layers: model,
    predict: (x) => firstOf(run.predictAll(x)),
    predictAll: run.predictAll,
    withWeights: async (values) => layersRunnable(await layersWithWeights(model, values), true, opts.outputNames),
    dispose: () => model.dispose(),
    path: opts.path,
    metadata: opts.metadata,
  };
}

/** The first output; the others are disposed. */
export function firstOf(all: tf.NamedTensorMap): tf.Tensor {
  const ts = Object.values(all);
  for (const t of ts.slice(1)) t.dispose();
  return ts[0];
}
