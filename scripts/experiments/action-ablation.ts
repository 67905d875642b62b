/**
 * The action lab's ablation (issue 13): coarse-to-fine vs fine-only heads, asynchronous vs synchronous fusion,
 * over the generator's lag, 3 seeds; the best epoch is chosen on val, test is what is reported. Per run:
 *   - the lab's own JSON, results/action/<row>.lag<L>.s<seed>.json (config, seed, split sizes, val and test
 *     metrics with confusions, offset weights, history, timings, backend);
 *   - a report record (schema ResultRecord), results/action/action/<row>-lag<L>.s<seed>.json, table `action`;
 * and, once both fusions of a (levels, lag, seed) exist, a derived record of the paired gap async − sync,
 * results/action/action-gap/<levels>-lag<L>.s<seed>.json (table `action-gap`). A run whose lab JSON exists is
 * skipped (its records are rewritten from it); a run's folder keeps its checkpoint so a killed run resumes.
 * Clips: generator v3 (still flashes, half the clips ambiguous; src/engine/action/NOTES.md).
 *
 *   nice -n 10 node --import tsx scripts/experiments/action-ablation.ts [--seeds 1,2,3] [--lags 0,4,8]
 *        [--rows c2f-async,c2f-sync,fine-async,fine-sync] [--shard i/n] [--set key=value ...] [--plan] [--table]
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { plainContext } from '../../src/engine/core/context';
import { defaultCacheDir } from '../../src/engine/data/cache';
import { loadDataset } from '../../src/engine/data';
import { writeFrameFolder } from '../../src/engine/data/video/frame-folder';
import { generateActions, type ActionGenOptions } from '../../src/engine/data/video/generate';
import * as train from '../../src/engine/analyses/action/train';
import { openVideoData, withFlow } from '../../src/engine/analyses/action/common';
import { disposeActionModel } from '../../src/engine/action/model';
import { loadActionRun } from '../../src/engine/action/store';
import { scoreClips } from '../../src/engine/action/train';
import { readClipTruth } from '../../src/engine/data/video/frame-folder';
import { recordFile, recordName, writeRecord } from '../../src/engine/results/records';
import { ActionTrainConfig, type ActionTrainResult } from '../../src/shared/api-action';

const root = resolve(import.meta.dirname, '../..');
const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '1,2,3' },
    lags: { type: 'string', default: '0,4,8' },
    rows: { type: 'string' },
    shard: { type: 'string', default: '0/1' },
    set: { type: 'string', multiple: true },
    plan: { type: 'boolean' },
    table: { type: 'boolean' },
  },
});
/** generator v3; sized so that every row × lag × seed fits a shared 2-core machine in about an hour */
const DATA: Omit<ActionGenOptions, 'lag'> = { clips: 480, testClips: 240, frames: 16, size: 32, lagJitter: 1, seed: 1, flashPose: 'still', ambiguousRate: 0.5 };
/** lr and epochs chosen on val (README: selection); maxOffset covers the largest lag + jitter */
const TRAIN = { epochs: 20, learningRate: 5e-3, batchSize: 16, maxOffset: 10, flowStack: 2, valFraction: 0.2 };
const ROWS: Record<string, { levels: 'coarse-to-fine' | 'fine'; fusion: 'async' | 'sync'; limit?: number; lags?: number[] }> = {
  'c2f-async': { levels: 'coarse-to-fine', fusion: 'async' },
  'c2f-sync': { levels: 'coarse-to-fine', fusion: 'sync' },
  'fine-async': { levels: 'fine', fusion: 'async' },
  'fine-sync': { levels: 'fine', fusion: 'sync' },
  // scarce fine-class data (8 train clips a class): where a coarse level should help the fine one most
  'c2f-async-n96': { levels: 'coarse-to-fine', fusion: 'async', limit: 96 },
  'fine-async-n96': { levels: 'fine', fusion: 'async', limit: 96 },
};
const recordsRoot = join(root, 'results');
const labDir = join(recordsRoot, 'action');
const cache = join(defaultCacheDir(), 'action');
const seeds = values.seeds!.split(',').map(Number);
const lags = values.lags!.split(',').map(Number);
const rows = values.rows ? values.rows.split(',') : Object.keys(ROWS).slice(0, 3);
const [shard, shards] = values.shard!.split('/').map(Number);
const overrides: Record<string, unknown> = {};
for (const kv of values.set ?? []) {
  const [k, v] = kv.split('=');
  overrides[k] = Number.isFinite(Number(v)) ? Number(v) : v;
}

interface LabRecord {
  row: string;
  lag: number;
  seed: number;
  data: Record<string, unknown>;
  result: ActionTrainResult;
  /** top-1 (fine) of the kept weights on the ambiguous clips (second flash = the other object) and on the rest */
  bySubset?: Record<'val' | 'test', { ambiguous: number; nAmbiguous: number; unambiguous: number; nUnambiguous: number }>;
  /** resumed from a checkpoint: the run's wall/CPU timings cover only the part after the resume */
  resumed?: boolean;
}

const argmax = (v: readonly number[]) => v.reduce((best, x, i) => (x > v[best] ? i : best), 0);

/** Top-1 (fine) of a finished run on the ambiguous clips and on the rest, per split (the generator's truth). */
async function subsetScores(runDir: string, dataDir: string, valFraction: number): Promise<NonNullable<LabRecord['bySubset']>> {
  const { model } = loadActionRun(runDir);
  try {
    const ds = await openVideoData(dataDir, { valFraction });
    const truth = readClipTruth(dataDir)!;
    const one = async (split: 'val' | 'test') => {
      const { items } = await withFlow(ds, ds[split].clips);
      const probs = scoreClips(model, items).fused;
      const hits = { true: [0, 0], false: [0, 0] };
      items.forEach((it, i) => {
        const h = hits[String(truth.get(it.clip.id)!.ambiguous) as 'true' | 'false'];
        h[0] += argmax(probs[i]) === it.clip.label ? 1 : 0;
        h[1]++;
      });
      return { ambiguous: hits.true[0] / Math.max(1, hits.true[1]), nAmbiguous: hits.true[1], unambiguous: hits.false[0] / Math.max(1, hits.false[1]), nUnambiguous: hits.false[1] };
    };
    return { val: await one('val'), test: await one('test') };
  } finally {
    disposeActionModel(model);
  }
}

const labPath = (row: string, lag: number, seed: number) => join(labDir, `${row}.lag${lag}.s${seed}.json`);
// seed-major: if time runs out, every lag has the same seeds
const plan = seeds.flatMap((seed) => lags.flatMap((lag) => rows.filter((row) => (ROWS[row].lags ?? [lag]).includes(lag)).map((row) => ({ row, lag, seed }))));
const mine = plan.filter((_, i) => i % shards === shard);
const todo = mine.filter((p) => !existsSync(labPath(p.row, p.lag, p.seed)));

function labRecords(): LabRecord[] {
  if (!existsSync(labDir)) return [];
  return readdirSync(labDir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(labDir, f), 'utf8')) as LabRecord);
}

const peakOffset = (r: ActionTrainResult) => r.offsets[r.offsetWeights.indexOf(Math.max(...r.offsetWeights))];

const subsetMetrics = (rec: LabRecord, split: 'val' | 'test'): Record<string, number> =>
  rec.bySubset ? { top1FineAmbiguous: rec.bySubset[split].ambiguous, top1FineUnambiguous: rec.bySubset[split].unambiguous } : {};

/** When and at which commit a record was first written: a rewrite (`--table`) keeps them. */
function firstWritten(key: { table: string; row: string; seed: number }): { createdAt?: string; commit?: string | null } {
  const file = recordFile(recordsRoot, recordName({ experiment: 'action', ...key }));
  if (!existsSync(file)) return {};
  const prev = JSON.parse(readFileSync(file, 'utf8')) as { createdAt?: string; commit?: string | null };
  return { createdAt: prev.createdAt, commit: prev.commit };
}

/** The report record of one run (table `action`, row `<row>-lag<L>`). */
function writeRunRecord(rec: LabRecord): void {
  const r = rec.result;
  writeRecord(recordsRoot, {
    ...firstWritten({ table: 'action', row: `${rec.row}-lag${rec.lag}`, seed: rec.seed }),
    experiment: 'action',
    table: 'action',
    row: `${rec.row}-lag${rec.lag}`,
    seed: rec.seed,
    config: { ...r.config, data: rec.data, fusion: r.fusion, levels: r.levels },
    splits: r.splits,
    metrics: {
      val: { top1Fine: r.val.top1Fine, top1Coarse: r.val.top1Coarse, ...subsetMetrics(rec, 'val') },
      test: { top1Fine: r.test.top1Fine, top1Coarse: r.test.top1Coarse, ...subsetMetrics(rec, 'test') },
      model: { bestEpoch: r.bestEpoch, peakOffset: peakOffset(r), peakOffsetError: peakOffset(r) - rec.lag, lag: rec.lag },
    },
    curves: { valTop1Fine: { split: 'val', xLabel: 'epoch', yLabel: 'val top-1 (fine)', points: r.history.map((h) => [h.epoch, h.valTop1Fine] as [number, number]) } },
    // a resumed run's timings would cover its last part only: the whole run's epochs from its history instead
    timings: rec.resumed
      ? { trainSeconds: r.history.reduce((a, h) => a + h.seconds, 0), secondsPerEpoch: r.history.reduce((a, h) => a + h.seconds, 0) / Math.max(1, r.history.length) }
      : { seconds: r.wallSeconds, cpuSeconds: r.cpuSeconds, trainSeconds: r.timings.trainSeconds, secondsPerEpoch: r.timings.secondsPerEpoch, flowSeconds: r.timings.flowSeconds },
    backend: r.backend,
    source: `results/action/${rec.row}.lag${rec.lag}.s${rec.seed}.json`,
  });
}

/** Paired async − sync gap of one (levels, lag, seed), derived from the two run records (table `action-gap`). */
function writeGapRecords(recs: LabRecord[]): void {
  for (const a of recs.filter((r) => r.row.includes('-async'))) {
    const levels = a.row.replace('-async', '');
    const s = recs.find((r) => r.row === a.row.replace('-async', '-sync') && r.lag === a.lag && r.seed === a.seed);
    if (!s) continue;
    const gap = (k: 'val' | 'test', m: 'top1Fine' | 'top1Coarse') => a.result[k][m] - s.result[k][m];
    const gapAmbiguous = (k: 'val' | 'test'): Record<string, number> => (a.bySubset && s.bySubset ? { gapFineAmbiguous: a.bySubset[k].ambiguous - s.bySubset[k].ambiguous } : {});
    writeRecord(recordsRoot, {
      ...firstWritten({ table: 'action-gap', row: `${levels}-lag${a.lag}`, seed: a.seed }),
      experiment: 'action',
      table: 'action-gap',
      row: `${levels}-lag${a.lag}`,
      seed: a.seed,
      config: { lag: a.lag, levels: a.result.levels, async: `${a.row}.lag${a.lag}.s${a.seed}`, sync: `${s.row}.lag${s.lag}.s${s.seed}` },
      splits: a.result.splits,
      metrics: {
        val: { gapFine: gap('val', 'top1Fine'), gapCoarse: gap('val', 'top1Coarse'), ...gapAmbiguous('val') },
        test: { gapFine: gap('test', 'top1Fine'), gapCoarse: gap('test', 'top1Coarse'), ...gapAmbiguous('test') },
        model: { lag: a.lag },
      },
      timings: { seconds: a.result.wallSeconds + s.result.wallSeconds },
      backend: a.result.backend,
      source: `derived: results/action/${a.row}.lag${a.lag}.s${a.seed}.json − results/action/${s.row}.lag${s.lag}.s${s.seed}.json`,
    });
  }
}

/** Script output (the README's tables are this, pasted): mean ± sample std over the seeds present. */
function table(): string {
  const recs = labRecords();
  const groups = new Map<string, LabRecord[]>();
  for (const r of recs) groups.set(`${r.row}\0${String(r.lag).padStart(2, '0')}`, [...(groups.get(`${r.row}\0${String(r.lag).padStart(2, '0')}`) ?? []), r]);
  const ms = (xs: number[]) => {
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, xs.length - 1));
    return `${(100 * m).toFixed(1)} ± ${(100 * sd).toFixed(1)}`;
  };
  const sub = (rs: LabRecord[], k: 'ambiguous' | 'unambiguous') => (rs.every((r) => r.bySubset) ? ms(rs.map((r) => r.bySubset!.test[k])) : '—');
  const lines = ['| row | lag | seeds | val top-1 fine | test top-1 fine | test top-1 coarse | test top-1 fine, ambiguous clips | test top-1 fine, unambiguous clips | peak offset (per seed) | best epoch | CPU s/run |', '|---|---|---|---|---|---|---|---|---|---|---|'];
  for (const [k, rs] of [...groups].sort()) {
    const [row, lag] = k.split('\0');
    rs.sort((a, b) => a.seed - b.seed);
    // a resumed run's CPU time covers its last part only: left out of the mean, its seed starred
    const cpu = rs.filter((r) => !r.resumed).map((r) => r.result.cpuSeconds);
    lines.push(
      `| ${row} | ${Number(lag)} | ${rs.map((r) => `${r.seed}${r.resumed ? '*' : ''}`).join(',')} | ${ms(rs.map((r) => r.result.val.top1Fine))} | ${ms(rs.map((r) => r.result.test.top1Fine))} | ${ms(rs.map((r) => r.result.test.top1Coarse))} | ${sub(rs, 'ambiguous')} | ${sub(rs, 'unambiguous')} | ${rs.map((r) => peakOffset(r.result)).join(', ')} | ${rs.map((r) => r.result.bestEpoch).join(', ')} | ${cpu.length ? (cpu.reduce((a, b) => a + b, 0) / cpu.length).toFixed(0) : '—'} |`,
    );
  }
  // paired gaps per lag (same seed, same levels)
  lines.push('', '| levels | lag | seeds | test top-1 fine, async − sync (pp, per seed) | mean ± std |', '|---|---|---|---|---|');
  for (const levels of ['c2f', 'fine']) {
    for (const lag of [...new Set(recs.map((r) => r.lag))].sort((a, b) => a - b)) {
      const pairs = recs
        .filter((a) => a.row === `${levels}-async` && a.lag === lag)
        .flatMap((a) => recs.filter((s) => s.row === `${levels}-sync` && s.lag === lag && s.seed === a.seed).map((s) => ({ seed: a.seed, gap: a.result.test.top1Fine - s.result.test.top1Fine })))
        .sort((x, y) => x.seed - y.seed);
      if (pairs.length) lines.push(`| ${levels} | ${lag} | ${pairs.map((p) => p.seed).join(',')} | ${pairs.map((p) => (100 * p.gap).toFixed(1)).join(', ')} | ${ms(pairs.map((p) => p.gap))} |`);
    }
  }
  return lines.join('\n');
}

function writeAllRecords(): void {
  const recs = labRecords();
  recs.forEach(writeRunRecord);
  writeGapRecords(recs);
}

/** README.md's tables are this script's output, between two markers; the prose around them is written by hand. */
function writeReadmeTables(): void {
  const file = join(labDir, 'README.md');
  const [start, end] = ['<!-- action-ablation:table:start -->', '<!-- action-ablation:table:end -->'];
  const text = existsSync(file) ? readFileSync(file, 'utf8') : `${start}\n${end}\n`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < i) return;
  writeFileSync(file, `${text.slice(0, i + start.length)}\n<!-- written by scripts/experiments/action-ablation.ts --table; do not edit -->\n${table()}\n${text.slice(j)}`);
}

if (values.table) {
  writeAllRecords();
  writeReadmeTables();
  console.log(table());
  process.exit(0);
}
/** CPU seconds a run took in the probes (20 epochs, 384 train clips): async ≈ 80, sync ≈ 70 */
const perRunCpu = 80;
console.log(`${plan.length} runs planned, ${mine.length} in shard ${shard}/${shards}, ${todo.length} to do; ~${Math.round((todo.length * perRunCpu) / 60)} CPU-min (wall ≈ 2–3× that on the shared machine)`);
if (values.plan) process.exit(0);
mkdirSync(labDir, { recursive: true });
for (const { row, lag, seed } of todo) {
  // another process may have done or taken it since the plan was made
  const lock = join(labDir, `.${row}.lag${lag}.s${seed}.lock`);
  if (existsSync(labPath(row, lag, seed)) || existsSync(lock)) continue;
  writeFileSync(lock, String(process.pid));
  const data = { ...DATA, lag };
  const dataDir = join(cache, `clips-v3-lag${lag}-s${DATA.seed}-n${DATA.clips}-a${DATA.ambiguousRate}`);
  const dataLock = `${dataDir}.lock`;
  while (existsSync(dataLock)) await new Promise((r) => setTimeout(r, 2000));
  if (!existsSync(join(dataDir, 'action.json'))) {
    writeFileSync(dataLock, String(process.pid));
    console.log(`generating ${dataDir}`);
    const clips = await generateActions(data, await loadDataset('mnist'), await loadDataset('fashion-mnist'));
    await writeFrameFolder(dataDir, clips, data);
    rmSync(dataLock, { force: true });
  }
  const spec = ROWS[row];
  const config = ActionTrainConfig.parse({ ...TRAIN, ...overrides, ...(spec.limit ? { limit: spec.limit } : {}), data: dataDir, levels: spec.levels, fusion: spec.fusion, seed, out: join(cache, 'runs-v3', `${row}.lag${lag}.s${seed}`) });
  const result = await train.run(config, plainContext(undefined));
  // a run resumed from its checkpoint reports the timings of its last part only: flagged, not hidden
  const resumed = result.history.length > 0 && result.timings.trainSeconds < 0.9 * result.history.reduce((a, h) => a + h.seconds, 0);
  const bySubset = await subsetScores(config.out!, dataDir, TRAIN.valFraction);
  const rec: LabRecord = { row, lag, seed, data: { ...data, generator: 'moving-digits-v3' }, result: { ...result, runDir: undefined, recordPath: undefined } as unknown as ActionTrainResult, bySubset, resumed };
  writeFileSync(labPath(row, lag, seed), JSON.stringify(rec, null, 1));
  writeRunRecord(rec);
  writeGapRecords(labRecords());
  rmSync(lock, { force: true });
  console.log(`${row} lag ${lag} seed ${seed}: val ${result.val.top1Fine.toFixed(3)} test ${result.test.top1Fine.toFixed(3)} / coarse ${result.test.top1Coarse.toFixed(3)} peak ${peakOffset(result)} (${result.wallSeconds.toFixed(0)} s wall, ${result.cpuSeconds.toFixed(0)} CPU s)`);
}
console.log(table());
