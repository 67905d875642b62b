import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../../../src/engine/backend/tf';
import { initBackend } from '../../../../src/engine/backend';
import { plainContext, type RunContext } from '../../../../src/engine/core/context';
import { CancelledError } from '../../../../src/engine/core/errors';
import { loadDataset } from '../../../../src/engine/data';
import { buildModel } from '../../../../src/engine/models/zoo';
import { loadModel } from '../../../../src/engine/models/io';
import { run, shiftBatch, type TrainConfig } from '../../../../src/engine/analyses/train';
import { top1 } from '../../../../src/engine/analyses/eval';
import { TrainConfig as TrainSchema } from '../../../../src/shared/api';
import { AUTO_BACKEND } from '../../backend/auto';

const tmp = () => mkdtempSync(join(tmpdir(), 'll-train-'));
const cfg = (c: Partial<TrainConfig> & Pick<TrainConfig, 'arch' | 'data' | 'epochs'>): TrainConfig => TrainSchema.parse(c) as TrainConfig;

beforeAll(async () => {
  expect(await initBackend()).toBe(AUTO_BACKEND);
});

describe('shiftBatch', () => {
  it('translates with zero fill', () => {
    // 3×3 image, one channel; the rng picks dy = +1, dx = -1 (floor(r*5) - 2)
    const x = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const draws = [0.6, 0.2];
    shiftBatch(x, 1, [3, 3, 1], () => draws.shift()!);
    expect(Array.from(x)).toEqual([0, 0, 0, 2, 3, 0, 5, 6, 0]);
  });
});

describe('train', () => {
  it('a few epochs of ResNet-8 on a Fashion-MNIST subset improve accuracy (seeded)', async () => {
    const out = tmp();
    const config = cfg({ arch: 'resnet8', data: 'fashion-mnist', epochs: 3, seed: 3, limit: 1024, evalLimit: 500, batchSize: 32 });
    const data = await loadDataset('fashion-mnist');
    const untrained = buildModel('resnet8', { inputShape: data.shape, classes: 10, seed: 3 });
    const before = await top1((x) => untrained.predict(x) as tf.Tensor, data.test, data.shape, { limit: 500 });
    untrained.dispose();

    const fractions: number[] = [];
    const r = await run(config, plainContext((p) => fractions.push(p.fraction), out));
    expect(r.history).toHaveLength(3);
    expect(r.history[2].loss).toBeLessThan(r.history[0].loss);
    expect(r.history[2].valTop1).toBeGreaterThan(before.top1 + 0.25);
    expect(r.top1).toBeGreaterThan(0.6);
    expect(r.n).toBe(10_000);
    expect(r.backend).toBe(AUTO_BACKEND);
    // progress is monotone and ends at 1
    expect(fractions.every((f, i) => i === 0 || f >= fractions[i - 1])).toBe(true);
    expect(fractions.at(-1)).toBe(1);
    // the saved model reloads and gives the reported accuracy
    const loaded = await loadModel(r.modelPath);
    const again = await top1((x) => loaded.predict(x), data.test, data.shape, {});
    // the last epoch's valTop1 is the final model on the first evalLimit val images (not test)
    const onVal = await top1((x) => loaded.predict(x), data.val, data.shape, { limit: 500 });
    loaded.dispose();
    expect(again.top1).toBeCloseTo(r.top1, 6);
    expect(r.split).toBe('test');
    expect(r.history[2].valTop1).toBeCloseTo(onVal.top1, 6);
    expect(r.val).toEqual({ split: 'val', n: 500 });
    expect(r.splits).toEqual({ valFraction: 0.1, valSeed: 4321, splitSeed: 1234, nTrain: 54000, nVal: 6000, nTest: 10000 });
    const record = JSON.parse(readFileSync(join(out, 'train.json'), 'utf8'));
    expect(record.config.seed).toBe(3);
  });

  it('a run resumed from its epoch checkpoint ends where an uninterrupted run ends', async () => {
    const base = { arch: 'lenet5', data: 'mnist', seed: 5, limit: 512, evalLimit: 200 } as const;
    const a = tmp();
    await run(cfg({ ...base, epochs: 1 }), plainContext(undefined, a)); // "killed" after epoch 1
    expect(existsSync(join(a, 'checkpoint', 'state.json'))).toBe(true);
    const resumed = await run(cfg({ ...base, epochs: 2 }), plainContext(undefined, a));
    const b = tmp();
    const straight = await run(cfg({ ...base, epochs: 2 }), plainContext(undefined, b));
    expect(resumed.history.map((h) => h.loss)).toEqual(straight.history.map((h) => h.loss));
    expect(resumed.top1).toBe(straight.top1);
    const [ma, mb] = [await loadModel(resumed.modelPath), await loadModel(straight.modelPath)];
    const wa = ma.layers!.getWeights().map((w) => w.dataSync());
    const wb = mb.layers!.getWeights().map((w) => w.dataSync());
    for (let i = 0; i < wa.length; i++) expect(Array.from(wa[i])).toEqual(Array.from(wb[i]));
    ma.dispose();
    mb.dispose();
  });

  it('stops on cancel without writing a final model', async () => {
    const out = tmp();
    const abort = new AbortController();
    const ctx: RunContext = {
      signal: abort.signal,
      workDir: out,
      progress: (p) => {
        if (p.metrics?.step !== undefined) abort.abort();
      },
    };
    await expect(run(cfg({ arch: 'lenet5', data: 'mnist', epochs: 3, limit: 2048, seed: 1 }), ctx)).rejects.toBeInstanceOf(CancelledError);
    expect(existsSync(join(out, 'model.json'))).toBe(false);
  });
});
