/**
 * Adapter for results/headline/*.json: the trimmed quantize / lowrank results kept before result records existed
 * (scripts/experiments/headline.ts --add). Read as records so the report shows them beside new runs; the files
 * stay as they are because headline.ts still fills the docs' marker blocks from them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ResultRecord } from '../../shared/api-report';
import { UserError } from '../core/errors';
import { lowrankMetrics, quantCurves, quantMetrics } from './from-results';

/** row labels of the quant headline runs, by file name (the docs' table uses the same) */
const QUANT_ROWS: Record<string, string> = {
  'lenet-uniform-2b': 'uniform 2-bit + retraining',
  'lenet-uniform-3b': 'uniform 3-bit + retraining',
  'lenet-uniform-4b': 'uniform 4-bit + retraining',
  'lenet-dnq': 'DNQ β 0.03, distance order',
  'lenet-dnq-beta0.08': 'DNQ β 0.08, distance order',
  'lenet-slq-4b': 'SLQ 4-bit, cluster-loss order',
  'lenet-slq-4b-wlq': 'SLQ 4-bit, WLQ code order',
  'lenet-mlq': 'MLQ ternary, one layer per group',
  'lenet-mlq-all-at-once': 'MLQ ternary, all layers at once',
};

type Legacy = Record<string, any>;

function convert(name: string, r: Legacy): ResultRecord {
  const common = {
    schema: 1 as const,
    experiment: 'headline',
    splits: r.splits ?? null,
    backend: String(r.backend ?? 'unknown'),
    version: 'unknown',
    commit: r.measured?.commit ?? null,
    createdAt: '',
    source: `results/headline/${name}.json (scripts/experiments/headline.ts)`,
  };
  if (r.method === 'trp') {
    const net = name.startsWith('trp-resnet8') ? 'resnet8' : 'lenet';
    return {
      ...common,
      table: `headline-trp-${net}`,
      row: `TRP ${r.scheme}, λ ${r.trp?.nuclear ?? '-'}`,
      seed: r.seed,
      config: { method: r.method, scheme: r.scheme, model: r.model, data: r.data, trp: r.trp, ranks: r.ranks },
      metrics: lowrankMetrics(r as never),
      timings: { seconds: r.wallSeconds },
    };
  }
  const row = QUANT_ROWS[name];
  if (!row || !r.quantized) throw new Error(`not a known headline run`);
  return {
    ...common,
    table: 'headline-quant-lenet',
    row,
    seed: r.seeds?.seed ?? r.seed ?? 1,
    config: { method: r.method, model: r.model, data: r.data, policy: r.policy },
    metrics: quantMetrics(r as never),
    curves: quantCurves(r as never, 'distance'),
    timings: { seconds: r.seconds },
  };
}

export function headlineRecords(dir: string): { file: string; record: ResultRecord }[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const file = join(dir, f);
      try {
        return { file, record: ResultRecord.parse(convert(f.replace(/\.json$/, ''), JSON.parse(readFileSync(file, 'utf8')))) };
      } catch (e) {
        throw new UserError(`not a headline result (${(e as Error).message.split('\n')[0]})`, file);
      }
    });
}
