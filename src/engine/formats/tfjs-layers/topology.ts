// Checks a Keras layers topology before tf.loadLayersModel sees it: tfjs's functional deserializer loops forever
// on a cycle in `inbound_nodes` and reports a missing inbound layer as an internal failure.
import { UserError } from '../../core/errors';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);

/** Names of the layers a layer reads from ([[name, node, tensor, kwargs], …] per inbound node). */
function inboundNames(layer: Obj): string[] {
  const nodes = layer.inbound_nodes;
  if (!Array.isArray(nodes)) return [];
  const out: string[] = [];
  for (const node of nodes) {
    if (!Array.isArray(node)) continue;
    for (const ref of node) if (Array.isArray(ref) && typeof ref[0] === 'string') out.push(ref[0]);
  }
  return out;
}

/** A functional model's config (layers + inbound_nodes); nested models are checked too. */
function checkConfig(config: Obj, file: string, where: string): void {
  const layers = config.layers;
  if (!Array.isArray(layers)) return;
  const edges = new Map<string, string[]>();
  for (const l of layers) {
    if (!isObj(l)) throw new UserError(`${where}a layer of the topology is not an object`, file);
    const name = typeof l.name === 'string' ? l.name : isObj(l.config) && typeof l.config.name === 'string' ? l.config.name : undefined;
    if (name === undefined) continue; // Sequential layers may be unnamed: they have no inbound_nodes either
    edges.set(name, inboundNames(l));
    if (isObj(l.config) && Array.isArray(l.config.layers)) checkConfig(l.config, file, `${where}${name}: `);
  }
  for (const [name, from] of edges) {
    for (const f of from) if (!edges.has(f)) throw new UserError(`${where}layer ${name} takes its input from ${f}, which is no layer of the model`, file);
  }
  // iterative three-colour DFS: a grey node reached again closes a cycle
  const state = new Map<string, 1 | 2>();
  for (const start of edges.keys()) {
    if (state.has(start)) continue;
    const stack: [string, number][] = [[start, 0]];
    state.set(start, 1);
    while (stack.length) {
      const top = stack[stack.length - 1];
      const next = edges.get(top[0])![top[1]++];
      if (next === undefined) {
        state.set(top[0], 2);
        stack.pop();
      } else if (state.get(next) === 1) {
        throw new UserError(`${where}the layer graph has a cycle (through ${next} and ${top[0]})`, file);
      } else if (!state.has(next)) {
        state.set(next, 1);
        stack.push([next, 0]);
      }
    }
  }
}

/** Throws a one-line UserError for a topology tfjs would hang or crash on. */
export function checkLayersTopology(topology: unknown, file: string): void {
  if (!isObj(topology)) return;
  const model = isObj(topology.model_config) ? topology.model_config : topology;
  if (isObj(model.config)) checkConfig(model.config, file, '');
}
