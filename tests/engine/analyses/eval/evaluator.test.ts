// The evaluator option: ONNX Runtime on an in-memory ONNX of the model (with the candidate weights) gives the
// tfjs path's numbers; `auto` records what it picked; a model ONNX export cannot write stays on tfjs, saying why.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../../../src/engine/backend/tf';
import { initBackend } from '../../../../src/engine/backend';
import { plainContext } from '../../../../src/engine/core/context';
import { run } from '../../../../src/engine/analyses/eval';
import * as policyEval from '../../../../src/engine/analyses/quant/policy-eval';
import { pickEvaluator } from '../../../../src/engine/export/ort';
import { loadDataset } from '../../../../src/engine/data';
import { loadModel } from '../../../../src/engine/models/io';
import { Evaluator } from '../../../../src/engine/quant/session';
import { EvalConfig } from '../../../../src/shared/api-eval';
import { PolicyEvalConfig } from '../../../../src/shared/api-quant';
import { tmp, writeGraphConvModel } from '../../formats/fixtures';

const M = 'builtin:lenet5-mnist';

beforeAll(async () => {
  await initBackend();
});

describe('evaluator: tfjs or ONNX Runtime', () => {
  it('eval top-1 through ort equals tfjs within 0.1 pp on 500 val images; auto records its pick', async () => {
    const cfg = { model: M, data: 'mnist', split: 'val' as const, limit: 500, metrics: ['top1'] };
    const viaTf = await run(EvalConfig.parse({ ...cfg, evaluator: 'tfjs' }), plainContext());
    const viaOrt = await run(EvalConfig.parse({ ...cfg, evaluator: 'ort' }), plainContext());
    expect([viaTf.evaluator, viaOrt.evaluator]).toEqual(['tfjs', 'ort']);
    expect(viaOrt.n).toBe(500);
    expect(Math.abs((viaOrt.metrics.top1 as number) - (viaTf.metrics.top1 as number))).toBeLessThanOrEqual(0.001);
    const auto = await run(EvalConfig.parse(cfg), plainContext());
    expect(['tfjs', 'ort']).toContain(auto.evaluator);
    expect(auto.evaluatorNote).toMatch(/^auto: tfjs [\d.]+ ms, ONNX Runtime [\d.]+ ms per batch of 256$/);
    expect(Math.abs((auto.metrics.top1 as number) - (viaTf.metrics.top1 as number))).toBeLessThanOrEqual(0.001);
  });

  it('a policy evaluation (candidate weights re-exported) through ort equals tfjs within 0.1 pp', async () => {
    const model = await loadModel(M);
    const names = model.layers!.layers.filter((l) => ['Conv2D', 'Dense'].includes(l.getClassName())).map((l) => l.name);
    model.dispose();
    const cfg = { model: M, data: 'mnist', policy: Object.fromEntries(names.map((n, i) => [n, i % 2 ? 3 : 4])), limit: 500 };
    const viaTf = await policyEval.run(PolicyEvalConfig.parse({ ...cfg, evaluator: 'tfjs' }), plainContext());
    const viaOrt = await policyEval.run(PolicyEvalConfig.parse({ ...cfg, evaluator: 'ort' }), plainContext());
    expect([viaTf.evaluator, viaOrt.evaluator]).toEqual(['tfjs', 'ort']);
    // the quantized weights moved top-1, and ONNX Runtime saw them
    expect(viaTf.top1).not.toBe(viaTf.baseline);
    expect(Math.abs(viaOrt.baseline - viaTf.baseline)).toBeLessThanOrEqual(0.001);
    expect(Math.abs(viaOrt.top1 - viaTf.top1)).toBeLessThanOrEqual(0.001);
  });

  it('a Sequential layers model runs through ort too, with the tfjs path\'s scores', async () => {
    const m = tf.sequential({ layers: [tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 4, kernelSize: 3, activation: 'relu' }), tf.layers.flatten(), tf.layers.dense({ units: 10 })] });
    const data = await loadDataset('mnist');
    const rows = Uint32Array.from({ length: 64 }, (_, i) => i);
    const [viaTf, viaOrt] = [new Evaluator(m, data.val, data.shape, rows, { evaluator: 'tfjs' }), new Evaluator(m, data.val, data.shape, rows, { evaluator: 'ort' })];
    const [a, b] = [await viaTf.scores(), await viaOrt.scores()];
    viaTf.dispose();
    viaOrt.dispose();
    m.dispose();
    expect([viaTf.by.evaluator, viaOrt.by.evaluator]).toEqual(['tfjs', 'ort']);
    expect(b.scores).toHaveLength(a.scores.length);
    for (let i = 0; i < a.scores.length; i++) expect(Math.abs(b.scores[i] - a.scores[i])).toBeLessThan(1e-4);
  });

  it('a model ONNX export cannot write stays on tfjs with the reason, for eval and for the quant evaluator', async () => {
    const graph = await loadModel(writeGraphConvModel(tmp('ll-evaluator-')));
    const pick = await pickEvaluator('ort', graph.layers, [2, 6, 6, 2], () => new Float32Array(0), graph.ref);
    graph.dispose();
    expect(pick).toEqual({ evaluator: 'tfjs', note: 'ONNX Runtime not used: the model is not a tfjs layers model' });

    // a layer kind the exporter has no emitter for
    const input = tf.input({ shape: [28, 28, 1] });
    const out = tf.layers.layerNormalization().apply(tf.layers.dense({ units: 10 }).apply(tf.layers.flatten().apply(input))) as tf.SymbolicTensor;
    const m = tf.model({ inputs: input, outputs: out });
    const data = await loadDataset('mnist');
    const ev = new Evaluator(m, data.val, data.shape, Uint32Array.from({ length: 50 }, (_, i) => i), { evaluator: 'ort' });
    const score = await ev.score();
    ev.dispose();
    m.dispose();
    expect(score).toBeGreaterThanOrEqual(0);
    expect(ev.by.evaluator).toBe('tfjs');
    expect(ev.by.evaluatorNote).toMatch(/^ONNX Runtime not used: .*LayerNormalization/);
  });
});
