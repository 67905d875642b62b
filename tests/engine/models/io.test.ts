import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../../src/engine/backend/tf';
import { initBackend } from '../../../src/engine/backend';
import { buildModel } from '../../../src/engine/models/zoo';
import { builtinModelsDir, listBuiltinModels, loadModel, repoRoot, saveLayersModel } from '../../../src/engine/models/io';
import { expectUserError, GRAPH_X, GRAPH_Y, tmp, writeGraphModel } from '../formats/fixtures';

beforeAll(async () => {
  await initBackend();
});

const saved = process.env.LAYERLENS_MODELS_DIR;
afterEach(() => {
  if (saved === undefined) delete process.env.LAYERLENS_MODELS_DIR;
  else process.env.LAYERLENS_MODELS_DIR = saved;
});

describe('save → load', () => {
  it('round-trips weights, predictions, input shape and metadata', async () => {
    const dir = tmp('ll-io-');
    const m = buildModel('lenet5', { inputShape: [28, 28, 1], classes: 10, seed: 3 });
    const file = await saveLayersModel(m, dir, { layerlens: { arch: 'lenet5', top1: 0.5 } });
    expect(file).toBe(join(dir, 'model.json'));
    expect(readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin']); // no temp files left
    // 61,706 float32 weights
    expect(readFileSync(join(dir, 'weights.bin')).byteLength).toBe(61706 * 4);

    for (const ref of [file, dir]) {
      const loaded = await loadModel(ref);
      expect(loaded.format).toBe('tfjs-layers');
      expect(loaded.path).toBe(file);
      expect(loaded.inputShape).toEqual([null, 28, 28, 1]);
      expect(loaded.metadata).toEqual({ layerlens: { arch: 'lenet5', top1: 0.5 } });
      expect(loaded.layers!.layers.map((l) => l.name)).toEqual(m.layers.map((l) => l.name));
      const a = m.getWeights();
      const b = loaded.layers!.getWeights();
      expect(b.length).toBe(a.length);
      a.forEach((w, i) => expect(Array.from(b[i].dataSync())).toEqual(Array.from(w.dataSync())));
      const x = tf.randomUniform([3, 28, 28, 1], 0, 1, 'float32', 11);
      const ya = m.predict(x) as tf.Tensor;
      const yb = loaded.predict(x);
      expect(Array.from(yb.dataSync())).toEqual(Array.from(ya.dataSync()));
      tf.dispose([x, ya, yb]);
      loaded.dispose();
    }
    m.dispose();
  });

  it('overwrites an existing model in place and keeps other files', async () => {
    const dir = tmp('ll-io-');
    writeFileSync(join(dir, 'train.json'), '{}');
    const a = buildModel('lenet5', { inputShape: [28, 28, 1], classes: 10, seed: 1 });
    const b = buildModel('cifar-quick', { inputShape: [32, 32, 3], classes: 10, seed: 1 });
    await saveLayersModel(a, dir);
    await saveLayersModel(b, dir);
    expect(readdirSync(dir).sort()).toEqual(['model.json', 'train.json', 'weights.bin']);
    const loaded = await loadModel(dir);
    expect(loaded.inputShape).toEqual([null, 32, 32, 3]);
    expect(loaded.layers!.countParams()).toBe(b.countParams());
    expect(loaded.metadata).toBeUndefined();
    [a, b, loaded].forEach((m) => m.dispose());
  });

  it('refuses to write NaN weights and leaves the old model intact', async () => {
    const dir = tmp('ll-io-');
    const m = buildModel('lenet5', { inputShape: [28, 28, 1], classes: 10, seed: 1 });
    await saveLayersModel(m, dir);
    const before = readFileSync(join(dir, 'weights.bin'));
    const fc3 = m.getLayer('fc3');
    fc3.setWeights([tf.fill([84, 10], NaN), tf.zeros([10])]);
    await expectUserError(saveLayersModel(m, dir), join(dir, 'model.json'), /fc3\/kernel contains NaN/);
    expect(readFileSync(join(dir, 'weights.bin')).equals(before)).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin']);
    m.dispose();
  });

  it('loads a graph model through the same entry point', async () => {
    const file = writeGraphModel(tmp('ll-io-'));
    const g = await loadModel(file);
    expect(g.format).toBe('tfjs-graph');
    expect(g.graph).toBeDefined();
    expect(g.inputShape).toEqual([null, 4]);
    const y = g.predict(tf.tensor2d([GRAPH_X]));
    Array.from(y.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(GRAPH_Y[i], 5));
    y.dispose();
    g.dispose();
  });

  it('names the path of a missing model, an empty folder and an .onnx file', async () => {
    const dir = tmp('ll-io-');
    await expectUserError(loadModel(join(dir, 'nope', 'model.json')), join(dir, 'nope', 'model.json'), /not found/);
    await expectUserError(loadModel(dir), join(dir, 'model.json'), /not found/);
    await expectUserError(loadModel(join(dir, 'm.onnx')), join(dir, 'm.onnx'), /ONNX/);
    await expectUserError(loadModel(''), '', /no model given/);
  });
});

describe('builtin models', () => {
  it('lives in <repo>/resources/models by default', () => {
    delete process.env.LAYERLENS_MODELS_DIR;
    expect(existsSync(join(repoRoot(), 'package.json'))).toBe(true);
    expect(repoRoot()).toBe(resolve(import.meta.dirname, '../../..'));
    expect(builtinModelsDir()).toBe(join(resolve(import.meta.dirname, '../../..'), 'resources', 'models'));
  });

  it('lists folders holding a model.json and loads them as builtin:<name>', async () => {
    const root = tmp('ll-builtin-');
    process.env.LAYERLENS_MODELS_DIR = root;
    expect(listBuiltinModels()).toEqual([]);
    const m = buildModel('lenet5', { inputShape: [28, 28, 1], classes: 10, seed: 9 });
    await saveLayersModel(m, join(root, 'tiny-b'));
    await saveLayersModel(m, join(root, 'tiny-a'));
    mkdirSync(join(root, 'empty')); // no model.json: not listed
    writeFileSync(join(root, 'README.md'), 'x');
    expect(listBuiltinModels()).toEqual([
      { ref: 'builtin:tiny-a', name: 'tiny-a' },
      { ref: 'builtin:tiny-b', name: 'tiny-b' },
    ]);
    const loaded = await loadModel('builtin:tiny-a');
    expect(loaded.format).toBe('builtin');
    expect(loaded.name).toBe('tiny-a');
    expect(loaded.ref).toBe('builtin:tiny-a');
    expect(loaded.path).toBe(join(root, 'tiny-a', 'model.json'));
    expect(loaded.layers!.countParams()).toBe(61706);
    loaded.dispose();
    const e = await expectUserError(loadModel('builtin:nope'), 'builtin:nope', /unknown builtin model "nope"/);
    expect(e.message).toContain('tiny-a, tiny-b');
    await expectUserError(loadModel('builtin:../tiny-a'), 'builtin:../tiny-a', /unknown builtin model/);
    m.dispose();
  });
});
