/** A fixed policy quantized by nearest level, no retraining: the studio's quick "re-evaluate". */
import { z } from 'zod';
import { backendName } from '../../backend';
import type { RunContext } from '../../core/context';
import { UserError } from '../../core/errors';
import { compressionRatio, specFor } from '../../quant/policy';
import { splitsOf } from '../../data';
import { Evaluator } from '../../quant/session';
import { PolicyEvalConfig as Schema, type PolicyEvalResult } from '../../../shared/api-quant';
import { layerIndex, prepare, writeQuantized } from './common';

export type PolicyEvalConfig = z.output<typeof Schema>;

export async function run(config: PolicyEvalConfig, ctx: RunContext): Promise<PolicyEvalResult> {
  ctx.progress({ fraction: 0, stage: 'loading' });
  const p = await prepare(config.model, config.data);
  try {
    const { layers, data } = p;
    layerIndex(layers, Object.keys(config.policy), 'policy');
    const missing = layers.filter((l) => config.policy[l.name] === undefined).map((l) => l.name);
    if (missing.length) throw new UserError(`policy: no bits for ${missing.join(', ')}`);
    // trying policies is choosing one: val
    const n = Math.min(config.limit ?? data.val.n, data.val.n);
    const ev = new Evaluator(p.model, data.val, data.shape, Uint32Array.from({ length: n }, (_, i) => i), { metric: config.metric, evaluator: config.evaluator });
    try {
      const baseline = await ev.score();
      const cb = { method: config.codebook, granularity: config.granularity, symmetric: true } as const;
      const specs = layers.map((l) => (config.policy[l.name] >= 32 ? null : specFor(config.policy[l.name], cb, config.seed)));
      specs.forEach((s, i) => s && writeQuantized(p, i, s));
      const top1 = await ev.score();
      const cr = compressionRatio(layers, specs);
      ctx.progress({ fraction: 1, stage: 'done', metrics: { top1, cr } });
      return { policy: config.policy, top1, n: ev.n, split: 'val', splits: splitsOf(data), metric: ev.metric, baseline, compressionRatio: cr, backend: backendName(), ...ev.by };
    } finally {
      ev.dispose();
    }
  } finally {
    p.dispose();
  }
}
