/** Layer sensitivity: quantize one layer (or one coupled group) at a time and measure top-1. */
import { z } from 'zod';
import { backendName } from '../../backend';
import type { RunContext } from '../../core/context';
import { throwIfCancelled } from '../../core/context';
import { UserError } from '../../core/errors';
import { seededPermutation } from '../../core/random';
import { splitsOf } from '../../data';
import { Evaluator, writeKernel } from '../../quant/session';
import { SensitivityConfig as Schema, type SensitivityResult } from '../../../shared/api-quant';
import { layerIndex, prepare, residualGroups, writeQuantized } from './common';

export type SensitivityConfig = z.output<typeof Schema>;

export async function run(config: SensitivityConfig, ctx: RunContext): Promise<SensitivityResult> {
  ctx.progress({ fraction: 0, stage: 'loading' });
  const p = await prepare(config.model, config.data);
  try {
    const { layers, data } = p;
    const idx = layerIndex(layers, config.groups.flat(), 'sensitivity --groups');
    const grouped = [...config.groups, ...(config.autoGroup ? residualGroups(p.model, layers) : [])];
    const seen = new Set<string>();
    const rows: string[][] = [];
    for (const g of grouped) {
      const fresh = g.filter((n) => !seen.has(n));
      if (fresh.length !== g.length) throw new UserError(`sensitivity --groups: a layer is in two groups (${g.join('+')})`);
      fresh.forEach((n) => seen.add(n));
      rows.push(fresh);
    }
    for (const l of layers) if (!seen.has(l.name)) rows.push([l.name]);
    rows.sort((a, b) => idx.get(a[0])! - idx.get(b[0])!);

    // a sensitivity map drives choices (bits per layer, groups), so it reads val
    const n = Math.min(data.val.n, config.limit ?? data.val.n);
    const order = config.limit ? seededPermutation(data.val.n, config.seed).slice(0, n).sort() : undefined;
    const ev = new Evaluator(p.model, data.val, data.shape, order, { metric: config.metric, evaluator: config.evaluator });
    try {
      const K = config.subsets;
      // disjoint seeded subsets of the evaluation set, for the spread
      const rowsOf: number[][] = Array.from({ length: K }, () => []);
      if (K > 1) Array.from(seededPermutation(ev.n, config.seed + 1)).forEach((v, i) => rowsOf[i % K].push(v));
      const spreadOf = (scores: Float32Array, classes: number) => {
        const acc = rowsOf.map((rows) => (rows.length ? ev.on(scores, classes, rows) : 0));
        const mean = acc.reduce((a, b) => a + b, 0) / K;
        const std = Math.sqrt(acc.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, K - 1));
        return { mean, std, min: Math.min(...acc), max: Math.max(...acc) };
      };
      const baseline = await ev.score();
      const total = rows.length * config.bits.length;
      let done = 0;
      const out: SensitivityResult['layers'] = [];
      for (const members of rows) {
        const bits: Record<string, number> = {};
        const spread: NonNullable<SensitivityResult['layers'][number]['spread']> = {};
        for (const b of config.bits) {
          throwIfCancelled(ctx);
          for (const name of members) {
            writeQuantized(p, idx.get(name) ?? layers.findIndex((l) => l.name === name), {
              bits: b,
              method: config.method,
              granularity: config.granularity,
              symmetric: true,
              seed: config.seed,
            });
          }
          const r = await ev.evaluate();
          bits[String(b)] = r.value;
          if (K > 1) spread[String(b)] = spreadOf(r.scores, r.classes);
          for (const name of members) {
            const i = layers.findIndex((l) => l.name === name);
            writeKernel(layers[i], p.original[i]);
          }
          done++;
          ctx.progress({ fraction: done / total, stage: `${members.join('+')} @ ${b} bits`, metrics: { cell: done, bits: b, top1: r.value } });
          await new Promise((r) => setImmediate(r));
        }
        const params = members.reduce((s, name) => s + layers.find((l) => l.name === name)!.size, 0);
        out.push({ name: members.join('+'), members, params, bits, ...(K > 1 ? { spread } : {}) });
      }
      ctx.progress({ fraction: 1, stage: 'done', metrics: { baseline } });
      return {
        model: config.model,
        data: config.data,
        method: config.method,
        granularity: config.granularity,
        baseline,
        n: ev.n,
        split: 'val',
        splits: splitsOf(data),
        metric: ev.metric,
        seed: config.seed,
        subsets: K,
        backend: backendName(),
        ...ev.by,
        layers: out,
      };
    } finally {
      ev.dispose();
    }
  } finally {
    p.dispose();
  }
}
