import { resolve } from 'node:path';
import type { LowrankConfig, LowrankResult, SpectrumResult } from '../../shared/api-lowrank';
import { LowrankConfig as LowrankSchema, LowrankSchemes } from '../../shared/api-lowrank';
import { stringFlags, numFlag, oneOf, required, runJobToEnd, withService, type CliCommand, type Values } from '../util';

const str = (values: Values, k: string) => values[k] as string | undefined;

const spectrum: CliCommand = {
  name: 'spectrum',
  usage: `  spectrum <model> [--layer NAME] [--scheme channel|spatial] [--json]
                                                 singular values of every Conv2D/Dense layer (shape: the reshaped matrix)`,
  options: { layer: { type: 'string' }, scheme: { type: 'string' }, svd: { type: 'string' } },
  positionals: { count: 1, what: 'a <model>' },
  async run({ values, positionals, json, workspace, out }) {
    const req = {
      model: positionals[0],
      layer: str(values, 'layer'),
      scheme: oneOf('scheme', values.scheme, LowrankSchemes),
      svd: oneOf('svd', values.svd, ['auto', 'exact', 'gram'] as const),
    };
    const r = await withService(workspace, (s) => s.call('lowrank.spectrum', req));
    if (json) {
      out(JSON.stringify({ layers: r.layers.map((l) => ({ name: l.name, shape: l.shape, singularValues: l.singularValues, rankAtEnergy: l.rankAtEnergy })) }));
    } else out(formatSpectrum(r));
  },
};

function formatSpectrum(r: SpectrumResult): string {
  const lines = [`${r.model}: ${r.layers.length} layers, ${r.scheme}-wise matrices`, ''];
  lines.push(`${'layer'.padEnd(16)} ${'matrix'.padEnd(11)} ${'σ₁'.padStart(9)} ${'σ_min'.padStart(9)}  r(0.9) r(0.95) r(0.99)  useful≤`);
  for (const l of r.layers) {
    const s = l.singularValues;
    lines.push(
      `${l.name.padEnd(16)} ${`${l.shape[0]}×${l.shape[1]}`.padEnd(11)} ${s[0].toPrecision(4).padStart(9)} ${s[s.length - 1].toPrecision(3).padStart(9)}  ${String(l.rankAtEnergy['0.9']).padStart(6)} ${String(l.rankAtEnergy['0.95']).padStart(7)} ${String(l.rankAtEnergy['0.99']).padStart(7)}  ${String(l.usefulRank).padStart(7)}`,
    );
  }
  return lines.join('\n');
}

const lowrank: CliCommand = {
  name: 'lowrank',
  usage: `  lowrank <model|arch:NAME> --data <ref> --method svd|trp --out DIR [--scheme channel|spatial] [--energy E]
        [--speedup S] [--ramp F] [--period M] [--nuclear λ] [--epochs N] [--cut energy|threshold] [--tau T] [--layers a,b] [--include-first]
        [--include-strided] [--seed S] [--lr X] [--optimizer adam|sgd] [--batch-size B] [--limit N] [--eval-limit N]
        [--test-limit N] [--json]       factorise layers (post-hoc SVD, or TRP training + baseline + post-hoc)`,
  options: {
    ...stringFlags('data', 'method', 'scheme', 'energy', 'speedup', 'ramp', 'period', 'nuclear', 'epochs', 'cut', 'tau', 'layers'),
    'include-first': { type: 'boolean' },
    'include-strided': { type: 'boolean' },
    ...stringFlags('seed', 'lr', 'optimizer', 'batch-size', 'limit', 'eval-limit', 'test-limit', 'out'),
  },
  positionals: { count: 1, what: 'a <model> (model.json, builtin:<name>, or arch:<zoo arch> to train from scratch)' },
  async run(args) {
    const { values, positionals, json, out } = args;
    const layers = str(values, 'layers')
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const config: LowrankConfig = {
      model: positionals[0],
      data: required('data', str(values, 'data')),
      method: required('method', oneOf('method', values.method, ['svd', 'trp'] as const)),
      scheme: oneOf('scheme', values.scheme, LowrankSchemes),
      energy: numFlag('energy', values.energy, LowrankSchema),
      speedup: numFlag('speedup', values.speedup, LowrankSchema),
      ramp: numFlag('ramp', values.ramp, LowrankSchema),
      period: numFlag('period', values.period, LowrankSchema),
      nuclear: numFlag('nuclear', values.nuclear, LowrankSchema),
      epochs: numFlag('epochs', values.epochs, LowrankSchema),
      cut: oneOf('cut', values.cut, ['energy', 'threshold'] as const),
      tau: numFlag('tau', values.tau, LowrankSchema),
      layers: layers?.length ? layers : undefined,
      includeFirst: values['include-first'] === true ? true : undefined,
      includeStrided: values['include-strided'] === true ? true : undefined,
      seed: numFlag('seed', values.seed, LowrankSchema),
      learningRate: numFlag('lr', values.lr, LowrankSchema, 'learningRate'),
      optimizer: oneOf('optimizer', values.optimizer, ['adam', 'sgd'] as const),
      batchSize: numFlag('batch-size', values['batch-size'], LowrankSchema),
      limit: numFlag('limit', values.limit, LowrankSchema),
      evalLimit: numFlag('eval-limit', values['eval-limit'], LowrankSchema),
      testLimit: numFlag('test-limit', values['test-limit'], LowrankSchema),
      out: resolve(required('out', str(values, 'out'))),
    };
    const r = (await runJobToEnd(args, { kind: 'lowrank', config })) as LowrankResult;
    if (json) {
      // the JSON keeps the issue's shape; what the user should know goes to stderr, one line each
      for (const n of r.notes ?? []) process.stderr.write(`layerlens: note: ${n}\n`);
      out(
        JSON.stringify({
          method: r.method,
          scheme: r.scheme,
          baseline: { top1: r.baseline.top1, flops: r.baseline.flops },
          decomposed: { top1: r.decomposed.top1, flops: r.decomposed.flops },
          speedup: r.speedup,
          ranks: r.ranks,
          posthoc: { top1: r.posthoc.top1 },
        }),
      );
    } else out(formatLowrank(r));
  },
};

function formatLowrank(r: LowrankResult): string {
  const p = (x: number) => `${(x * 100).toFixed(2)} %`;
  const lines = [
    `${r.method} (${r.scheme}-wise) on ${r.data}, seed ${r.seed}, ${r.n} test images, ${r.wallSeconds.toFixed(0)} s`,
    `  baseline    top-1 ${p(r.baseline.top1).padStart(8)}  FLOPs ${r.baseline.flops.toLocaleString('en-US')}`,
    `  factorised  top-1 ${p(r.decomposed.top1).padStart(8)}  FLOPs ${r.decomposed.flops.toLocaleString('en-US')}  (${r.speedup.toFixed(2)}× fewer)`,
  ];
  if (r.method === 'trp') lines.push(`  post-hoc    top-1 ${p(r.posthoc.top1).padStart(8)}  FLOPs ${r.posthoc.flops.toLocaleString('en-US')}  (baseline factorised at the same ranks)`);
  const v = r.val;
  lines.push(`  on ${v.n} val images (what a sweep selects on): baseline ${p(v.baseline)} · factorised ${p(v.decomposed)}${r.method === 'trp' ? ` · post-hoc ${p(v.posthoc)}` : ''}`);
  lines.push('', `  ${'layer'.padEnd(16)} rank   FLOPs before → after`);
  for (const l of r.layers) {
    lines.push(`  ${l.name.padEnd(16)} ${`${l.rank}/${l.fullRank}`.padEnd(6)} ${l.flopsBefore.toLocaleString('en-US')} → ${l.flopsAfter.toLocaleString('en-US')}${l.decomposed ? '' : ' (kept whole)'}`);
  }
  for (const n of r.notes ?? []) lines.push('', `note: ${n}`);
  lines.push('', `model: ${r.modelPath}`, `record: ${r.recordPath}`);
  return lines.join('\n');
}

/** `layerlens` commands of the lowrank capability. */
export const lowrankCommands: CliCommand[] = [spectrum, lowrank];
