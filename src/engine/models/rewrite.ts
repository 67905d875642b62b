// Rebuild a layers model with some layers replaced by chains of new layers (e.g. a conv by two thinner convs).
// Works on the model's Keras topology (what model.json stores), so Sequential and functional graphs (the zoo's
// ResNets, with their skip connections) go through the same path, and the result is an ordinary
// tf.LayersModel: it evaluates, trains, inspects and saves like any other. Untouched layers keep their weights.
import * as tf from '../backend/tf';
import { UserError } from '../core/errors';

/** One new layer in Keras form (snake_case config, as in model.json) and its weights in the layer's order. */
export interface NewLayer {
  className: string;
  config: Record<string, unknown>;
  weights: tf.Tensor[];
}

/** layer name → the chain that replaces it (input of the first = the old layer's input). */
export type Replacements = Record<string, NewLayer[]>;

interface KerasLayer {
  name?: string;
  class_name: string;
  config: Record<string, unknown> & { name: string };
  inbound_nodes?: unknown[];
}
interface Topology {
  class_name: string;
  config: { name: string; layers: KerasLayer[]; input_layers?: unknown[]; output_layers?: unknown[] } | KerasLayer[];
  [k: string]: unknown;
}

type NodeRef = [string, number, number, Record<string, unknown>?];

function renameRefs(nodes: unknown, from: string, to: string): unknown {
  // inbound_nodes: [[[name, nodeIndex, tensorIndex, kwargs], ...], ...]; output_layers: [[name, 0, 0], ...]
  if (!Array.isArray(nodes)) return nodes;
  if (nodes.length >= 3 && typeof nodes[0] === 'string' && typeof nodes[1] === 'number') {
    const ref = nodes as NodeRef;
    return ref[0] === from ? [to, ...ref.slice(1)] : ref;
  }
  return nodes.map((n) => renameRefs(n, from, to));
}

/** Returns a new model; the input model is left as it was (the caller still owns and disposes it). */
export async function rewriteModel(model: tf.LayersModel, replacements: Replacements): Promise<tf.LayersModel> {
  const topo = model.toJSON(undefined, false) as unknown as Topology;
  const names = new Set(model.layers.map((l) => l.name));
  for (const [name, chain] of Object.entries(replacements)) {
    if (!names.has(name)) throw new UserError(`cannot replace layer "${name}": the model has no such layer`);
    if (chain.length === 0) throw new UserError(`the replacement of layer "${name}" is empty`);
    for (const l of chain) {
      const n = String(l.config.name ?? '');
      if (!n) throw new UserError(`a replacement layer of "${name}" has no name`);
      if (names.has(n) && !(chain.length === 1 && n === name)) throw new UserError(`replacement layer name "${n}" is already used in the model`);
    }
  }
  const isSequential = topo.class_name === 'Sequential';
  const layerList: KerasLayer[] = Array.isArray(topo.config) ? topo.config : topo.config.layers;
  const out: KerasLayer[] = [];
  let outputLayers = Array.isArray(topo.config) ? undefined : topo.config.output_layers;
  const renames: [string, string][] = [];
  for (const entry of layerList) {
    const name = entry.config.name;
    const chain = replacements[name];
    if (!chain) {
      out.push(entry);
      continue;
    }
    if (isSequential) {
      chain.forEach((l, i) => {
        const config = { ...l.config };
        // the first layer of a Sequential model carries its input shape
        if (i === 0 && entry.config.batch_input_shape) config.batch_input_shape = entry.config.batch_input_shape;
        out.push({ class_name: l.className, config: config as KerasLayer['config'] });
      });
      continue;
    }
    if ((entry.inbound_nodes?.length ?? 0) !== 1) {
      throw new UserError(`cannot replace layer "${name}": it is applied ${entry.inbound_nodes?.length ?? 0} times (shared layers are not supported)`);
    }
    let inbound = entry.inbound_nodes;
    for (const l of chain) {
      const lname = String(l.config.name);
      out.push({ name: lname, class_name: l.className, config: l.config as KerasLayer['config'], inbound_nodes: inbound });
      inbound = [[[lname, 0, 0, {}]]];
    }
    renames.push([name, String(chain[chain.length - 1].config.name)]);
  }
  // consumers of a replaced layer now read the end of its chain
  for (const [from, to] of renames) {
    for (const l of out) if (l.inbound_nodes) l.inbound_nodes = renameRefs(l.inbound_nodes, from, to) as unknown[];
    outputLayers = renameRefs(outputLayers, from, to) as unknown[] | undefined;
  }
  const newTopo: Topology = Array.isArray(topo.config)
    ? { ...topo, config: out }
    : { ...topo, config: { ...topo.config, layers: out, ...(outputLayers !== undefined ? { output_layers: outputLayers } : {}) } };

  let rebuilt: tf.LayersModel;
  try {
    rebuilt = await tf.models.modelFromJSON({ modelTopology: newTopo as unknown as tf.io.ModelJSON['modelTopology'] });
  } catch (e) {
    throw new UserError(`cannot rebuild the model with the replaced layers: ${(e as Error).message.split('\n')[0]}`);
  }
  try {
    const newWeights = new Map<string, tf.Tensor[]>();
    for (const chain of Object.values(replacements)) for (const l of chain) newWeights.set(String(l.config.name), l.weights);
    const old = new Map(model.layers.map((l) => [l.name, l]));
    for (const layer of rebuilt.layers) {
      const given = newWeights.get(layer.name);
      if (given) {
        const want = layer.weights.map((w) => w.shape.join('×'));
        const have = given.map((t) => t.shape.join('×'));
        if (want.join(',') !== have.join(',')) throw new UserError(`replacement layer "${layer.name}" expects weights [${want.join(', ')}], got [${have.join(', ')}]`);
        layer.setWeights(given);
      } else {
        const src = old.get(layer.name);
        if (src && src.weights.length) layer.setWeights(src.getWeights());
      }
    }
  } catch (e) {
    rebuilt.dispose();
    throw e;
  }
  return rebuilt;
}
