// Models with several outputs: every output named, through load, inspect, PTQ, ONNX export and ONNX import.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '../../../src/engine/backend/tf';
import { initBackend } from '../../../src/engine/backend';
import { plainContext } from '../../../src/engine/core/context';
import { makeRng } from '../../../src/engine/core/random';
import { loadModel } from '../../../src/engine/models/io';
import { agreementOf } from '../../../src/engine/models/agreement';
import { writeLayersModel } from '../../../src/engine/formats/tfjs-layers';
import { readOnnxFile } from '../../../src/engine/formats/onnx';
import { ortRunAll, ortSession } from '../../../src/engine/export/ort';
import { runOnModel } from '../../../src/engine/analyses/inspect';
import { run as ptq } from '../../../src/engine/analyses/quant/ptq';
import * as exporter from '../../../src/engine/export';
import { twoOutputCnn, writeFixture } from '../formats/onnx-fixtures';

const dir = mkdtempSync(join(tmpdir(), 'll-multi-'));
const rng = makeRng(21);
const inputs = (n: number, shape: number[]) => Float32Array.from({ length: n * shape.reduce((a, b) => a * b, 1) }, () => rng());

/** input [6,6,1] → conv trunk → "cls" softmax [3] and "map" 1×1 conv feature map [6,6,2]. */
function twoHeadLayers(): tf.LayersModel {
  const x = tf.input({ shape: [6, 6, 1], name: 'image' });
  const t = tf.layers.conv2d({ name: 'trunk', filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }).apply(x) as tf.SymbolicTensor;
  const g = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(t) as tf.SymbolicTensor;
  const cls = tf.layers.dense({ name: 'cls', units: 3, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }).apply(g) as tf.SymbolicTensor;
  const map = tf.layers.conv2d({ name: 'map', filters: 2, kernelSize: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }).apply(t) as tf.SymbolicTensor;
  return tf.model({ inputs: x, outputs: [cls, map], name: 'two_heads' });
}

describe('multi-output models', () => {
  it('a two-output functional tfjs model: named outputs, inspect, 8-bit PTQ on both, ONNX export with both outputs, reload', async () => {
    await initBackend();
    const m0 = twoHeadLayers();
    const src = await writeLayersModel(m0, join(dir, 'two-heads'));
    m0.dispose();
    const m = await loadModel(src);
    try {
      expect(m.outputs).toEqual([
        { name: 'cls', shape: [null, 3] },
        { name: 'map', shape: [null, 6, 6, 2] },
      ]);
      const x = tf.tensor(inputs(4, [6, 6, 1]), [4, 6, 6, 1]);
      const all = m.predictAll(x);
      expect(Object.keys(all)).toEqual(['cls', 'map']);
      expect(all.map.shape).toEqual([4, 6, 6, 2]);
      const first = m.predict(x);
      expect(Array.from(first.dataSync())).toEqual(Array.from(all.cls.dataSync()));
      const ins = await runOnModel(m);
      expect(ins.model.outputs?.map((o) => o.name)).toEqual(['cls', 'map']);

      const r = await ptq({ model: src, bits: 8, granularity: 'per-channel', limit: 8, out: join(dir, 'two-heads-ptq') }, plainContext());
      expect(r.outputs.map((o) => o.name)).toEqual(['cls', 'map']);
      expect(r.outputs[0].top1Agreement).not.toBeNull();
      expect(r.outputs[1].top1Agreement).toBeNull(); // a feature map is not a score vector
      for (const o of r.outputs) {
        expect(o.cosine).toBeGreaterThan(0.999);
        expect(o.relError).toBeGreaterThan(0);
      }

      const ex = await exporter.run({ model: join(dir, 'two-heads-ptq'), formats: ['onnx'], out: join(dir, 'two-heads-onnx'), limit: 8 }, plainContext());
      const file = ex.reports[0].files[0];
      // export's own verification covers every output
      expect(ex.reports[0].verify.outputs?.map((o) => o.name)).toEqual(['cls', 'map']);
      for (const o of ex.reports[0].verify.outputs!) expect(o.maxAbsDiff).toBeLessThan(1e-5);
      const proto = readOnnxFile(file).model;
      expect(proto.graph?.output?.map((o) => o.name)).toEqual(['cls', 'map']);
      expect(proto.graph?.node?.filter((n) => n.opType === 'DequantizeLinear')).toHaveLength(3);
      // ONNX Runtime gives both outputs, equal to the quantized tfjs model's
      const q = await loadModel(join(dir, 'two-heads-ptq'));
      const session = await ortSession(new Uint8Array(readFileSync(file)), file);
      const xs = inputs(4, [6, 6, 1]);
      const viaOrt = await ortRunAll(session, xs, [4, 6, 6, 1]);
      await session.release();
      const viaTf = q.predictAll(tf.tensor(xs, [4, 6, 6, 1]));
      expect(viaOrt.map.dims).toEqual([4, 6, 6, 2]);
      for (const k of ['cls', 'map']) {
        const a = agreementOf({ name: k, shape: q.outputs.find((o) => o.name === k)!.shape, reference: viaTf[k].dataSync() as Float32Array, candidate: viaOrt[k].data, n: 4 });
        expect(a.maxAbsDiff).toBeLessThan(1e-5);
      }
      // and the exported file reloads with both outputs, named as in the file
      const back = await loadModel(file);
      expect(back.outputs.map((o) => o.name)).toEqual(['cls', 'map']);
      back.dispose();
      q.dispose();
      tf.dispose([x, first, ...Object.values(all), ...Object.values(viaTf)]);
    } finally {
      m.dispose();
    }
  }, 60_000);

  it('a two-output ONNX graph (class probs + NCHW heatmap): imported with both outputs that match ONNX Runtime, re-exported with both', async () => {
    await initBackend();
    const file = writeFixture(join(dir, 'two.onnx'), twoOutputCnn());
    const m = await loadModel(file);
    try {
      expect(m.outputs).toEqual([
        { name: 'probs', shape: [null, 3] },
        { name: 'heatmap', shape: [null, 2, 6, 6] },
      ]);
      const xs = inputs(3, [6, 6, 1]);
      const got = m.predictAll(tf.tensor(xs, [3, 6, 6, 1]));
      const session = await ortSession(new Uint8Array(readFileSync(file)), file);
      // the file takes NCHW: [3,1,6,6] holds the same values as [3,6,6,1] for one channel
      const want = await ortRunAll(session, xs, [3, 1, 6, 6]);
      await session.release();
      expect(got.heatmap.shape).toEqual(want.heatmap.dims);
      for (const k of ['probs', 'heatmap']) {
        const g = got[k].dataSync() as Float32Array;
        let d = 0;
        for (let i = 0; i < g.length; i++) d = Math.max(d, Math.abs(g[i] - want[k].data[i]));
        expect(d).toBeLessThan(1e-5);
      }
      tf.dispose(Object.values(got));

      const ex = await exporter.run({ model: file, formats: ['onnx'], out: join(dir, 'two-reexported'), limit: 6, policy: 'none' }, plainContext());
      const out = readOnnxFile(ex.reports[0].files[0]).model;
      expect(out.graph?.output?.map((o) => o.name)).toEqual(['probs', 'heatmap']);
      expect(ex.reports[0].verify.maxOutputDiff).toBeLessThan(1e-5);
      expect(ex.reports[0].verify.outputs?.map((o) => [o.name, o.maxAbsDiff < 1e-5])).toEqual([
        ['probs', true],
        ['heatmap', true],
      ]);
      // the re-exported file (NHWC input, ours) gives the original file's heatmap, still NCHW
      const s2 = await ortSession(new Uint8Array(readFileSync(ex.reports[0].files[0])), 'reexported');
      const again = await ortRunAll(s2, xs, [3, 6, 6, 1]);
      await s2.release();
      expect(again.heatmap.dims).toEqual([3, 2, 6, 6]);
      let d = 0;
      for (let i = 0; i < again.heatmap.data.length; i++) d = Math.max(d, Math.abs(again.heatmap.data[i] - want.heatmap.data[i]));
      expect(d).toBeLessThan(1e-5);
    } finally {
      m.dispose();
    }
  }, 60_000);
});
