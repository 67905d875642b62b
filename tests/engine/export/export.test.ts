// The done-when checks on builtin:lenet5-mnist under a mixed 4/8-bit uniform per-channel policy:
// every target is written, reloaded by its consuming runtime and compared with the simulated model.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { exportTarget, openSession, type ExportSession } from '../../../src/engine/export';
import { readStorage } from '../../../src/engine/export/storage';
import { run as diff } from '../../../src/engine/export/diff';
import { readOnnxFile, DT } from '../../../src/engine/formats/onnx';
import { readLayersModel } from '../../../src/engine/formats/tfjs-layers';
import { readPacked } from '../../../src/engine/formats/packed';
import { builtinModelsDir, loadModel } from '../../../src/engine/models/io';
import { expectUserError } from '../formats/fixtures';
import { runOnModel } from '../../../src/engine/analyses/inspect';
import type { ExportReport } from '../../../src/shared/api-export';

const dir = mkdtempSync(join(tmpdir(), 'll-export-'));
const policy = {
  version: 1,
  layers: {
    conv1: { bits: 8, method: 'uniform', granularity: 'per-channel', symmetric: true },
    conv2: { bits: 4, method: 'uniform', granularity: 'per-channel', symmetric: true },
    fc1: { bits: 4, method: 'uniform', granularity: 'per-channel', symmetric: true },
    fc2: { bits: 4, method: 'uniform', granularity: 'per-channel', symmetric: true },
    fc3: { bits: 8, method: 'uniform', granularity: 'per-channel', symmetric: true },
  },
  provenance: { method: 'hand-written mixed 4/8-bit' },
} as const;
const policyFile = join(dir, 'policy.json');
writeFileSync(policyFile, JSON.stringify(policy));
let s: ExportSession;
const reports: Record<string, ExportReport> = {};

beforeAll(async () => {
  s = await openSession({ model: 'builtin:lenet5-mnist', policy: policyFile, limit: 1000 });
  for (const f of ['onnx', 'tfjs', 'aimet', 'packed'] as const) reports[f] = await exportTarget(s, f, join(dir, f));
});
afterAll(() => {
  s?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('export of a mixed 4/8-bit LeNet-5', () => {
  it('ONNX QDQ reloads in ONNX Runtime with the simulated top-1 and ½ byte per 4-bit weight plus scales', () => {
    const r = reports.onnx;
    expect(r.verify.runtime).toBe('onnxruntime-node');
    expect(r.verify.n).toBe(1000);
    expect(Math.abs(r.verify.top1Reloaded! - r.verify.top1Simulated!)).toBeLessThanOrEqual(0.001);
    expect(r.verify.top1Simulated).toBeGreaterThan(0.97);
    expect(r.verify.maxAbsError).toBe(0);
    const fc1 = r.layers.find((l) => l.name === 'fc1')!;
    // 400×120 int4 codes + 120 float scales + 120 int4 zero points + 120 float biases
    expect(fc1).toMatchObject({ bits: 4, storage: 'int4', bytes: 48000 / 2 + 4 * 120 + 60 + 4 * 120, flags: [] });
    const conv1 = r.layers.find((l) => l.name === 'conv1')!;
    expect(conv1).toMatchObject({ bits: 8, storage: 'int8', bytes: 150 + 4 * 6 + 6 + 4 * 6 });
    // the file: integer initializers → DequantizeLinear with per-axis scales on axis 0, opset 21
    const f = readOnnxFile(r.files[0]);
    expect(Number(f.model.opsetImport?.[0].version)).toBe(21);
    const q = f.model.graph!.initializer!.find((t) => t.name === 'fc1/kernel_quantized')!;
    expect(q.dataType).toBe(DT.INT4);
    expect(q.dims!.map(Number)).toEqual([120, 400]);
    expect(q.rawData!.length).toBe(24000);
    const dq = f.model.graph!.node!.find((n) => n.opType === 'DequantizeLinear' && n.input![0] === 'fc1/kernel_quantized')!;
    expect(Number(dq.attribute!.find((a) => a.name === 'axis')!.i)).toBe(0);
    const weightBytes = r.layers.reduce((a, l) => a + l.bytes, 0);
    expect(r.bytes - weightBytes).toBeLessThan(4000); // graph structure and metadata only
  });

  it('tfjs export reloads with tf.loadLayersModel; per-channel policy flagged, 4-bit layers flagged as uint8 containers', async () => {
    const r = reports.tfjs;
    expect(r.verify.runtime).toBe('tf.loadLayersModel');
    const fc1 = r.layers.find((l) => l.name === 'fc1')!;
    expect(fc1.storage).toBe('uint8');
    expect(fc1.flags.join(' ')).toMatch(/per-channel.*per-tensor/);
    expect(fc1.flags.join(' ')).toMatch(/4-bit codes in a uint8 container/);
    // within the manifest's precision: half a uint8 step of the tensor's range
    const j = JSON.parse(readFileSync(r.files[0], 'utf8'));
    const entry = j.weightsManifest[0].weights.find((w: { name: string }) => w.name === 'fc1/kernel');
    expect(entry.quantization.dtype).toBe('uint8');
    expect(fc1.maxAbsError).toBeLessThanOrEqual(entry.quantization.scale / 2 + 1e-6);
    expect(j.userDefinedMetadata.layerlens.policy.layers.fc1.bits).toBe(4);
    expect(r.verify.agreement).toBeGreaterThan(0.99);
    const { model } = await readLayersModel(r.files[0]);
    expect(model.layers.length).toBeGreaterThan(5);
    model.dispose();
  });

  it('tfjs per-tensor policy stores the kernel on its own grid (exact up to float rounding); float16 within half precision', async () => {
    const s2 = await openSession({
      model: 'builtin:lenet5-mnist',
      policy: { version: 1, layers: { fc1: { bits: 8, method: 'uniform', granularity: 'per-tensor', symmetric: true } } },
      limit: 200,
    });
    try {
      const r = await exportTarget(s2, 'tfjs', join(dir, 'tfjs-pt'));
      expect(r.layers.find((l) => l.name === 'fc1')).toMatchObject({ storage: 'uint8', flags: [] });
      expect(r.layers.find((l) => l.name === 'fc1')!.maxAbsError).toBeLessThan(1e-6);
      expect(r.verify.agreement).toBe(1);
      const h = await exportTarget(s2, 'tfjs', join(dir, 'tfjs-f16'), { tfjsDtype: 'float16' });
      for (const l of h.layers) expect(l.storage).toBe('float16');
      expect(h.verify.maxAbsError).toBeLessThan(1e-3);
      expect(h.bytes).toBeLessThan(r.float32Bytes / 2 + 20_000);
      // codes beside values: the stored uint8 code decodes to code·scale + min
      const st = readStorage(join(dir, 'tfjs-pt', 'model.json'));
      const w = st.weights.find((x) => x.name === 'fc1/kernel')!;
      expect(w.storage).toBe('uint8');
      w.codes!.forEach((c, i) => expect(w.values[i]).toBeCloseTo(c * w.scale! + w.min!, 6));
    } finally {
      s2.dispose();
    }
  });

  it('AIMET 1.0.0 encodings beside a float ONNX reproduce the simulated weights', () => {
    const r = reports.aimet;
    expect(r.files.map((f) => f.split('/').pop())).toEqual(['model.onnx', 'model.encodings']);
    const enc = JSON.parse(readFileSync(r.files[1], 'utf8'));
    expect(enc.version).toBe('1.0.0');
    const fc1 = enc.param_encodings.find((e: { name: string }) => e.name === 'fc1/kernel');
    expect(fc1).toMatchObject({ dtype: 'INT', enc_type: 'PER_CHANNEL', is_sym: true, bw: 4 });
    expect(fc1.scale).toHaveLength(120);
    expect(fc1.offset.every((o: number) => o === -8)).toBe(true);
    expect(r.verify.maxAbsError).toBeLessThan(1e-6);
    expect(Math.abs(r.verify.top1Reloaded! - r.verify.top1Simulated!)).toBeLessThanOrEqual(0.001);
  });

  it('packed format round-trips exactly: codes, weights and outputs', () => {
    const r = reports.packed;
    expect(r.verify.maxAbsError).toBe(0);
    expect(r.verify.maxOutputDiff).toBe(0);
    expect(r.verify.agreement).toBe(1);
    const p = readPacked(r.files[0]);
    const fc1 = p.tensors.find((t) => t.entry.name === 'fc1/kernel')!;
    expect(fc1.entry).toMatchObject({ kind: 'affine', bits: 4 });
    expect(fc1.entry.data[1]).toBe(24000);
    const plan = s.plan.layers.find((l) => l.name === 'fc1')!;
    expect(Array.from(fc1.q!.codes)).toEqual(Array.from(plan.q!.codes));
    expect(r.layers.find((l) => l.name === 'fc1')!.bytes).toBe(24000 + 4 * 120 + 4 * 120);
    // gzip of the files is real
    expect(gunzipSync).toBeTypeOf('function');
    expect(r.gzipBytes).toBeGreaterThan(0);
  });

  it('codebook policies (k-means per-tensor, pow2 per-channel) go to ONNX as packed codes + codebook via Gather, exact in ONNX Runtime', async () => {
    const s3 = await openSession({
      model: 'builtin:lenet5-mnist',
      policy: { version: 1, layers: { fc1: { bits: 3, method: 'kmeans', granularity: 'per-tensor', symmetric: true }, conv2: { bits: 4, method: 'pow2', granularity: 'per-channel', symmetric: true } } },
      limit: 200,
    });
    try {
      const r = await exportTarget(s3, 'onnx', join(dir, 'onnx-codebook'));
      expect(r.verify.maxAbsError).toBe(0);
      expect(r.verify.agreement).toBe(1);
      const fc1 = r.layers.find((l) => l.name === 'fc1')!;
      // 3-bit k-means: 5 levels (codes 0..4) in int4, half a byte per weight, + 5 codebook floats + bias
      expect(fc1.storage).toBe('int4 + codebook');
      expect(fc1.bytes).toBe(24000 + 4 + 1 + 5 * 4 + 4 * 120);
      expect(fc1.flags.join()).toMatch(/3-bit codebook codes in an int4 container/);
      expect(r.layers.find((l) => l.name === 'conv2')!.storage).toMatch(/codebook/);
      const m = await loadModel(r.files[0]);
      expect((m.metadata!.onnx as { conversionMaxDiff: number }).conversionMaxDiff).toBeLessThan(1e-5);
      m.dispose();
    } finally {
      s3.dispose();
    }
  });

  it('our ONNX export opens as a model (inspect via the converted tfjs model) and diffs against the float model', async () => {
    const m = await loadModel(reports.onnx.files[0]);
    try {
      expect(m.format).toBe('onnx');
      expect((m.metadata?.onnx as { conversionMaxDiff: number }).conversionMaxDiff).toBeLessThan(1e-5);
      const r = await runOnModel(m);
      expect(r.layers.map((l) => l.name)).toEqual(['conv1', 'conv2', 'fc1', 'fc2', 'fc3']);
    } finally {
      m.dispose();
    }
    const d = await diff({ a: 'builtin:lenet5-mnist', b: reports.onnx.files[0], data: 'mnist', limit: 300 });
    expect(d.layers.map((l) => [l.name, l.bitsA, l.bitsB])).toEqual([
      ['conv1', 32, 8],
      ['conv2', 32, 4],
      ['fc1', 32, 4],
      ['fc2', 32, 4],
      ['fc3', 32, 8],
    ]);
    expect(d.layers.find((l) => l.name === 'fc1')!.bytesB).toBe(reports.onnx.layers.find((l) => l.name === 'fc1')!.bytes);
    expect(d.a.top1).toBeGreaterThan(0.97);
    expect(d.b.top1).toBeGreaterThan(0.97);
    expect([d.split, d.n]).toEqual(['test', 300]);
    expect(d.layers.every((l) => l.maxAbsError! > 0 && l.relError! < 0.3)).toBe(true);
  });
});

describe('the policy a model carries', () => {
  it('is used without --policy; one that does not fit the model is a one-line error naming it; "none" ignores it', async () => {
    const m = join(dir, 'carried');
    cpSync(join(builtinModelsDir(), 'lenet5-mnist'), m, { recursive: true });
    writeFileSync(join(m, 'policy.json'), JSON.stringify({ version: 1, layers: { fc1: { bits: 4 } } }));
    const s = await openSession({ model: m, limit: 16 });
    try {
      expect(s.policyPath).toBe(join(m, 'policy.json'));
      expect(s.plan.layers.filter((l) => l.q).map((l) => [l.name, l.bits])).toEqual([['fc1', 4]]);
    } finally {
      s.dispose();
    }
    writeFileSync(join(m, 'policy.json'), JSON.stringify({ version: 1, layers: { nope: { bits: 4 } } }));
    await expectUserError(openSession({ model: m, limit: 16 }), join(m, 'policy.json'), /policy names layer "nope".*--policy none ignores it/);
    const f = await openSession({ model: m, limit: 16, policy: 'none' });
    try {
      expect([f.policyPath, f.plan.layers.some((l) => l.q)]).toEqual([null, false]);
    } finally {
      f.dispose();
    }
  });
});
