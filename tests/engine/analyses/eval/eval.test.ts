import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../../src/engine/backend';
import { plainContext } from '../../../../src/engine/core/context';
import { UserError } from '../../../../src/engine/core/errors';
import { detectionDataset, forgetLoadedDatasets, loadDataset, registerDatasetKind } from '../../../../src/engine/data';
import { loadModel } from '../../../../src/engine/models/io';
import { measure, run, scoreSplit } from '../../../../src/engine/analyses/eval';
import * as tf from '../../../../src/engine/backend/tf';
import { computeMetrics } from '../../../../src/engine/metrics';
import { EvalConfig } from '../../../../src/shared/api-eval';

const M = 'builtin:lenet5-mnist';

beforeAll(async () => {
  await initBackend();
});

describe('eval by split, with the task’s metrics', () => {
  it('classification: top1, top5, perClass and confusion on the split asked for, each consistent with the scores', async () => {
    const r = await run(EvalConfig.parse({ model: M, data: 'mnist', split: 'val', limit: 300 }), plainContext());
    expect(r.task).toBe('classification');
    expect([r.split, r.n]).toEqual(['val', 300]);
    expect(Object.keys(r.metrics)).toEqual(['top1', 'top5', 'perClass', 'confusion']);
    const confusion = r.metrics.confusion as number[][];
    // the confusion matrix holds every example once, its diagonal is top-1's hits
    expect(confusion.flat().reduce((a, b) => a + b, 0)).toBe(300);
    expect(confusion.reduce((s, row, c) => s + row[c], 0) / 300).toBeCloseTo(r.metrics.top1 as number, 12);
    expect(r.metrics.top5 as number).toBeGreaterThanOrEqual(r.metrics.top1 as number);
    expect(r.classNames).toHaveLength(10);
    expect(r.splits).toMatchObject({ nVal: 800, nTest: 2000 });

    // the same numbers from the val images themselves, through the registry
    const model = await loadModel(M);
    const data = await loadDataset('mnist');
    const s = await scoreSplit((x) => model.predict(x), data.val, data.shape, { limit: 300 });
    model.dispose();
    expect(computeMetrics('classification', s, ['top1']).metrics.top1).toBe(r.metrics.top1);
  });

  it('test is the default split; metrics can be chosen; an unknown or wrong-task metric is a one-line error', async () => {
    const r = await run(EvalConfig.parse({ model: M, data: 'mnist', limit: 200, metrics: ['top1'] }), plainContext());
    expect([r.split, r.n]).toEqual(['test', 200]);
    expect(Object.keys(r.metrics)).toEqual(['top1']);
    await expect(run(EvalConfig.parse({ model: M, data: 'mnist', limit: 10, metrics: ['mAP50'] }), plainContext())).rejects.toThrow(
      'metric mAP50 is for detection, not classification',
    );
  });

  it('a model that scores fewer classes than the labels use is a one-line error, not a crash', async () => {
    const data = await loadDataset('mnist');
    const three = (x: tf.Tensor) => tf.zeros([x.shape[0]!, 3]);
    await expect(measure(three, data.val, data.shape, { limit: 50 })).rejects.toThrow(/^the model scores 3 classes but the dataset has class id [3-9]$/);
  });

  it('a detection dataset is recognised by its task and refused in one line until detectors exist', async () => {
    const remove = registerDatasetKind({
      name: 'eval-test-boxes',
      task: 'detection',
      expects: 'boxes:<name>',
      match: (ref) => ref.startsWith('boxes:'),
      key: (ref) => ref,
      load: async (ref) => detectionDataset({ ref, name: ref, classNames: ['a'], train: [], test: [{ id: 'i', width: 4, height: 4, channels: 3, labels: [0] }], splitSeed: 1 }),
    });
    try {
      const err = await run(EvalConfig.parse({ model: M, data: 'boxes:x' }), plainContext()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UserError);
      expect((err as Error).message).toMatch(/^boxes:x is a detection dataset: .*mAP50, corloc\)$/);
    } finally {
      remove();
      forgetLoadedDatasets();
    }
  });
});
