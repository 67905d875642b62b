// TensorFlow.js graph models (format "graph-model", a GraphDef as JSON). Float16 and affine uint8/uint16 weight
// storage is accepted; tfjs dequantizes it on load. Written back (export target `tfjs`) with the same graph and
// the plan's weights: per-tensor kernels on their own grid in the manifest, per-channel ones as codes × scales
// (qdq.ts).
import * as tf from '../../backend/tf';
import { UserError } from '../../core/errors';
import type { TfjsFile } from '../tfjs-weights';
import { flat, readTfjsFile, shapeText } from '../tfjs-weights';
import { topologies, type GraphNodeDef } from './graphdef';
import { checkGraphDef, checkGraphOps } from './check';
import { join } from 'node:path';
import type { FormatModule } from '../format';
import { firstOf, replaceWeightData, type LoadedModel, type ModelOutput, type Runnable } from '../../models/model';
import { predictAll, tfPredictor } from '../../export/verify';
import { sniffTfjsFormat } from '../tfjs-weights';
import { writeTfjsExport } from '../tfjs-layers/export';
import { tfjsWritten, weightErrors } from '../tfjs-layers';
import { CODES, SCALES, dequantizeStored, perChannelArtifacts } from './qdq';

export { graphNodes, inputNode } from './graphdef';

/** Every Const of the main graph must have its value in the manifest, with the shape the node declares. */
function checkConsts(f: TfjsFile, nodes: GraphNodeDef[]): void {
  const specs = new Map(f.specs.map((s) => [s.name, s]));
  for (const n of nodes) {
    if (n.op !== 'Const') continue;
    const s = specs.get(n.name);
    if (!s) throw new UserError(`constant ${n.name} has no weight in the weights manifest`, f.file);
    const dims = n.attr?.value?.tensor?.tensorShape?.dim as unknown;
    if (dims !== undefined && !Array.isArray(dims)) throw new UserError(`constant ${n.name}: tensorShape.dim is not a list`, f.file);
    if (dims) {
      const declared = dims.map((d) => Number(d.size ?? 0));
      if (declared.length !== s.shape.length || declared.some((d, i) => d !== s.shape[i]))
        {throw new UserError(`shape mismatch: weight ${n.name} is ${shapeText(s.shape)} in the weights manifest but its node declares ${shapeText(declared)}`, f.file);}
    }
  }
}

async function graphModelFromFile(f: TfjsFile): Promise<tf.GraphModel> {
  if (f.format !== 'tfjs-graph') throw new UserError('is a TensorFlow.js layers model, not a graph model', f.file);
  const topo = f.json.modelTopology as { node?: unknown };
  if (!Array.isArray(topo.node)) throw new UserError('graph model has no node list in modelTopology', f.file);
  const nodes = topo.node as GraphNodeDef[];
  nodes.forEach((n, i) => {
    if (!n || typeof n.name !== 'string' || typeof n.op !== 'string') throw new UserError(`modelTopology.node[${i}] has no name or op`, f.file);
  });
  checkConsts(f, nodes);
  checkGraphDef(nodes, f.file);
  const model = await graphFromArtifacts(f.artifacts, f.file);
  try {
    checkGraphOps(model, f.file);
  } catch (e) {
    model.dispose();
    throw e;
  }
  topologies.set(model, nodes);
  sources.set(model, f);
  return model;
}

const sources = new WeakMap<tf.GraphModel, TfjsFile>();

/** The checked file a graph model was read from (its artifacts are what export and withWeights rebuild from). */
export function graphSource(model: tf.GraphModel): TfjsFile | undefined {
  return sources.get(model);
}

async function graphFromArtifacts(a: tf.io.ModelArtifacts, where: string): Promise<tf.GraphModel> {
  try {
    // tfjs reads versions.producer unconditionally; hand-written GraphDefs often omit it
    const topo = a.modelTopology as { versions?: unknown };
    const artifacts = { ...a, modelTopology: { ...topo, versions: topo.versions ?? {} } };
    return await tf.loadGraphModel(tf.io.fromMemory(artifacts));
  } catch (e) {
    throw new UserError(`cannot build the graph model: ${flat(e)}`, where);
  }
}

const dims = (s: number[] | undefined) => (s ?? [null as unknown as number]).map((d) => (d === null || d < 0 ? null : d));

/** Runs a graph model, every output named by its tensor name (e.g. "Identity_1:0"). */
function graphRunnable(graph: tf.GraphModel, own: boolean): Runnable {
  const outputs: ModelOutput[] = graph.outputs.map((o) => ({ name: o.name, shape: dims(o.shape) }));
  const names = graph.outputNodes;
  return {
    outputs,
    predictAll: (x) => {
      const ys = graph.execute(x, names);
      const list = Array.isArray(ys) ? ys : [ys];
      return Object.fromEntries(list.map((t, i) => [outputs[i]?.name ?? names[i], t]));
    },
    dispose: () => {
      if (own) graph.dispose();
    },
  };
}

/** Output shapes a GraphDef often leaves out: one run on zeros fills them in (batch left free). */
function probeOutputShapes(graph: tf.GraphModel, run: Runnable): void {
  if (run.outputs.every((o) => o.shape.length > 1)) return;
  const shape = graph.inputs[0]?.shape;
  if (graph.inputs.length !== 1 || !shape || shape.slice(1).some((d) => d < 0)) return;
  try {
    const x = tf.zeros(shape.map((d) => (d < 0 ? 1 : d)), graph.inputs[0].dtype === 'int32' ? 'int32' : 'float32');
    const ys = run.predictAll(x);
    for (const o of run.outputs) if (ys[o.name]) o.shape = [null, ...ys[o.name].shape.slice(1)];
    tf.dispose([x, ...Object.values(ys)]);
  } catch {
    // control flow or an input the zeros do not suit: the shapes stay unknown
  }
}

/** A graph model as a LoadedModel. */
function wrapGraphModel(graph: tf.GraphModel, f: TfjsFile, opts: { ref: string; name: string; builtin: boolean }): LoadedModel {
  const run = graphRunnable(graph, false);
  probeOutputShapes(graph, run);
  const meta = f.json.userDefinedMetadata;
  return {
    ref: opts.ref,
    name: opts.name,
    format: opts.builtin ? 'builtin' : 'tfjs-graph',
    inputShape: dims(graph.inputs[0]?.shape),
    outputs: run.outputs,
    graph,
    predict: (x) => firstOf(run.predictAll(x)),
    predictAll: run.predictAll,
    async withWeights(values) {
      // a kernel stored as codes × scales takes the new values as its codes, times scales of 1
      const mapped = new Map(values);
      for (const [name, v] of values) {
        const sc = f.specs.find((x) => x.name === name + SCALES);
        if (!f.specs.some((x) => x.name === name) && sc) {
          mapped.set(name + CODES, v);
          mapped.set(name + SCALES, new Float32Array(sc.shape.reduce((a, b) => a * b, 1)).fill(1));
        }
      }
      const r = replaceWeightData(f.artifacts, mapped);
      return graphRunnable(await graphFromArtifacts({ ...f.artifacts, weightSpecs: r.specs, weightData: r.data }, f.file), true);
    },
    dispose: () => graph.dispose(),
    path: f.file,
    metadata: meta && typeof meta === 'object' && !Array.isArray(meta) ? (meta as Record<string, unknown>) : undefined,
  };
}

/** The tfjs graph format: model.json (format "graph-model") + shards; writes the export target `tfjs` for graphs. */
export const tfjsGraphFormat: FormatModule = {
  name: 'tfjs-graph',
  target: 'tfjs',
  match: (file) => sniffTfjsFormat(file) === 'tfjs-graph',
  async load({ file, ref, name, builtin }) {
    const f = readTfjsFile(file);
    return wrapGraphModel(await graphModelFromFile(f), f, { ref, name, builtin });
  },
  canWrite: (plan) => !plan.model && !!plan.source.graph && !!graphSource(plan.source.graph),
  async write(s, dir, opts) {
    const f = graphSource(s.plan.source.graph!)!;
    const dtype = opts.tfjsDtype ?? 'float32';
    if (dtype !== 'policy') return tfjsWritten(await writeTfjsExport(s.plan, f.artifacts, dir, dtype, opts.metadata));
    // per-channel kernels as codes × scales in the graph: exact, where a manifest alone holds one scale per tensor
    const { artifacts, layers } = perChannelArtifacts(s.plan, f.artifacts);
    const r = await writeTfjsExport(s.plan, artifacts, dir, dtype, opts.metadata);
    const owner = new Map(s.plan.layers.flatMap((l) => l.weights.map((w) => [w.name, l.name] as const)));
    for (const w of r.weights) w.layer = owner.get(w.name.replace(/\/ll_(codes|scales)$/, '')) ?? w.layer;
    for (const [l, dt] of layers) r.storage.set(l, `${dt} codes × per-channel scales`);
    return tfjsWritten(r);
  },
  async verify(s, _w, dir, ctx) {
    ctx.progress({ fraction: 0.5, stage: 'reloading with tf.loadGraphModel' });
    const { model } = await readGraphModel(join(dir, 'model.json'));
    try {
      const got = new Map(Object.entries(model.weights).map(([k, v]) => [k, v[0].dataSync() as Float32Array]));
      for (const l of s.plan.layers) {
        for (const w of l.weights) {
          const sc = model.weights[w.name + SCALES]?.[0];
          if (!got.has(w.name) && got.has(w.name + CODES) && sc) got.set(w.name, dequantizeStored(got.get(w.name + CODES)!, sc.dataSync(), [...sc.shape], w.shape));
        }
      }
      const reloaded = await predictAll(s.evalSet.x, s.evalSet.n, s.evalSet.shape, tfPredictor(graphRunnable(model, false), s.evalSet.shape), ctx, s.evalSet.batch);
      return { errors: weightErrors(s, got), reloaded, runtime: 'tf.loadGraphModel' };
    } finally {
      model.dispose();
    }
  },
};

/** Reads a graph model.json (+ shards), validated; see tfjs-weights.ts for the checks. */
export async function readGraphModel(path: string): Promise<{ model: tf.GraphModel; file: TfjsFile }> {
  const f = readTfjsFile(path);
  return { model: await graphModelFromFile(f), file: f };
}
