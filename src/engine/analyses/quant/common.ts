import * as tf from '../../backend/tf';
import { initBackend } from '../../backend';
import { UserError } from '../../core/errors';
import { loadDataset, type ClassificationDataset } from '../../data';
import { loadModel, needsLayers, type LoadedModel } from '../../models/io';
import { checkInputShape } from '../eval';
import { quantLayers, readKernel, writeKernel, type QLayer } from '../../quant/session';
import { dequantize, quantize, type QuantSpec } from '../../quant/quantizers';

export interface Prepared {
  loaded: LoadedModel;
  model: tf.LayersModel;
  data: ClassificationDataset;
  layers: QLayer[];
  /** pretrained kernels, to restore between runs */
  original: Float32Array[];
  /** every trainable weight, to restore biases too */
  snapshot: tf.Tensor[];
  dispose(): void;
}

export async function prepare(modelRef: string, dataRef: string): Promise<Prepared> {
  await initBackend();
  const loaded = await loadModel(modelRef);
  // quantize and sensitivity write kernels into (and retrain) a tfjs layers model
  const model = needsLayers(loaded, 'quantize/sensitivity');
  try {
    const data = await loadDataset(dataRef);
    checkInputShape(loaded, data.shape, dataRef);
    const layers = quantLayers(model);
    const snapshot = model.getWeights().map((w) => w.clone());
    return {
      loaded,
      model,
      data,
      layers,
      original: layers.map(readKernel),
      snapshot,
      dispose: () => {
        tf.dispose(snapshot);
        loaded.dispose();
      },
    };
  } catch (e) {
    loaded.dispose();
    throw e;
  }
}

export function restore(p: Prepared): void {
  p.model.setWeights(p.snapshot);
}

/** name → layer, with a one-line error naming the unknown layer and the known ones */
export function layerIndex(layers: QLayer[], names: Iterable<string>, what: string): Map<string, number> {
  const idx = new Map(layers.map((l, i) => [l.name, i]));
  for (const n of names) {
    if (!idx.has(n)) throw new UserError(`${what}: unknown layer "${n.slice(0, 80)}" (quantizable layers: ${layers.map((l) => l.name).join(', ')})`);
  }
  return idx;
}

/** quantize→dequantize a layer's pretrained kernel into the model */
export function writeQuantized(p: Prepared, i: number, spec: QuantSpec): void {
  writeKernel(p.layers[i], dequantize(quantize(p.original[i], p.layers[i].shape, spec)));
}

export function totalParams(model: tf.LayersModel): number {
  return model.trainableWeights.reduce((s, w) => s + w.shape.reduce((a, b) => a! * b!, 1)!, 0) + model.nonTrainableWeights.reduce((s, w) => s + w.shape.reduce((a, b) => a! * b!, 1)!, 0);
}

/**
 * Kernels that feed the same Add (residual partners), traced back through layers without a kernel of their
 * own (BN, activations). Returns groups of layer names with more than one member.
 */
export function residualGroups(model: tf.LayersModel, layers: QLayer[]): string[][] {
  const quant = new Set(layers.map((l) => l.name));
  const parent = new Map<string, string>();
  const find = (a: string): string => (parent.get(a) === undefined || parent.get(a) === a ? a : find(parent.get(a)!));
  const union = (a: string, b: string) => parent.set(find(a), find(b));
  const source = (layer: tf.layers.Layer, depth = 0): string | null => {
    if (quant.has(layer.name)) return layer.name;
    if (depth > 8) return null;
    const inbound = layer.inboundNodes[0]?.inboundLayers ?? [];
    if (inbound.length !== 1) return null;
    return source(inbound[0], depth + 1);
  };
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'Add') continue;
    const srcs = (layer.inboundNodes[0]?.inboundLayers ?? []).map((l) => source(l)).filter((s): s is string => !!s);
    for (const s of srcs.slice(1)) union(srcs[0], s);
  }
  const groups = new Map<string, string[]>();
  for (const l of layers) {
    const r = find(l.name);
    groups.set(r, [...(groups.get(r) ?? []), l.name]);
  }
  return [...groups.values()].filter((g) => g.length > 1);
}
