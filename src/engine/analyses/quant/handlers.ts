import type { Handlers } from '../../../shared/api';
import type { quantMethods } from '../../../shared/api-quant';
import type { ServiceDeps } from '../../service-deps';
import { initBackend } from '../../backend';
import { UserError } from '../../core/errors';
import { loadModel } from '../../models/io';
import { levelCount } from '../../quant/quantizers';
import { dequantize, quantize } from '../../quant/quantizers';
import { layerBits } from '../../quant/policy';
import { modelNodes } from '../../models/nodes';
import { histogram } from '../inspect';

// finer than inspect's 32 bins: the panel draws the quantization levels over it
const LEVELS_HISTOGRAM_BINS = 60;

/** The contract's quant methods over the engine (service.ts merges them). */
export function quantHandlers(_deps: ServiceDeps): Pick<Handlers, keyof typeof quantMethods> {
  return {
    // one layer's weights beside their codes and levels: the per-layer panel's quantization overlay
    'quant.layer': async (req) => {
      await initBackend();
      const m = await loadModel(req.model);
      try {
        // any model: the named node's main weight (a layers model's kernel, a graph op's filter)
        const node = (await modelNodes(m)).find((n) => n.name === req.layer && n.main >= 0 && n.weights[n.main].shape.length >= 2);
        if (!node) throw new UserError(`no quantizable layer "${req.layer.slice(0, 80)}" in ${req.model}`);
        const kernel = node.weights[node.main];
        const layer = { name: node.name, shape: kernel.shape, size: kernel.shape.reduce((a, b) => a * b, 1) };
        const w = Float32Array.from(kernel.value().dataSync() as Float32Array);
        const spec = { bits: req.bits, method: req.method, granularity: req.granularity, symmetric: req.symmetric, seed: 1 };
        const q = quantize(w, layer.shape, spec);
        const d = dequantize(q);
        let mse = 0;
        for (let i = 0; i < w.length; i++) mse += (w[i] - d[i]) ** 2;
        // levels of the first channel (all of them for per-tensor)
        const L = levelCount(spec);
        const levels = q.codebook
          ? Array.from(q.codebook.subarray(0, L))
          : req.method === 'ternary'
            ? [-q.scales[0], 0, q.scales[0]]
            : Array.from({ length: L }, (_, k) => (k + (req.symmetric ? -(2 ** (req.bits - 1) - 1) : 0) - q.zeroPoints[0]) * q.scales[0]);
        return {
          layer: layer.name,
          shape: layer.shape,
          levels,
          histogram: histogram(w, LEVELS_HISTOGRAM_BINS),
          sample: Array.from({ length: Math.min(req.sample, w.length) }, (_, i) => ({ index: i, value: w[i], code: q.codes[i], dequantized: d[i] })),
          scales: Array.from(q.scales.subarray(0, 64)),
          zeroPoints: Array.from(q.zeroPoints.subarray(0, 64)),
          mse: mse / w.length,
          bitsPerWeight: layerBits(layer.size, layer.shape, spec) / layer.size,
        };
      } finally {
        m.dispose();
      }
    },
  };
}
