// A .onnx file as a LoadedModel: the converted tfjs model for inspection and analyses, ONNX Runtime on the
// file itself for evaluation, and the agreement of the two measured at load.
import * as tf from '../../backend/tf';
import { makeRng } from '../../core/random';
import { outputList, wrapLayersModel, type LoadedModel } from '../../models/model';
import { ortRunAll, ortSession } from '../../export/ort';
import { readOnnxFile } from './proto';
import { onnxDims, onnxToLayers } from './import';
import { concatArrays } from '../../core/arrays';
import { UserError } from '../../core/errors';
import { flat } from '../tfjs-weights';

export async function loadOnnxModel(file: string, ref: string, name: string): Promise<LoadedModel> {
  const f = readOnnxFile(file);
  // tfjs's own errors (a weight shape a layer refuses, a zero-unit Dense) surface as one line naming the file
  const asUserError = (what: string) => (e: unknown) => (e instanceof UserError ? e : new UserError(`${what}: ${flat(e)}`, f.file));
  let imp: ReturnType<typeof onnxToLayers>;
  try {
    imp = onnxToLayers(f.model, f.file);
  } catch (e) {
    throw asUserError('cannot convert the ONNX graph to TensorFlow.js')(e);
  }
  const session = await ortSession(f.bytes, f.file);
  const inputShape: (number | null)[] = [...imp.model.inputs[0].shape];
  // a file with a fixed batch size (tf2onnx often writes 1) is fed in chunks of that size
  const fixedBatch = onnxDims(f.model)[0] > 0 ? onnxDims(f.model)[0] : 0;
  /** every output of the file itself, by name, row-major [n, …] */
  const runOrt = async (x: tf.Tensor): Promise<Map<string, Float32Array>> => {
    // the file's own layout: PyTorch exports want NCHW, ours take NHWC like the datasets
    const fed = imp.inputLayout === 'NCHW' ? tf.transpose(x, [0, 3, 1, 2]) : x;
    const data = (await fed.data()) as Float32Array;
    if (fed !== x) fed.dispose();
    const n = x.shape[0];
    const per = data.length / Math.max(1, n);
    const step = fixedBatch || n;
    if (fixedBatch && n % fixedBatch !== 0) throw new Error(`batch ${n} is not a multiple of the file's fixed batch ${fixedBatch}`);
    const parts = new Map<string, Float32Array[]>();
    for (let s = 0; s < n; s += step) {
      const r = await ortRunAll(session, data.subarray(s * per, (s + step) * per), [step, ...fed.shape.slice(1)]);
      for (const [k, v] of Object.entries(r)) parts.set(k, [...(parts.get(k) ?? []), v.data]);
    }
    return new Map([...parts].map(([k, ps]) => [k, concatArrays(Float32Array, ps)]));
  };
  const predictAsync = async (x: tf.Tensor): Promise<tf.Tensor> => {
    const y = (await runOrt(x)).get(imp.outputNames[0])!;
    const n = x.shape[0];
    return tf.tensor2d(y, [n, y.length / Math.max(1, n)]);
  };
  // how far the converted tfjs model is from ONNX Runtime on a few seeded random inputs, over every output
  const rng = makeRng(11);
  const probe = tf.tensor(Float32Array.from({ length: 4 * inputShape.slice(1).reduce<number>((a, b) => a * (b ?? 1), 1) }, () => rng()), [4, ...(inputShape.slice(1) as number[])]);
  let viaOrt: Map<string, Float32Array>;
  let viaTf: tf.Tensor[];
  try {
    viaOrt = await runOrt(probe);
    viaTf = outputList(imp.model.predict(probe));
  } catch (e) {
    probe.dispose();
    imp.model.dispose();
    await session.release();
    throw asUserError('the model does not run on a probe batch')(e);
  }
  let conversionMaxDiff = 0;
  imp.outputNames.forEach((k, i) => {
    const a = viaOrt.get(k);
    const b = viaTf[i]?.dataSync();
    if (!a || !b || a.length !== b.length) conversionMaxDiff = Infinity;
    else for (let j = 0; j < a.length; j++) conversionMaxDiff = Math.max(conversionMaxDiff, Math.abs(a[j] - b[j]));
  });
  tf.dispose([probe, ...viaTf]);
  let own: unknown = null;
  try {
    own = imp.metadata['layerlens.metadata'] ? JSON.parse(imp.metadata['layerlens.metadata']) : null;
  } catch {
    own = null;
  }
  const ownLl = (own as { layerlens?: Record<string, unknown> } | null)?.layerlens;
  const base = wrapLayersModel(imp.model, {
    ref,
    name,
    format: 'onnx',
    path: f.file,
    outputNames: imp.outputNames,
    metadata: {
      ...(ownLl ? { layerlens: { ...((ownLl.source as Record<string, unknown> | null) ?? {}), export: ownLl.export, policy: ownLl.policy } } : {}),
      onnx: { opset: imp.opset, producer: f.model.producerName ?? '', inputLayout: imp.inputLayout, conversionMaxDiff },
    },
  });
  return {
    ...base,
    predictAsync,
    dispose: () => {
      imp.model.dispose();
      void session.release();
    },
  };
}
