// The one model abstraction: a graph model works where no retraining is needed (the per-layer quantization
// overlay, PTQ, export as tfjs with its graph) and is refused in one line where a layers model is needed.
import { describe, expect, it } from 'vitest';
import * as tf from '../../../src/engine/backend/tf';
import { initBackend } from '../../../src/engine/backend';
import { plainContext } from '../../../src/engine/core/context';
import { loadModel, needsLayers } from '../../../src/engine/models/io';
import { modelNodes } from '../../../src/engine/models/nodes';
import { accuracyAt, spectrum } from '../../../src/engine/analyses/lowrank';
import { prepare } from '../../../src/engine/analyses/quant/common';
import { quantHandlers } from '../../../src/engine/analyses/quant/handlers';
import { run as ptq } from '../../../src/engine/analyses/quant/ptq';
import * as exporter from '../../../src/engine/export';
import { expectUserError, tmp, writeGraphConvModel } from '../formats/fixtures';
import type { ServiceDeps } from '../../../src/engine/service-deps';
import { join } from 'node:path';

describe('one model abstraction', () => {
  it('graph model: nodes with kinds and named weights; runs with replaced weights', async () => {
    await initBackend();
    const file = writeGraphConvModel(tmp());
    const m = await loadModel(file);
    try {
      const nodes = await modelNodes(m);
      expect(nodes.map((n) => [n.name, n.kind, n.weights.map((w) => w.name)])).toEqual([['conv', 'Conv2D', ['f']]]);
      const x = tf.ones([1, 6, 6, 2]);
      const zero = await m.withWeights(new Map([['f', new Float32Array(72)]]));
      const y0 = Object.values(zero.predictAll(x))[0];
      const y1 = m.predict(x);
      expect(Math.max(...Array.from(y0.dataSync()).map(Math.abs))).toBe(0);
      expect(Math.max(...Array.from(y1.dataSync()))).toBeGreaterThan(0);
      zero.dispose();
      tf.dispose([x, y0, y1]);
    } finally {
      m.dispose();
    }
  });

  it('what needs a layers model says so in one line naming the file; the overlay, ptq and tfjs export work on a graph', async () => {
    await initBackend();
    const file = writeGraphConvModel(tmp());
    const needs = /needs a TensorFlow\.js layers model; this is a tfjs-graph model/;
    await expectUserError(loadModel(file).then((m) => needsLayers(m, 'TRP')), file, needs);
    // spectra need no layer topology
    const sp = await spectrum({ model: file });
    expect(sp.layers.map((l) => [l.name, l.kind, l.shape])).toEqual([['conv', 'conv', [4, 18]]]);
    await expectUserError(accuracyAt({ model: file, data: 'mnist', ranks: {} }), file, needs);
    await expectUserError(prepare(file, 'mnist'), file, needs);

    const overlay = await quantHandlers({} as ServiceDeps)['quant.layer']({ model: file, layer: 'conv', bits: 4, method: 'uniform', granularity: 'per-channel', symmetric: true, sample: 4 });
    expect(overlay.shape).toEqual([3, 3, 2, 4]);
    expect(overlay.sample.map((s) => s.value)).toEqual([0, 0.01, 0.02, 0.03].map((v) => Math.fround(v)));
    expect(overlay.scales).toHaveLength(4);

    const dir = tmp();
    const r = await ptq({ model: file, bits: 4, granularity: 'per-tensor', limit: 3, out: join(dir, 'q') }, plainContext());
    expect(r.format).toBe('tfjs-graph');
    expect(r.outputs[0].cosine).toBeGreaterThan(0.99);
    const ex = await exporter.run({ model: join(dir, 'q'), formats: ['tfjs'], out: join(dir, 'tfjs'), limit: 3 }, plainContext());
    expect(ex.reports[0].layers[0]).toMatchObject({ name: 'conv', bits: 4, storage: 'uint8' });
    expect(ex.reports[0].verify.maxOutputDiff).toBeLessThan(1e-5);
    await expectUserError(exporter.run({ model: join(dir, 'q'), formats: ['onnx'], out: join(dir, 'onnx'), limit: 3 }, plainContext()), join(dir, 'q', 'model.json'), /ONNX export is written from a layer topology; this tfjs-graph model has none/);

    // per channel: codes × per-channel scales inside the graph, exact, and read back as the same kernel
    const pc = await ptq({ model: file, bits: 4, granularity: 'per-channel', limit: 3, out: join(dir, 'pc') }, plainContext());
    const ex2 = await exporter.run({ model: join(dir, 'pc'), formats: ['tfjs'], out: join(dir, 'pc-tfjs'), limit: 3 }, plainContext());
    expect(ex2.reports[0].layers[0]).toMatchObject({ name: 'conv', bits: 4, storage: 'uint8 codes × per-channel scales', flags: [], maxAbsError: 0 });
    expect(ex2.reports[0].layers[0].bytes).toBe(72 + 4 * 4); // one byte per code, four float32 scales
    expect(ex2.reports[0].verify.maxOutputDiff).toBeLessThan(1e-6);
    const back = await loadModel(join(dir, 'pc-tfjs'));
    try {
      const nodes = await modelNodes(back);
      expect(nodes.map((n) => [n.name, n.kind, n.weights.map((w) => w.name)])).toEqual([['conv', 'Conv2D', ['f']]]);
      const sim = await loadModel(join(dir, 'pc'));
      const q = (await modelNodes(sim)).find((n) => n.name === 'conv')!.weights[0].value().dataSync();
      expect(Array.from(nodes[0].weights[0].value().dataSync())).toEqual(Array.from(q));
      sim.dispose();
      expect(pc.layers[0].weightRelError).toBeGreaterThan(0);
    } finally {
      back.dispose();
    }
  });
});
