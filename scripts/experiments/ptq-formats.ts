/**
 * The PTQ agreement table of docs/formats.md, as result records (results/formats/ptq/…, table `ptq`): each row is
 * one `layerlens ptq … --json` run (seed 1), its output agreement with the float model and top-1 before/after.
 *
 *   nice -n 19 node --import tsx scripts/experiments/ptq-formats.ts     (≈ 1 min; resumable: rows with a record are skipped)
 *
 * `layerlens report` then builds docs/results/ptq.md and the marker block in docs/formats.md from the records.
 * Nothing is selected here (no sweep): the figures are on the test images, or on seeded random inputs where a
 * model has no dataset (BlazeFace).
 */
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { hasRecord, writeRecord } from '../../src/engine/results/records';

const root = resolve(import.meta.dirname, '../..');
const recordsDir = join(root, 'results');
const key = { experiment: 'formats', table: 'ptq' };

const rows: { row: string; args: string[] }[] = [
  { row: 'LeNet-5 (2,000 MNIST test), 8-bit per-tensor', args: ['builtin:lenet5-mnist', '--bits', '8', '--data', 'mnist', '--limit', '2000'] },
  { row: 'LeNet-5 (2,000 MNIST test), 4-bit per-channel', args: ['builtin:lenet5-mnist', '--bits', '4', '--per-channel', '--data', 'mnist', '--limit', '2000'] },
  { row: 'ResNet-8 (1,000 Fashion test), 8-bit per-channel', args: ['builtin:resnet8-fashion', '--bits', '8', '--per-channel', '--data', 'fashion-mnist', '--limit', '1000'] },
  {
    row: 'ResNet-8 (1,000 Fashion test), 8-bit per-channel, conv1 left float',
    args: ['builtin:resnet8-fashion', '--bits', '8', '--per-channel', '--skip', 'conv1', '--data', 'fashion-mnist', '--limit', '1000'],
  },
  { row: 'BlazeFace (tfjs graph, 4 outputs; 2 random inputs), 8-bit per-channel', args: ['tests/fixtures/third-party/blazeface/blazeface.json', '--bits', '8', '--per-channel', '--limit', '2'] },
];

interface PtqOutput {
  name: string;
  cosine: number;
  minCosine: number;
  relError: number;
  top1Agreement?: number;
}
interface PtqJson {
  model: string;
  bits: number;
  scheme: string;
  granularity: string;
  outputs: PtqOutput[];
  n: number;
  data?: string;
  split?: string;
  seed: number;
  top1?: { float: number; quantized: number } | null;
  compressionRatio: number;
  backend: string;
}

for (const { row, args } of rows) {
  const seed = 1;
  if (hasRecord(recordsDir, { ...key, row, seed })) continue;
  const cli = ['bin/layerlens.mjs', 'ptq', ...args, '--seed', String(seed), '--json', '--out', join(tmpdir(), 'll-ptq-formats', String(rows.findIndex((r) => r.row === row)))];
  console.log(`${row} …`);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, cli, { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`layerlens ${cli.slice(1).join(' ')} failed: ${r.stderr.trim().split('\n').at(-1)}`);
  const d = JSON.parse(r.stdout) as PtqJson;
  // the worst output stands for the model (one output for the classifiers; BlazeFace has four)
  const worst = (f: (o: PtqOutput) => number, pick: (...x: number[]) => number) => pick(...d.outputs.map(f));
  const cosine = worst((o) => o.cosine, Math.min);
  // 1 − cosine as well: cosines near 1 differ in the fifth digit, which a 4-digit figure rounds away
  const test: Record<string, number> = { cosine, cosineGap: 1 - cosine, relError: worst((o) => o.relError, Math.max), n: d.n };
  if (d.top1) Object.assign(test, { top1Float: d.top1.float, top1: d.top1.quantized, top1Agreement: worst((o) => o.top1Agreement ?? 1, Math.min) });
  d.outputs.forEach((o, i) => (test[`cosineOutput${i + 1}`] = o.cosine));
  const name = writeRecord(recordsDir, {
    ...key,
    row,
    seed,
    config: { command: `layerlens ptq ${args.join(' ')} --seed ${seed}`, model: d.model, bits: d.bits, scheme: d.scheme, granularity: d.granularity, data: d.data ?? null },
    splits: null,
    metrics: { val: {}, test, model: { compressionRatio: d.compressionRatio } },
    timings: { seconds: (Date.now() - t0) / 1000 },
    backend: d.backend,
    commit: undefined,
  });
  console.log(`  → ${name}: ${JSON.stringify(test)}`);
}
