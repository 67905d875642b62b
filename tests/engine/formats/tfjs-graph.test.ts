import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../../src/engine/backend/tf';
import { initBackend } from '../../../src/engine/backend';
import { graphNodes, inputNode, readGraphModel } from '../../../src/engine/formats/tfjs-graph';
import { loadModel } from '../../../src/engine/models/io';
import { expectUserError, GRAPH_B, GRAPH_W, GRAPH_X, GRAPH_Y, tmp, toHalf, writeGraphModel } from './fixtures';

beforeAll(async () => {
  await initBackend();
});

async function predictOnce(file: string): Promise<number[]> {
  const { model } = await readGraphModel(file);
  const x = tf.tensor2d([GRAPH_X, [0, 0, 0, 0]]);
  const y = model.predict(x) as tf.Tensor;
  const out = Array.from(y.dataSync());
  expect(y.shape).toEqual([2, 3]);
  tf.dispose([x, y]);
  model.dispose();
  return out;
}

describe('tfjs-graph format', () => {
  it('reads a hand-written GraphDef model and predicts relu(x·W + b)', async () => {
    const file = writeGraphModel(tmp('ll-graph-'));
    const out = await predictOnce(file);
    // row 1: [1,2,3,4]·W + b = [-1.9, 7.8, 3.3] → relu; row 2: relu(b) = [0.1, 0, 0.3]
    [...GRAPH_Y, 0.1, 0, 0.3].forEach((v, i) => expect(out[i]).toBeCloseTo(v, 5));
    const { model, file: f } = await readGraphModel(file);
    expect(f.format).toBe('tfjs-graph');
    expect(graphNodes(model)!.map((n) => n.op)).toEqual(['Placeholder', 'Const', 'Const', 'MatMul', 'BiasAdd', 'Relu']);
    expect(model.inputs[0].shape).toEqual([-1, 4]);
    expect(Array.from(model.weights.w[0].dataSync())).toEqual(GRAPH_W);
    model.dispose();
  });

  it('reads float16 weights (half the bytes) and dequantizes them', async () => {
    const file = writeGraphModel(tmp('ll-graph-'), 'float16');
    expect(readFileSync(join(dirname(file), 'weights.bin')).byteLength).toBe(15 * 2);
    const out = await predictOnce(file);
    [...GRAPH_Y, 0.1, 0, 0.3].forEach((v, i) => expect(out[i]).toBeCloseTo(v, 3));
    // 0.1 is not exact in half precision: the value read is the half's, not the float's
    expect(out[3]).not.toBe(Math.fround(0.1));
  });

  it('reads affine uint8 weights', async () => {
    const file = writeGraphModel(tmp('ll-graph-'), 'uint8');
    expect(readFileSync(join(dirname(file), 'weights.bin')).byteLength).toBe(15);
    const { model } = await readGraphModel(file);
    const w = Array.from(model.weights.w[0].dataSync());
    const step = 3 / 255; // (max - min) / 255 of W
    w.forEach((v, i) => expect(Math.abs(v - GRAPH_W[i])).toBeLessThanOrEqual(step / 2 + 1e-6));
    model.dispose();
  });

  it('strips output indices and control markers from input names', () => {
    expect(inputNode('a/b:1')).toBe('a/b');
    expect(inputNode('^ctrl')).toBe('ctrl');
    expect(inputNode('plain')).toBe('plain');
  });

  describe('bad input gives a one-line UserError naming the file', () => {
    const edit = (storage: 'float32' | 'float16', f: (json: Record<string, any>, dir: string) => void) => {
      const dir = tmp('ll-gbad-');
      const file = writeGraphModel(dir, storage);
      const json = JSON.parse(readFileSync(file, 'utf8'));
      f(json, dir);
      writeFileSync(file, JSON.stringify(json));
      return file;
    };

    it('a missing or truncated fp16 shard', async () => {
      const missing = edit('float16', (_, dir) => rmSync(join(dir, 'weights.bin')));
      await expectUserError(loadModel(missing), join(dirname(missing), 'weights.bin'), /missing/);
      const short = edit('float16', (_, dir) => writeFileSync(join(dir, 'weights.bin'), Buffer.alloc(28)));
      await expectUserError(loadModel(short), join(dirname(short), 'weights.bin'), /holds 28 bytes, the manifest in .* needs 30/);
      // the same bytes read as float32 would be far too short
      const asF32 = edit('float16', (json) => json.weightsManifest[0].weights.forEach((w: Record<string, unknown>) => delete w.quantization));
      await expectUserError(loadModel(asF32), join(dirname(asF32), 'weights.bin'), /needs 60/);
    });

    it('a weight whose shape does not match its node', async () => {
      const file = edit('float32', (json) => (json.weightsManifest[0].weights[0].shape = [3, 4]));
      await expectUserError(loadModel(file), file, /shape mismatch: weight w is \[3,4\] .* declares \[4,3\]/);
    });

    it('a constant without a weight', async () => {
      const file = edit('float32', (json) => json.modelTopology.node.push({ name: 'orphan', op: 'Const', attr: {} }));
      await expectUserError(loadModel(file), file, /constant orphan has no weight/);
    });

    it('NaN in float16 and Inf in float32 weights', async () => {
      const dir = tmp('ll-gbad-');
      const file = writeGraphModel(dir, 'float16');
      const bytes = readFileSync(join(dir, 'weights.bin'));
      bytes.writeUInt16LE(0x7e00, 2 * 13); // b[1]
      writeFileSync(join(dir, 'weights.bin'), bytes);
      await expectUserError(loadModel(file), file, /weight b contains NaN/);
      const f32 = writeGraphModel(tmp('ll-gbad-'), 'float32', { w: GRAPH_W.map((v, i) => (i === 5 ? Infinity : v)), b: GRAPH_B });
      await expectUserError(loadModel(f32), f32, /weight w contains Inf/);
      expect(toHalf(1)).toBe(0x3c00);
    });

    it('a graph with no node list', async () => {
      const file = edit('float32', (json) => (json.modelTopology = { versions: {} }));
      await expectUserError(loadModel(file), file, /no node list|not a TensorFlow/);
    });
  });
});
