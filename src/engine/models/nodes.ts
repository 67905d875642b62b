// The nodes of any loaded model, each with its kind and named weights (models/flops.ts's LayerCost): the
// layers of a layers model (ONNX files are converted to one on load), the weighted ops of a graph model.
import { UserError } from '../core/errors';
import { graphNodes } from '../formats/tfjs-graph/graphdef';
import { graphCosts, layersCosts, type LayerCost } from './flops';
import type { LoadedModel } from './model';

/** Nodes with weights of any loaded model: layers of a layers model, weighted ops of a graph model. */
export async function modelNodes(m: LoadedModel): Promise<LayerCost[]> {
  if (m.layers) return layersCosts(m.layers);
  const nodes = m.graph ? graphNodes(m.graph) : undefined;
  if (!m.graph || !nodes) throw new UserError('model has neither layers nor a readable graph', m.path ?? m.ref);
  return graphCosts(m.graph, nodes);
}

