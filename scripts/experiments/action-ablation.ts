/**
 * The action lab's ablation (issue 13): coarse-to-fine vs fine-only heads, asynchronous vs synchronous fusion,
 * over the generator's lag, 3 seeds; the best epoch is chosen on val, test is what is reported. One JSON record
 * per run in results/action/<row>.lag<L>.s<seed>.json (config, seed, split sizes, val and test metrics, offset
 * weights, timings, backend); a row × lag × seed whose record exists is skipped, and a run's folder keeps its
 * checkpoint so a killed run resumes. Prints the expected wall time first and a mean ± std table at the end.
 *
 *   nice -n 19 node --import tsx scripts/experiments/action-ablation.ts [--seeds 1,2,3] [--lags 4,6,0]
 *        [--rows c2f-async,c2f-sync,fine-async] [--shard i/n] [--set key=value ...] [--plan] [--table]
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { plainContext } from '../../src/engine/core/context';
import { defaultCacheDir } from '../../src/engine/data/cache';
import * as data from '../../src/engine/analyses/action/data';
import * as train from '../../src/engine/analyses/action/train';
import { ActionDataConfig, ActionTrainConfig, type ActionTrainResult } from '../../src/shared/api-action';

const root = resolve(import.meta.dirname, '../..');
const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '1,2,3' },
    lags: { type: 'string', default: '4,6,0' },
    rows: { type: 'string' },
    shard: { type: 'string', default: '0/1' },
    set: { type: 'string', multiple: true },
    plan: { type: 'boolean' },
    table: { type: 'boolean' },
  },
});
/** sized for ~1–2 minutes a run on one free core */
const DATA = { clips: 240, testClips: 120, frames: 16, size: 32, lagJitter: 1, seed: 1 };
const TRAIN = { epochs: 8, learningRate: 5e-3, batchSize: 16, maxOffset: 7, flowStack: 2, valFraction: 0.2 };
const ROWS: Record<string, { levels: 'coarse-to-fine' | 'fine'; fusion: 'async' | 'sync'; lags?: number[] }> = {
  'c2f-async': { levels: 'coarse-to-fine', fusion: 'async' },
  'c2f-sync': { levels: 'coarse-to-fine', fusion: 'sync' },
  // the levels comparison at the middle lag only
  'fine-async': { levels: 'fine', fusion: 'async', lags: [4] },
};
const recordsDir = join(root, 'results', 'action');
const cache = join(defaultCacheDir(), 'action');
const seeds = values.seeds!.split(',').map(Number);
const lags = values.lags!.split(',').map(Number);
const rows = values.rows ? values.rows.split(',') : Object.keys(ROWS);
const [shard, shards] = values.shard!.split('/').map(Number);
const overrides: Record<string, unknown> = {};
for (const kv of values.set ?? []) {
  const [k, v] = kv.split('=');
  overrides[k] = Number.isFinite(Number(v)) ? Number(v) : v;
}

const recordPath = (row: string, lag: number, seed: number) => join(recordsDir, `${row}.lag${lag}.s${seed}.json`);
// the lags in the order given (the first one's table is complete first), rows and seeds within each
const plan = lags.flatMap((lag) => rows.filter((row) => (ROWS[row].lags ?? lags).includes(lag)).flatMap((row) => seeds.map((seed) => ({ row, lag, seed }))));
const mine = plan.filter((_, i) => i % shards === shard);
const todo = mine.filter((p) => !existsSync(recordPath(p.row, p.lag, p.seed)));

function table(): string {
  if (!existsSync(recordsDir)) return '';
  const recs = readdirSync(recordsDir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(recordsDir, f), 'utf8')) as { row: string; lag: number; seed: number; result: ActionTrainResult });
  const groups = new Map<string, typeof recs>();
  for (const r of recs) groups.set(`${r.row}\0${r.lag}`, [...(groups.get(`${r.row}\0${r.lag}`) ?? []), r]);
  const ms = (xs: number[]) => {
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, xs.length - 1));
    return `${(100 * m).toFixed(1)} ± ${(100 * sd).toFixed(1)}`;
  };
  const lines = ['| row | lag | seeds | val top-1 fine | test top-1 fine | test top-1 coarse | offset of peak weight (per seed) | s/epoch |', '|---|---|---|---|---|---|---|---|'];
  for (const [k, rs] of [...groups].sort()) {
    const [row, lag] = k.split('\0');
    const peaks = rs.map((r) => r.result.offsets[r.result.offsetWeights.indexOf(Math.max(...r.result.offsetWeights))]);
    const spe = rs.map((r) => r.result.timings.secondsPerEpoch);
    lines.push(
      `| ${row} | ${lag} | ${rs.map((r) => r.seed).join(',')} | ${ms(rs.map((r) => r.result.val.top1Fine))} | ${ms(rs.map((r) => r.result.test.top1Fine))} | ${ms(rs.map((r) => r.result.test.top1Coarse))} | ${peaks.join(', ')} | ${(spe.reduce((a, b) => a + b, 0) / spe.length).toFixed(1)} |`,
    );
  }
  return lines.join('\n');
}

if (values.table) {
  console.log(table());
  process.exit(0);
}
const perRun = 120;
console.log(`${plan.length} runs planned, ${mine.length} in shard ${shard}/${shards}, ${todo.length} to do; expected ~${Math.round((todo.length * perRun) / 60)} min at ~${perRun} s a run on one free core`);
if (values.plan) process.exit(0);
mkdirSync(recordsDir, { recursive: true });
for (const { row, lag, seed } of todo) {
  // another process may have done or taken it since the plan was made (shards started by hand overlap)
  const lock = join(recordsDir, `.${row}.lag${lag}.s${seed}.lock`);
  if (existsSync(recordPath(row, lag, seed)) || existsSync(lock)) continue;
  writeFileSync(lock, String(process.pid));
  const dataDir = join(cache, `clips-lag${lag}-s${DATA.seed}-n${DATA.clips}`);
  if (!existsSync(join(dataDir, 'action.json'))) {
    console.log(`generating ${dataDir}`);
    await data.run(ActionDataConfig.parse({ ...DATA, lag, out: dataDir }), plainContext());
  }
  const spec = ROWS[row];
  const config = ActionTrainConfig.parse({ ...TRAIN, ...overrides, data: dataDir, levels: spec.levels, fusion: spec.fusion, seed, out: join(cache, 'runs', `${row}.lag${lag}.s${seed}`) });
  const t0 = Date.now();
  const result = await train.run(config, plainContext(undefined));
  const rec = { row, lag, seed, data: { ...DATA, lag }, result: { ...result, runDir: undefined, recordPath: undefined } };
  writeFileSync(recordPath(row, lag, seed), JSON.stringify(rec, null, 1));
  rmSync(lock, { force: true });
  console.log(`${row} lag ${lag} seed ${seed}: val ${result.val.top1Fine.toFixed(3)} test ${result.test.top1Fine.toFixed(3)} / coarse ${result.test.top1Coarse.toFixed(3)} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
}
console.log(table());
