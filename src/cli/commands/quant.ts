import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { UserError } from '../../engine/core/errors';
import { QuantizeConfig, SensitivityConfig, type QuantizeResult, type SensitivityResult } from '../../shared/api-quant';
import { EvaluatorChoice } from '../../shared/common';
import { stringFlags, UsageError, numFlag, numListFlag, oneOf, required, runJobToEnd, type CliCommand } from '../util';

const pct = (x: number) => `${(x * 100).toFixed(2)} %`;

/** --pinned conv1=8,fc3=4 */
function layerBitsFlag(name: string, v: unknown): Record<string, number> | undefined {
  if (v === undefined) return undefined;
  const out: Record<string, number> = {};
  for (const part of String(v).split(',')) {
    const m = /^\s*([^=\s]+)\s*=\s*(\d+)\s*$/.exec(part);
    if (!m) throw new UsageError(`--${name} must be layer=bits[,layer=bits…], got "${String(v).slice(0, 80)}"`);
    out[m[1]] = Number(m[2]);
  }
  return out;
}

/** --policy FILE: a policy.json ({layers: {name: {bits}}}) or a plain {name: bits} map */
function policyFile(v: unknown): Record<string, number> | undefined {
  if (v === undefined) return undefined;
  const file = resolve(String(v));
  if (!existsSync(file)) throw new UserError('policy file not found', file);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new UserError('policy file is not valid JSON', file);
  }
  const layers = (json as { layers?: unknown })?.layers ?? json;
  if (!layers || typeof layers !== 'object' || Array.isArray(layers)) throw new UserError('policy file must map layer names to bits', file);
  const out: Record<string, number> = {};
  for (const [k, e] of Object.entries(layers as Record<string, unknown>)) {
    const bits = typeof e === 'number' ? e : (e as { bits?: unknown })?.bits;
    if (typeof bits !== 'number' || !Number.isInteger(bits) || bits < 2 || bits > 32) throw new UserError(`policy file: layer "${k}" needs integer bits 2..32`, file);
    out[k] = bits;
  }
  return out;
}

function formatSensitivity(r: SensitivityResult): string {
  const bits = Object.keys(r.layers[0]?.bits ?? {});
  const w = Math.max(6, ...r.layers.map((l) => l.name.length));
  const head = `${'layer'.padEnd(w)}  ${'params'.padStart(8)}  ${bits.map((b) => `${b}-bit`.padStart(8)).join('  ')}`;
  const rows = r.layers.map((l) => `${l.name.padEnd(w)}  ${String(l.params).padStart(8)}  ${bits.map((b) => pct(l.bits[b]).padStart(8)).join('  ')}`);
  return [`baseline ${r.metric} ${pct(r.baseline)} on ${r.n} ${r.split} images (${r.method}, ${r.granularity})`, head, ...rows].join('\n');
}

function formatQuantize(r: QuantizeResult): string {
  const lines = [
    `${r.method}: ${r.metric} ${pct(r.quantized.top1)} (float ${pct(r.baseline.top1)}, drop ${((r.baseline.top1 - r.quantized.top1) * 100).toFixed(2)} pp) on ${r.quantized.n} ${r.quantized.split} images`,
    `val (what choices read): ${pct(r.val.quantized)} (float ${pct(r.val.baseline)}) on ${r.val.n} val images`,
    `compression ${r.compressionRatio.toFixed(2)}× over kernels (${r.modelCompressionRatio.toFixed(2)}× with float biases)`,
    `policy: ${Object.entries(r.policy).map(([k, b]) => `${k}=${b}`).join(' ')}`,
  ];
  for (const [order, steps] of Object.entries(r.stepsByOrder ?? { steps: r.steps })) {
    lines.push(`${order}: ${steps.map((s) => `${(s.fraction * 100).toFixed(1)} % → ${pct(s.top1Quantized)} / retrained ${pct(s.top1)}`).join(', ')}`);
  }
  if (r.search) lines.push(`search: ${r.search.episodes} episodes in ${r.search.seconds.toFixed(1)} s (${r.search.episodesPerMinute.toFixed(0)} per minute, ${r.search.evalSize} ${r.search.split} images)`);
  if (r.out) lines.push(`out: ${r.out}`);
  return lines.join('\n');
}

const sensitivity: CliCommand = {
  name: 'sensitivity',
  usage: `  sensitivity <model> --data <ref> [--bits 2,3,4,6,8] [--method kmeans|uniform|pow2]
        [--granularity per-tensor|per-channel] [--group a,b]… [--auto-group] [--limit N] [--subsets K] [--seed S]
        [--metric top1|top5] [--evaluator auto|tfjs|ort] [--json]
                                                 val top-1 (or --metric) with one layer (or group) quantized at a time`,
  options: {
    ...stringFlags('data', 'bits', 'method', 'granularity'),
    group: { type: 'string', multiple: true },
    'auto-group': { type: 'boolean' },
    ...stringFlags('limit', 'subsets', 'seed', 'metric', 'evaluator'),
  },
  positionals: { count: 1, what: 'a <model>' },
  async run(a) {
    const groups = a.values.group as unknown as string[] | undefined;
    const config = {
      model: a.positionals[0],
      data: required('data', a.values.data as string | undefined),
      bits: numListFlag('bits', a.values.bits, SensitivityConfig),
      method: oneOf('method', a.values.method, ['kmeans', 'uniform', 'pow2'] as const),
      granularity: oneOf('granularity', a.values.granularity, ['per-tensor', 'per-channel'] as const),
      groups: groups?.map((g) => g.split(',').map((s) => s.trim())),
      autoGroup: a.values['auto-group'] === true ? true : undefined,
      limit: numFlag('limit', a.values.limit, SensitivityConfig),
      subsets: numFlag('subsets', a.values.subsets, SensitivityConfig),
      seed: numFlag('seed', a.values.seed, SensitivityConfig),
      metric: a.values.metric as string | undefined,
      evaluator: oneOf('evaluator', a.values.evaluator, EvaluatorChoice.options),
    };
    const r = (await runJobToEnd(a, { kind: 'sensitivity', config })) as SensitivityResult;
    a.out(a.json ? JSON.stringify(r) : formatSensitivity(r));
  },
};

const quantize: CliCommand = {
  name: 'quantize',
  usage: `  quantize <model> --data <ref> --method <uniform|dnq|slq|mlq> [--bits B] [--episodes N]
        [--order distance|magnitude] [--out DIR] [--bit-choices 2,3,4,5,6,8] [--codebook kmeans|pow2|uniform]
        [--granularity per-tensor|per-channel] [--fractions 0.5,0.75,0.875,1] [--retrain-epochs E] [--lr X]
        [--controller lstm|mlp] [--reward additive|multiplicative] [--pinned layer=bits,…] [--policy FILE]
        [--eval-size N] [--train-limit N] [--eval-limit N] [--single-order] [--seed S] [--metric top1|top5]
        [--evaluator auto|tfjs|ort] [--json]
                                                 quantize weights (episodes and steps read val, the result is on test);
                                                 --out holds model.json, policy.json, quantize.json`,
  options: {
    ...stringFlags('data', 'method', 'bits', 'episodes', 'order', 'out', 'bit-choices', 'codebook', 'granularity', 'fractions', 'retrain-epochs', 'lr', 'controller', 'reward', 'pinned', 'policy', 'eval-size', 'train-limit', 'eval-limit'),
    'single-order': { type: 'boolean' },
    seed: { type: 'string' },
    metric: { type: 'string' },
    evaluator: { type: 'string' },
  },
  positionals: { count: 1, what: 'a <model>' },
  async run(a) {
    const config = {
      model: a.positionals[0],
      data: required('data', a.values.data as string | undefined),
      method: required('method', oneOf('method', a.values.method, ['uniform', 'dnq', 'slq', 'mlq'] as const)),
      bits: numFlag('bits', a.values.bits, QuantizeConfig),
      episodes: numFlag('episodes', a.values.episodes, QuantizeConfig),
      order: oneOf('order', a.values.order, ['distance', 'magnitude'] as const),
      out: a.values.out !== undefined ? resolve(String(a.values.out)) : undefined,
      bitChoices: numListFlag('bit-choices', a.values['bit-choices'], QuantizeConfig),
      codebook: oneOf('codebook', a.values.codebook, ['kmeans', 'pow2', 'uniform'] as const),
      granularity: oneOf('granularity', a.values.granularity, ['per-tensor', 'per-channel'] as const),
      fractions: numListFlag('fractions', a.values.fractions, QuantizeConfig),
      retrainEpochs: numFlag('retrain-epochs', a.values['retrain-epochs'], QuantizeConfig),
      learningRate: numFlag('lr', a.values.lr, QuantizeConfig, 'learningRate'),
      controller: oneOf('controller', a.values.controller, ['lstm', 'mlp'] as const),
      reward: oneOf('reward', a.values.reward, ['additive', 'multiplicative'] as const),
      pinned: layerBitsFlag('pinned', a.values.pinned),
      policy: policyFile(a.values.policy),
      episodeEvalSize: numFlag('eval-size', a.values['eval-size'], QuantizeConfig, 'episodeEvalSize'),
      trainLimit: numFlag('train-limit', a.values['train-limit'], QuantizeConfig),
      evalLimit: numFlag('eval-limit', a.values['eval-limit'], QuantizeConfig),
      compareOrders: a.values['single-order'] === true ? false : undefined,
      seed: numFlag('seed', a.values.seed, QuantizeConfig),
      metric: a.values.metric as string | undefined,
      evaluator: oneOf('evaluator', a.values.evaluator, EvaluatorChoice.options),
    };
    const r = (await runJobToEnd(a, { kind: 'quantize', config })) as QuantizeResult;
    a.out(a.json ? JSON.stringify(r) : formatQuantize(r));
  },
};

/** `layerlens` commands of the quant capability. */
export const quantCommands: CliCommand[] = [sensitivity, quantize];
