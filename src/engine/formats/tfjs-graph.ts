// TensorFlow.js graph models (format "graph-model", a GraphDef as JSON): read only. Float16 and affine
// uint8/uint16 weight storage is accepted; tfjs dequantizes it on load.
import * as tf from '../backend/tf';
import { UserError } from '../core/errors';
import type { TfjsFile } from './tfjs-weights';
import { flat, readTfjsFile, shapeText } from './tfjs-weights';

export interface GraphNodeDef {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, GraphAttr>;
  device?: string;
}
export interface GraphAttr {
  type?: string;
  b?: boolean;
  i?: string | number;
  f?: number;
  s?: string;
  list?: { i?: (string | number)[]; s?: string[]; f?: number[] };
  shape?: { dim?: { size?: string | number }[]; unknownRank?: boolean };
  tensor?: { dtype?: string; tensorShape?: { dim?: { size?: string | number }[] } };
}

const topologies = new WeakMap<tf.GraphModel, GraphNodeDef[]>();

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

/** Every Const of the main graph must have its value in the manifest, with the shape the node declares. */
function checkConsts(f: TfjsFile, nodes: GraphNodeDef[]): void {
  const specs = new Map(f.specs.map((s) => [s.name, s]));
  for (const n of nodes) {
    if (n.op !== 'Const') continue;
    const s = specs.get(n.name);
    if (!s) throw new UserError(`constant ${n.name} has no weight in the weights manifest`, f.file);
    const dims = n.attr?.value?.tensor?.tensorShape?.dim;
    if (dims) {
      const declared = dims.map((d) => Number(d.size ?? 0));
      if (declared.length !== s.shape.length || declared.some((d, i) => d !== s.shape[i]))
        {throw new UserError(`shape mismatch: weight ${n.name} is ${shapeText(s.shape)} in the weights manifest but its node declares ${shapeText(declared)}`, f.file);}
    }
  }
}

export async function graphModelFromFile(f: TfjsFile): Promise<tf.GraphModel> {
  if (f.format !== 'tfjs-graph') throw new UserError('is a TensorFlow.js layers model, not a graph model', f.file);
  const topo = f.json.modelTopology as { node?: unknown };
  if (!Array.isArray(topo.node)) throw new UserError('graph model has no node list in modelTopology', f.file);
  const nodes = topo.node as GraphNodeDef[];
  nodes.forEach((n, i) => {
    if (!n || typeof n.name !== 'string' || typeof n.op !== 'string') throw new UserError(`modelTopology.node[${i}] has no name or op`, f.file);
  });
  checkConsts(f, nodes);
  let model: tf.GraphModel;
  try {
    // tfjs reads versions.producer unconditionally; hand-written GraphDefs often omit it
    const versions = (topo as { versions?: unknown }).versions ?? {};
    const artifacts = { ...f.artifacts, modelTopology: { ...topo, versions } };
    model = await tf.loadGraphModel(tf.io.fromMemory(artifacts));
  } catch (e) {
    throw new UserError(`cannot build the graph model: ${flat(e)}`, f.file);
  }
  topologies.set(model, nodes);
  return model;
}

/** Reads a graph model.json (+ shards), validated; see tfjs-weights.ts for the checks. */
export async function readGraphModel(path: string): Promise<{ model: tf.GraphModel; file: TfjsFile }> {
  const f = readTfjsFile(path);
  return { model: await graphModelFromFile(f), file: f };
}
