/**
 * The Zigzag ablation of issue 11: all-at-once, curriculum only, masking only, both — the same total epochs —
 * over seeds, on the cluttered-digit benchmark; one result record per run (results/wsod/zigzag/<row>.s<seed>.json).
 *
 *   node --import tsx scripts/experiments/wsod-ablation.ts [--seeds 1,2,3] [--rows all-at-once,both]
 *        [--bench DIR] [--runs DIR] [--records DIR] [--set key=value ...] [--table NAME] [--label NAME] [--plan]
 *
 * The benchmark is generated once (the `wsod data` defaults, seed 1) into --bench if it is missing. Each run's
 * folder (--runs) keeps its checkpoints, so a killed run resumes; a row × seed whose record exists is skipped.
 * The expected wall time is printed first (from records already written, else an estimate); a mean ± std table of
 * val and test mAP@0.5 and CorLoc (and mEAS's Spearman correlation with the top box's IoU) is printed at the end.
 * Settings are chosen on val; test is what is reported. `--set` overrides any WsodTrainConfig field for every row.
 * `--table` / `--label` file the records under another table and row name (a val-only sweep of one row's knobs:
 * `--rows both --set stage0Share=0.5 --table zigzag-sweep --label "both, stage0Share 0.5"`; one row at a time).
 * Run it with `nice -n 19` on a shared machine.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { plainContext } from '../../src/engine/core/context';
import { defaultCacheDir } from '../../src/engine/data/cache';
import { detectionFormatOf } from '../../src/engine/data/detection/folder';
import * as data from '../../src/engine/analyses/wsod/data';
import * as train from '../../src/engine/analyses/wsod/train';
import { regenerate } from '../../src/engine/analyses/report';
import { hasRecord, readRecord, recordFile, recordName, writeRecord } from '../../src/engine/results/records';
import { WsodDataConfig, WsodTrainConfig, type WsodTrainResult } from '../../src/shared/api-wsod';
import type { ResultRecord } from '../../src/shared/api-report';

const root = resolve(import.meta.dirname, '../..');
const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '1,2,3' },
    rows: { type: 'string' },
    bench: { type: 'string' },
    runs: { type: 'string' },
    records: { type: 'string' },
    set: { type: 'string', multiple: true },
    table: { type: 'string', default: 'zigzag' },
    label: { type: 'string' },
    plan: { type: 'boolean' },
  },
});
const defaultRecords = join(root, 'results');
const recordsDir = resolve(values.records ?? defaultRecords);
const bench = resolve(values.bench ?? join(defaultCacheDir(), 'wsod-bench-mnist-s1'));
const runsDir = resolve(values.runs ?? join(defaultCacheDir(), 'wsod-runs'));
const seeds = values.seeds!.split(',').map(Number);
const overrides: Record<string, unknown> = {};
for (const kv of values.set ?? []) {
  const [k, v] = kv.split('=');
  overrides[k] = v === 'true' ? true : v === 'false' ? false : Number.isFinite(Number(v)) ? Number(v) : v;
}

const ROWS: Record<string, { curriculum: boolean; masking: boolean }> = {
  'all-at-once': { curriculum: false, masking: false },
  'curriculum': { curriculum: true, masking: false },
  'masking': { curriculum: false, masking: true },
  'both': { curriculum: true, masking: true },
};
const rows = values.rows ? values.rows.split(',') : Object.keys(ROWS);
for (const r of rows) if (!ROWS[r]) throw new Error(`unknown row ${r} (have ${Object.keys(ROWS).join(', ')})`);
if (values.label !== undefined && rows.length !== 1) throw new Error('--label names one row: pass exactly one --rows');
const EXPERIMENT = 'wsod';
const TABLE = values.table!;
const rowName = (row: string) => values.label ?? row;
/** wall seconds per run on this 2-core machine (native backend, ≈ 190 CPU s; 12–19 min when the machine is loaded), before any record says better */
const ESTIMATE_S = 400;

const key = (row: string, seed: number) => ({ experiment: EXPERIMENT, table: TABLE, row: rowName(row), seed });

function planSeconds(todo: number): number {
  const done = rows.flatMap((r) => seeds.filter((s) => hasRecord(recordsDir, key(r, s))).map((s) => readRecord(recordFile(recordsDir, recordName(key(r, s))))));
  const per = done.length ? done.reduce((a, r) => a + (r.timings.seconds ?? ESTIMATE_S), 0) / done.length : ESTIMATE_S;
  return todo * per;
}

function toRecord(row: string, seed: number, r: WsodTrainResult) {
  const history = (r.config.history ?? []) as { epoch: number; valMAP50: number; valCorloc: number }[];
  return {
    ...key(row, seed),
    config: r.config,
    splits: r.splits,
    metrics: {
      val: { mAP50: r.val.mAP50, corloc: r.val.corloc },
      test: { mAP50: r.test.mAP50, corloc: r.test.corloc },
      model: { spearmanIoU: r.correlation.iou, ...(r.correlation.difficulty !== null ? { spearmanDifficulty: r.correlation.difficulty } : {}) },
    },
    curves: {
      valMAP50: { split: 'val' as const, xLabel: 'epoch', yLabel: 'val mAP@0.5', points: history.map((h) => [h.epoch, h.valMAP50] as [number, number]) },
      valCorloc: { split: 'val' as const, xLabel: 'epoch', yLabel: 'val CorLoc', points: history.map((h) => [h.epoch, h.valCorloc] as [number, number]) },
    },
    timings: { seconds: r.wallSeconds, ...(r.cpuSeconds !== undefined ? { cpuSeconds: r.cpuSeconds } : {}) },
    backend: r.backend,
  };
}

const fmt = (xs: number[]) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1)) : 0;
  return `${(100 * m).toFixed(1)} ± ${(100 * sd).toFixed(1)}`;
};

function table(): void {
  const cols: [string, (r: ResultRecord) => number][] = [
    ['val mAP50', (r) => r.metrics.val.mAP50],
    ['val CorLoc', (r) => r.metrics.val.corloc],
    ['test mAP50', (r) => r.metrics.test.mAP50],
    ['test CorLoc', (r) => r.metrics.test.corloc],
    ['ρ(mEAS, IoU)', (r) => r.metrics.model?.spearmanIoU ?? NaN],
  ];
  console.log(`\n${'row'.padEnd(12)} ${'seeds'.padEnd(6)} ${cols.map(([c]) => c.padEnd(14)).join(' ')}`);
  for (const row of rows) {
    const recs = seeds.filter((s) => hasRecord(recordsDir, key(row, s))).map((s) => readRecord(recordFile(recordsDir, recordName(key(row, s)))));
    if (!recs.length) continue;
    console.log(`${rowName(row).padEnd(12)} ${String(recs.length).padEnd(6)} ${cols.map(([, f]) => fmt(recs.map(f)).padEnd(14)).join(' ')}`);
  }
  console.log('(percent; mean ± sample std over seeds; ρ in percent too)');
}

async function main(): Promise<void> {
  const todo = rows.flatMap((row) => seeds.filter((seed) => !hasRecord(recordsDir, key(row, seed))).map((seed) => ({ row, seed })));
  console.log(`wsod ablation: ${rows.length} rows × ${seeds.length} seeds, ${todo.length} to run; expected wall ≈ ${(planSeconds(todo.length) / 60).toFixed(0)} min`);
  console.log(`benchmark ${bench}; runs ${runsDir}; records ${recordsDir}${Object.keys(overrides).length ? `; overrides ${JSON.stringify(overrides)}` : ''}`);
  if (values.plan) return table();
  if (detectionFormatOf(bench) === null) {
    console.log('generating the benchmark (wsod data defaults, seed 1) …');
    await data.run(WsodDataConfig.parse({ out: bench, seed: 1 }), plainContext());
  }
  mkdirSync(runsDir, { recursive: true });
  for (const { row, seed } of todo) {
    const t0 = Date.now();
    const cfg = WsodTrainConfig.parse({ data: bench, out: join(runsDir, `${rowName(row).replace(/[^\w.=-]+/g, '_')}-s${seed}`), seed, ...ROWS[row], ...overrides });
    if (existsSync(join(cfg.out!, 'checkpoint'))) console.log(`  ${row} s${seed}: resuming`);
    const r = await train.run(cfg, plainContext());
    const name = writeRecord(recordsDir, toRecord(row, seed, r));
    console.log(`  → ${name} (${((Date.now() - t0) / 1000).toFixed(0)} s): val mAP50 ${r.val.mAP50.toFixed(3)} CorLoc ${r.val.corloc.toFixed(3)} | test mAP50 ${r.test.mAP50.toFixed(3)} CorLoc ${r.test.corloc.toFixed(3)} | ρ(mEAS, IoU) ${r.correlation.iou.toFixed(3)}`);
    // the repo's docs follow its records at once, as scripts/experiments/ablations.ts does
    if (recordsDir === defaultRecords) regenerate(recordsDir, join(root, 'docs/results'));
  }
  table();
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
