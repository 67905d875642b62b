import { initBackend } from '../../backend';
import type { RunContext } from '../../core/context';
import { throwIfCancelled } from '../../core/context';
import { UserError } from '../../core/errors';
import type { LayerCost } from '../../models/flops';
import type { LoadedModel } from '../../models/io';
import { loadModel } from '../../models/io';
import { modelNodes } from '../../models/nodes';
import type { z } from 'zod';
import type { Histogram, InspectRequest, InspectResult, LayerInfo, WeightStats } from '../../../shared/api';

export type InspectConfig = z.output<typeof InspectRequest>;

const HISTOGRAM_BINS = 32;

/** min/max/mean/std (population) and the fraction of exact zeros; NaN when `v` is empty. */
export function weightStats(v: ArrayLike<number>): WeightStats {
  const n = v.length;
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let zeros = 0;
  for (let i = 0; i < n; i++) {
    const x = v[i];
    if (x < min) min = x;
    if (x > max) max = x;
    sum += x;
    if (x === 0) zeros++;
  }
  const mean = sum / n;
  let sq = 0;
  for (let i = 0; i < n; i++) sq += (v[i] - mean) ** 2;
  return { min, max, mean, std: Math.sqrt(sq / n), sparsity: zeros / n };
}

/** Equal-width bins over [min, max] (the last bin includes max); a constant tensor gets [v-0.5, v+0.5]. */
export function histogram(v: ArrayLike<number>, bins = HISTOGRAM_BINS, range?: { min: number; max: number }): Histogram {
  let lo = range?.min ?? Infinity;
  let hi = range?.max ?? -Infinity;
  if (!range) {
    for (let i = 0; i < v.length; i++) {
      lo = Math.min(lo, v[i]);
      hi = Math.max(hi, v[i]);
    }
  }
  if (!(hi > lo)) {
    lo = (Number.isFinite(lo) ? lo : 0) - 0.5;
    hi = lo + 1;
  }
  const width = (hi - lo) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => (i === bins ? hi : lo + i * width));
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < v.length; i++) counts[Math.min(bins - 1, Math.max(0, Math.floor((v[i] - lo) / width)))]++;
  return { edges, counts };
}

function checkFiniteWeights(c: LayerCost, where: string): void {
  for (const w of c.weights) {
    const data = w.value().dataSync();
    for (let i = 0; i < data.length; i++)
      {if (!Number.isFinite(data[i])) throw new UserError(`weight ${w.name} of layer ${c.name} contains ${Number.isNaN(data[i]) ? 'NaN' : 'Inf'}`, where);}
  }
}

/** Inspects a model that is already loaded (the caller keeps ownership and disposes it). */
export async function runOnModel(loaded: LoadedModel, ctx?: RunContext): Promise<InspectResult> {
  // one view over every format: layers of a layers model (ONNX files are converted to one), weighted ops of a graph
  const costs: LayerCost[] = await modelNodes(loaded);

  const weighted = costs.filter((c) => c.weights.length > 0);
  const where = loaded.path ?? loaded.ref;
  const layers: LayerInfo[] = [];
  for (const [i, c] of weighted.entries()) {
    if (ctx) {
      throwIfCancelled(ctx);
      ctx.progress({ fraction: 0.1 + (0.9 * i) / weighted.length, stage: `layer ${c.name}` });
    }
    checkFiniteWeights(c, where);
    const main = c.weights[c.main];
    const data = main.value().dataSync() as Float32Array;
    const stats = weightStats(data);
    layers.push({
      name: c.name,
      kind: c.kind,
      weightShape: [...main.shape],
      params: c.params,
      flops: c.flops,
      activationShape: [...c.activationShape],
      stats,
      histogram: histogram(data, HISTOGRAM_BINS, { min: stats.min, max: stats.max }),
    });
  }
  return {
    model: {
      name: loaded.name,
      format: loaded.format,
      inputShape: [...loaded.inputShape],
      outputs: loaded.outputs.map((o) => ({ name: o.name, shape: [...o.shape] })),
      params: layers.reduce((s, l) => s + l.params, 0),
      flops: layers.reduce((s, l) => s + l.flops, 0),
    },
    layers,
  };
}

export async function run(config: InspectConfig, ctx: RunContext): Promise<InspectResult> {
  await initBackend();
  throwIfCancelled(ctx);
  ctx.progress({ fraction: 0, stage: 'loading model' });
  const loaded = await loadModel(config.model);
  try {
    const result = await runOnModel(loaded, ctx);
    ctx.progress({ fraction: 1, stage: 'done', metrics: { params: result.model.params, flops: result.model.flops } });
    return result;
  } finally {
    loaded.dispose();
  }
}
