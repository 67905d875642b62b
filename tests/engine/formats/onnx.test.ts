// ONNX read/write helpers and import of PyTorch/tf2onnx-style CNNs built with onnx-proto.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DT, chooseContainer, encodeModel, packInts, unpackInts } from '../../../src/engine/formats/onnx';
import { loadModel } from '../../../src/engine/models/io';
import { runOnModel } from '../../../src/engine/analyses/inspect';
import { top1 } from '../../../src/engine/analyses/eval';
import { initBackend } from '../../../src/engine/backend';
import * as tf from '../../../src/engine/backend/tf';
import { torchStyleCnn, tf2onnxStyle } from './onnx-fixtures';

const dir = mkdtempSync(join(tmpdir(), 'll-onnx-'));
const put = (name: string, b: Uint8Array) => {
  const p = join(dir, name);
  writeFileSync(p, b);
  return p;
};

describe('ONNX tensors', () => {
  it('packs int4 two per byte, lower index in the low nibble, odd count zero-padded', () => {
    const codes = [-8, 7, 1, -1, 3];
    const raw = packInts(codes, DT.INT4);
    expect(Array.from(raw)).toEqual([0x78, 0xf1, 0x03]);
    expect(Array.from(unpackInts(raw, DT.INT4, 5))).toEqual(codes);
    expect(Array.from(unpackInts(packInts([0, 15, 9], DT.UINT4), DT.UINT4, 3))).toEqual([0, 15, 9]);
    expect(Array.from(unpackInts(packInts([-100, 100], DT.INT8), DT.INT8, 2))).toEqual([-100, 100]);
  });
  it('chooses the smallest opset-21 container', () => {
    expect(chooseContainer(-7, 7)).toBe(DT.INT4);
    expect(chooseContainer(0, 15)).toBe(DT.UINT4);
    expect(chooseContainer(-31, 31)).toBe(DT.INT8);
    expect(chooseContainer(0, 200)).toBe(DT.UINT8);
    expect(chooseContainer(-2000, 2000)).toBe(DT.INT16);
  });
});

describe('ONNX import', () => {
  it('a PyTorch-style residual CNN (opset 13, NCHW) opens, inspects, and its conversion matches ONNX Runtime', async () => {
    await initBackend();
    const m = await loadModel(put('torch.onnx', torchStyleCnn()));
    try {
      expect(m.format).toBe('onnx');
      expect(m.inputShape).toEqual([null, 8, 8, 1]);
      expect((m.metadata!.onnx as { conversionMaxDiff: number }).conversionMaxDiff).toBeLessThan(1e-5);
      const r = await runOnModel(m);
      expect(r.layers.map((l) => l.kind)).toEqual(['Conv2D', 'BatchNormalization', 'Conv2D', 'BatchNormalization', 'DepthwiseConv2D', 'Dense']);
      expect(r.layers[0].weightShape).toEqual([3, 3, 1, 4]);
      // evaluation runs in ONNX Runtime on the file; tfjs and ORT agree on every prediction
      const n = 32;
      const x = Float32Array.from({ length: n * 64 }, (_, i) => ((i * 7919) % 101) / 101);
      const split = { x, y: new Uint8Array(n), n };
      const viaTf = tf.tidy(() => (m.predict(tf.tensor4d(x, [n, 8, 8, 1])).argMax(-1).dataSync() as Int32Array).slice());
      split.y.set(viaTf);
      const r2 = await top1((t) => m.predict(t), split, [8, 8, 1], { predictAsync: (t) => m.predictAsync!(t) });
      expect(r2.top1).toBe(1);
    } finally {
      m.dispose();
    }
  });

  it('a tf2onnx-style model (opset 17, fixed batch 1, Reshape + MatMul + Add) opens with the bias folded into Dense', async () => {
    const m = await loadModel(put('tf2onnx.onnx', tf2onnxStyle()));
    try {
      const r = await runOnModel(m);
      expect(r.layers.map((l) => [l.kind, l.params])).toEqual([
        ['Conv2D', 54],
        ['Dense', 245],
      ]);
      expect((m.metadata!.onnx as { conversionMaxDiff: number }).conversionMaxDiff).toBeLessThan(1e-5);
      const y = await m.predictAsync!(tf.zeros([3, 6, 6, 2]));
      expect(y.shape).toEqual([3, 5]);
      y.dispose();
    } finally {
      m.dispose();
    }
  });

  it('corrupt, truncated, empty and unsupported files give one-line errors naming the file', async () => {
    const good = torchStyleCnn();
    const cases: [string, Uint8Array, RegExp][] = [
      ['trunc.onnx', good.subarray(0, Math.floor(good.length / 2)), /not a valid ONNX file \(truncated or corrupt/],
      ['empty.onnx', new Uint8Array(0), /not a valid ONNX file \(empty\)/],
      ['garbage.onnx', Uint8Array.from({ length: 200 }, (_, i) => (i * 37) & 0xff), /not a valid ONNX file/],
      ['opset9.onnx', torchStyleCnn(9), /opset 9 is not supported/],
      [
        'lstm.onnx',
        encodeModel({
          irVersion: 8,
          opsetImport: [{ version: 13 }],
          graph: {
            node: [{ opType: 'LSTM', input: ['x'], output: ['y'] }],
            input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }, { dimValue: 4 }] } } } }],
            output: [{ name: 'y' }],
          },
        }),
        /ONNX op LSTM .* is not supported by the importer/,
      ],
    ];
    for (const [name, bytes, re] of cases) {
      const p = put(name, bytes);
      const e = await loadModel(p).then(
        () => null,
        (err: Error) => err,
      );
      expect(e, name).not.toBeNull();
      expect(e!.message).toMatch(re);
      expect(e!.message).toContain(p);
      expect(e!.message.split('\n')).toHaveLength(1);
    }
  });
});
