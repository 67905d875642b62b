// Checks of a GraphDef that tfjs does not make at load: it accepts node inputs that name no node, cycles and
// unknown ops, and fails only when run (or, for a cycle, runs something else); shape probes at load would then
// swallow the failure or try to allocate an absurd input.
import type * as tf from '../../backend/tf';
import { UserError } from '../../core/errors';
import { inputNode, type GraphNodeDef } from './graphdef';
import { findCycle } from '../../core/cycle';

/** Elements one input batch may have: a probe run allocates one batch (2^28 floats = 1 GiB). */
const MAX_INPUT_ELEMENTS = 2 ** 28;

/** Inputs that name no node, cycles (a while loop's NextIteration back edge excepted) and absurd input sizes. */
export function checkGraphDef(nodes: GraphNodeDef[], file: string): void {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  for (const n of nodes) {
    if (n.input !== undefined && !(Array.isArray(n.input) && n.input.every((i) => typeof i === 'string'))) throw new UserError(`node ${n.name}: input is not a list of node names`, file);
    for (const i of n.input ?? []) if (!byName.has(inputNode(i))) throw new UserError(`node ${n.name} takes input ${i}, which is no node of the graph`, file);
    if (n.op === 'Placeholder') {
      const d = (n.attr?.shape as { shape?: { dim?: unknown } } | undefined)?.shape?.dim ?? [];
      // a size is an integer (as a string or a number), -1 for free; tfjs turns anything else, a missing size
      // included, into NaN dims
      const size = (v: unknown) => (typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : NaN);
      const sizes = Array.isArray(d) ? d.map((x: { size?: unknown } | null) => (x && typeof x === 'object' ? size(x.size) : NaN)) : [NaN];
      if (sizes.some((v) => !Number.isSafeInteger(v) || v < -1)) throw new UserError(`input ${n.name} has an invalid shape ${JSON.stringify(d).slice(0, 80)}`, file);
      // a fixed batch size counts too: the probe runs one batch of it
      const all = sizes.reduce((a, v) => a * Math.max(1, v), 1);
      if (all > MAX_INPUT_ELEMENTS) throw new UserError(`input ${n.name} has ${all} elements per batch, more than the ${MAX_INPUT_ELEMENTS} this tool will allocate`, file);
    }
  }
  const cycle = findCycle(byName.keys(), (name) => (byName.get(name)!.input ?? []).map(inputNode).filter((s) => byName.get(s)!.op !== 'NextIteration'));
  if (cycle) throw new UserError(`the graph has a cycle (node ${cycle[0]} depends on itself through ${cycle[1]})`, file);
}

/** Ops tfjs has no kernel mapping for: it marks them with no category and fails only when they run. */
export function checkGraphOps(model: tf.GraphModel, file: string): void {
  const nodes = (model as unknown as { executor?: { graph?: { nodes?: Record<string, { op: string; category?: string }> } } }).executor?.graph?.nodes;
  for (const [name, n] of Object.entries(nodes ?? {})) {
    if (n.category === undefined) throw new UserError(`op ${n.op} (node ${name}) is not supported by TensorFlow.js`, file);
  }
}
