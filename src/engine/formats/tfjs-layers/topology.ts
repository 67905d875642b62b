// Checks a Keras layers topology before tf.loadLayersModel sees it: tfjs's functional deserializer loops forever
// on a cycle in `inbound_nodes` and reports a missing inbound layer as an internal failure.
import { findCycle } from '../../core/cycle';
import { UserError } from '../../core/errors';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);

/** Names of the layers a layer reads from: inbound_nodes is [[[name, node, tensor, kwargs?], …], …]. */
function inboundNames(layer: Obj, name: string, file: string, where: string): string[] {
  const nodes = layer.inbound_nodes;
  if (nodes === undefined) return [];
  const bad = () => new UserError(`${where}layer ${name}: inbound_nodes is not a list of [layer, node, tensor] references`, file);
  if (!Array.isArray(nodes)) throw bad();
  const out: string[] = [];
  for (const node of nodes) {
    if (!Array.isArray(node) || node.length === 0) throw bad();
    for (const ref of node) {
      if (!isRef(ref)) throw bad();
      out.push(ref[0]);
    }
  }
  return out;
}

/** [name, nodeIndex, tensorIndex, …]: tfjs loops forever on a name that is not a string or an index that is no index. */
const isRef = (ref: unknown): ref is [string, number, number] =>
  Array.isArray(ref) && ref.length >= 3 && typeof ref[0] === 'string' && Number.isSafeInteger(ref[1]) && ref[1] >= 0 && Number.isSafeInteger(ref[2]) && ref[2] >= 0;

/** A functional model's config (layers + inbound_nodes); nested models are checked too. */
function checkConfig(config: Obj, file: string, where: string, functional: boolean): void {
  const layers = config.layers;
  if (layers === undefined) return;
  if (!Array.isArray(layers)) throw new UserError(`${where}the topology's layers is not a list`, file);
  const edges = new Map<string, string[]>();
  layers.forEach((l: unknown, i) => {
    if (!isObj(l)) throw new UserError(`${where}layer ${i} of the topology is not an object`, file);
    // a functional model wires layers by their top-level name (tfjs loops forever without one); Sequential
    // layers may be unnamed or named in their config only
    const name = typeof l.name === 'string' ? l.name : !functional && isObj(l.config) && typeof l.config.name === 'string' ? l.config.name : undefined;
    if (name === undefined) {
      if (functional) throw new UserError(`${where}layer ${i} of the topology has no name`, file);
      return;
    }
    if (functional && edges.has(name)) throw new UserError(`${where}two layers of the topology are named ${name}`, file);
    edges.set(name, functional ? inboundNames(l, name, file, where) : []);
    if (isObj(l.config) && Array.isArray(l.config.layers)) checkConfig(l.config, file, `${where}${name}: `, l.class_name !== 'Sequential');
  });
  for (const [name, from] of edges) {
    for (const f of from) if (!edges.has(f)) throw new UserError(`${where}layer ${name} takes its input from ${f}, which is no layer of the model`, file);
  }
  // a reference's node index must name a node the referenced layer has (one per inbound node; an input layer has
  // one): tfjs waits forever for a node that never comes
  const nodeCount = new Map<string, number>();
  for (const l of layers as Obj[]) {
    if (typeof l.name === 'string') nodeCount.set(l.name, l.class_name === 'InputLayer' ? 1 : Array.isArray(l.inbound_nodes) ? l.inbound_nodes.length : 0);
  }
  if (functional) {
    for (const l of layers as Obj[]) {
      for (const node of (l.inbound_nodes ?? []) as [string, number, number][][]) {
        for (const r of node) if (r[1] >= nodeCount.get(r[0])!) throw new UserError(`${where}layer ${String(l.name)} reads node ${r[1]} of ${r[0]}, which has ${nodeCount.get(r[0])}`, file);
      }
    }
  }
  for (const key of ['input_layers', 'output_layers']) {
    const refs = config[key];
    if (!functional || refs === undefined) continue;
    if (!Array.isArray(refs) || !refs.every(isRef)) throw new UserError(`${where}${key} is not a list of [layer, node, tensor] references`, file);
    for (const r of refs) if (!edges.has(r[0])) throw new UserError(`${where}${key} names ${r[0]}, which is no layer of the model`, file);
  }
  const cycle = findCycle(edges.keys(), (k) => edges.get(k)!);
  if (cycle) throw new UserError(`${where}the layer graph has a cycle (through ${cycle[1]} and ${cycle[0]})`, file);
}

/** Throws a one-line UserError for a topology tfjs would hang or crash on. */
export function checkLayersTopology(topology: unknown, file: string): void {
  if (!isObj(topology)) return;
  const model = isObj(topology.model_config) ? topology.model_config : topology;
  if (isObj(model.config)) checkConfig(model.config, file, '', model.class_name !== 'Sequential');
}
