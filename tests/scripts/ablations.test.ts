import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRecords } from '../../src/engine/results/records';

const root = resolve(import.meta.dirname, '../..');
const run = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'scripts/experiments/ablations.ts', ...args], { cwd: root, encoding: 'utf8', timeout: 240_000 });

describe('scripts/experiments/ablations.ts (a --quick smoke run of the MLQ table)', () => {
  it('prints the expected wall time first, writes one record per row × seed, and a second sweep continues where the first stopped', () => {
    const dir = mkdtempSync(join(tmpdir(), 'll-ablations-'));
    const first = run('mlq', '--quick', '--seeds', '1', '--records', dir);
    expect(first.status).toBe(0);
    expect(first.stdout.split('\n')[0]).toMatch(/^mlq-lenet: 2 rows × 1 seeds; 0 records present, 2 runs left; expected wall ≈ \d+ min/);
    const table = join(dir, 'ablation-lenet/mlq-lenet');
    expect(readdirSync(table).sort()).toEqual(['mlq-ternary-all-layers-at-once.s1.json', 'mlq-ternary-incremental-layer-compensation.s1.json']);
    const written = statSync(join(table, 'mlq-ternary-all-layers-at-once.s1.json')).mtimeMs;

    // as after a killed sweep: seed 1 is there, so only seed 2 runs, and the plan's time comes from the records
    const plan = run('mlq', '--quick', '--seeds', '1,2', '--records', dir, '--plan');
    expect(plan.stdout).toMatch(/2 records present, 2 runs left; expected wall ≈ \d+ min \(from the timings recorded so far\)/);
    const second = run('mlq', '--quick', '--seeds', '1,2', '--records', dir);
    expect(second.status).toBe(0);
    expect(second.stdout).not.toContain(', seed 1 …');
    expect(statSync(join(table, 'mlq-ternary-all-layers-at-once.s1.json')).mtimeMs).toBe(written);
    const records = readRecords(dir);
    expect(records.map((r) => [r.record.row, r.record.seed])).toEqual([
      ['MLQ ternary, all layers at once', 1],
      ['MLQ ternary, all layers at once', 2],
      ['MLQ ternary, incremental layer compensation', 1],
      ['MLQ ternary, incremental layer compensation', 2],
    ]);
    for (const { record } of records) {
      expect(record.splits).toMatchObject({ splitSeed: 1234, valSeed: 4321 });
      expect(record.config).toMatchObject({ method: 'mlq', seed: record.seed, trainLimit: 256 });
      expect(record.metrics.test.top1).toBeGreaterThan(0.5);
      expect(record.metrics.val.top1).toBeGreaterThan(0.5);
    }
  });

  it('--quick refuses the repo\'s own results folder', () => {
    const r = run('mlq', '--quick');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('--quick writes only to a --records folder of its own');
  });
});
