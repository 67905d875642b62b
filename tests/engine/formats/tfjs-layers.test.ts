import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/engine/backend';
import { buildModel } from '../../../src/engine/models/zoo';
import { loadModel } from '../../../src/engine/models/io';
import { readLayersModel, writeLayersModel } from '../../../src/engine/formats/tfjs-layers';
import { detectTfjsFormat, entryBytes } from '../../../src/engine/formats/tfjs-weights';
import { expectUserError, tmp, writeGraphModel } from './fixtures';

let good: string;
beforeAll(async () => {
  await initBackend();
  good = tmp('ll-layers-');
  const m = buildModel('lenet5', { inputShape: [28, 28, 1], classes: 10, seed: 4 });
  await writeLayersModel(m, good);
  m.dispose();
});

/** A copy of the good model, edited. */
function variant(edit: (json: Record<string, any>, weights: Buffer) => { json?: unknown; weights?: Buffer | null; raw?: string }): string {
  const dir = tmp('ll-bad-');
  const json = JSON.parse(readFileSync(join(good, 'model.json'), 'utf8'));
  const weights = readFileSync(join(good, 'weights.bin'));
  const r = edit(json, weights);
  writeFileSync(join(dir, 'model.json'), r.raw ?? JSON.stringify(r.json ?? json));
  if (r.weights !== null) writeFileSync(join(dir, 'weights.bin'), r.weights ?? weights);
  return dir;
}

describe('tfjs-layers format', () => {
  it('reads what it wrote', async () => {
    const { model, file } = await readLayersModel(join(good, 'model.json'));
    expect(file.format).toBe('tfjs-layers');
    expect(model.countParams()).toBe(61706);
    expect(file.specs.map((s) => s.name)).toContain('conv1/kernel');
    const json = JSON.parse(readFileSync(join(good, 'model.json'), 'utf8'));
    expect(json.format).toBe('layers-model');
    expect(json.weightsManifest).toEqual([{ paths: ['weights.bin'], weights: expect.any(Array) }]);
    model.dispose();
  });

  it('knows the byte size of every storage dtype', () => {
    expect(entryBytes({ name: 'a', shape: [2, 3], dtype: 'float32' })).toBe(24);
    expect(entryBytes({ name: 'a', shape: [2, 3], dtype: 'float32', quantization: { dtype: 'float16' } })).toBe(12);
    expect(entryBytes({ name: 'a', shape: [2, 3], dtype: 'float32', quantization: { dtype: 'uint8', scale: 1, min: 0 } })).toBe(6);
    expect(entryBytes({ name: 'a', shape: [2, 3], dtype: 'float32', quantization: { dtype: 'uint16', scale: 1, min: 0 } })).toBe(12);
    expect(entryBytes({ name: 'a', shape: [5], dtype: 'int32' })).toBe(20);
    expect(entryBytes({ name: 'a', shape: [5], dtype: 'bool' })).toBe(5);
    expect(detectTfjsFormat({ modelTopology: { class_name: 'Sequential' } })).toBe('tfjs-layers');
    expect(detectTfjsFormat({ modelTopology: { node: [] } })).toBe('tfjs-graph');
    expect(detectTfjsFormat({ format: 'graph-model' })).toBe('tfjs-graph');
    expect(detectTfjsFormat({ foo: 1 })).toBeNull();
    expect(detectTfjsFormat([1])).toBeNull();
  });

  describe('bad input gives a one-line UserError naming the file', () => {
    it('missing model.json', async () => {
      const f = join(tmp('ll-bad-'), 'model.json');
      await expectUserError(readLayersModel(f), f, /not found/);
      await expectUserError(loadModel(f), f, /not found/);
    });

    it('invalid JSON', async () => {
      const dir = variant(() => ({ raw: '{ "modelTopology": {\n oops' }));
      const f = join(dir, 'model.json');
      await expectUserError(readLayersModel(f), f, /not valid JSON/);
      await expectUserError(loadModel(dir), f, /not valid JSON/);
    });

    it('JSON that is not a tfjs model', async () => {
      for (const json of [{ hello: 'world' }, [1, 2, 3], 'text', { format: 'layers-model' }]) {
        const dir = variant(() => ({ json }));
        await expectUserError(loadModel(dir), join(dir, 'model.json'), /not a TensorFlow\.js/);
      }
    });

    it('a missing weight shard', async () => {
      const dir = variant(() => ({ weights: null }));
      await expectUserError(loadModel(dir), join(dir, 'weights.bin'), /weight shard is missing/);
    });

    it('a truncated weight shard (and one too long)', async () => {
      const short = variant((_, w) => ({ weights: w.subarray(0, w.byteLength - 8) }));
      const e = await expectUserError(loadModel(short), join(short, 'weights.bin'), /truncated/);
      expect(e.message).toContain(`holds ${61706 * 4 - 8} bytes`);
      expect(e.message).toContain(`needs ${61706 * 4}`);
      expect(e.message).toContain(join(short, 'model.json'));
      const long = variant((_, w) => ({ weights: Buffer.concat([w, Buffer.alloc(4)]) }));
      await expectUserError(loadModel(long), join(long, 'weights.bin'), /more than/);
    });

    it('a weight whose shape does not match its layer', async () => {
      // same element count, so the byte check passes and the layer check must catch it
      const dir = variant((json) => {
        const k = json.weightsManifest[0].weights.find((w: { name: string }) => w.name === 'conv1/kernel');
        k.shape = [25, 6];
        return {};
      });
      await expectUserError(loadModel(dir), join(dir, 'model.json'), /shape mismatch: weight conv1\/kernel is \[25,6\] .* expects \[5,5,1,6\]/);
    });

    it('a weight the model lacks, or a manifest missing one', async () => {
      const renamed = variant((json) => {
        json.weightsManifest[0].weights[0].name = 'nothing/kernel';
        return {};
      });
      await expectUserError(loadModel(renamed), join(renamed, 'model.json'), /nothing\/kernel/);
    });

    it('NaN and Inf weights', async () => {
      for (const [v, word] of [[NaN, 'NaN'], [Infinity, 'Inf']] as const) {
        const dir = variant((_, w) => {
          const copy = Buffer.from(w);
          copy.writeFloatLE(v, 4 * 3); // the 4th value of conv1/kernel
          return { weights: copy };
        });
        await expectUserError(loadModel(dir), join(dir, 'model.json'), new RegExp(`conv1/kernel contains ${word}`));
      }
    });

    it('a malformed manifest', async () => {
      const bad = variant((json) => {
        json.weightsManifest[0].weights[1].dtype = 'float64';
        return {};
      });
      await expectUserError(loadModel(bad), join(bad, 'model.json'), /unsupported dtype "float64"/);
      const noPaths = variant((json) => {
        json.weightsManifest[0].paths = 'weights.bin';
        return {};
      });
      await expectUserError(loadModel(noPaths), join(noPaths, 'model.json'), /paths/);
    });

    it('a graph model where a layers model is required', async () => {
      const f = writeGraphModel(tmp('ll-bad-'));
      await expectUserError(readLayersModel(f), f, /graph model, not a layers model/);
    });
  });
});
