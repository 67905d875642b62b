// The GraphDef-as-JSON part of tfjs graph models, apart from loading: node types and the topology of a loaded
// model, so models/flops.ts can read them without importing the format (and its writer).
import type * as tf from '../../backend/tf';

export interface GraphNodeDef {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, GraphAttr>;
  device?: string;
}
interface GraphAttr {
  type?: string;
  b?: boolean;
  i?: string | number;
  f?: number;
  s?: string;
  list?: { i?: (string | number)[]; s?: string[]; f?: number[] };
  shape?: { dim?: { size?: string | number }[]; unknownRank?: boolean };
  tensor?: { dtype?: string; tensorShape?: { dim?: { size?: string | number }[] } };
}

export const topologies = new WeakMap<tf.GraphModel, GraphNodeDef[]>();

/** The main graph's nodes of a model read by readGraphModel (function libraries are not included). */
export function graphNodes(model: tf.GraphModel): GraphNodeDef[] | undefined {
  return topologies.get(model);
}

/** "name:1" and "^name" (control input) → "name". */
export function inputNode(input: string): string {
  const s = input.startsWith('^') ? input.slice(1) : input;
  const i = s.lastIndexOf(':');
  return i > 0 && /^\d+$/.test(s.slice(i + 1)) ? s.slice(0, i) : s;
}

