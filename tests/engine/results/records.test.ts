import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gitCommit, hasRecord, readRecord, readRecords, recordName, writeRecord, type RecordInput } from '../../../src/engine/results/records';

const input = (seed: number, top1: number): RecordInput => ({
  experiment: 'ablation-lenet',
  table: 'mlq-lenet',
  row: 'MLQ ternary, all layers at once',
  seed,
  config: { method: 'mlq', mlqGroupSize: 0, seed },
  splits: { valFraction: 0.1, valSeed: 4321, splitSeed: 1234, nTrain: 7200, nVal: 800, nTest: 2000 },
  metrics: { val: { top1: top1 + 0.01 }, test: { top1 }, model: { compressionRatio: 15.9 } },
  timings: { seconds: 12 },
  backend: 'native',
});

describe('result records', () => {
  it('writes one validated file per run with version, commit and date; reads it back; a sweep can ask whether it exists', () => {
    const dir = mkdtempSync(join(tmpdir(), 'll-records-'));
    const key = { experiment: 'ablation-lenet', table: 'mlq-lenet', row: 'MLQ ternary, all layers at once', seed: 2 };
    expect(hasRecord(dir, key)).toBe(false);
    const name = writeRecord(dir, input(2, 0.95));
    expect(name).toBe(recordName(key));
    expect(name).toBe('ablation-lenet/mlq-lenet/mlq-ternary-all-layers-at-once.s2');
    expect(hasRecord(dir, key)).toBe(true);
    const r = readRecord(join(dir, `${name}.json`));
    expect(r).toMatchObject({ schema: 1, seed: 2, metrics: { test: { top1: 0.95 } } });
    expect(r.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(r.commit).toBe(gitCommit());
    expect(Number.isNaN(Date.parse(r.createdAt))).toBe(false);
    // no temp file left behind by the atomic write
    expect(readdirSync(join(dir, 'ablation-lenet/mlq-lenet'))).toEqual(['mlq-ternary-all-layers-at-once.s2.json']);
  });

  it('refuses to write a record with a NaN metric (not JSON, and not a result)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'll-records-'));
    const bad = input(1, Number.NaN);
    expect(() => writeRecord(dir, bad)).toThrow();
    expect(existsSync(join(dir, 'ablation-lenet'))).toBe(false);
  });

  it('a malformed record gives one line naming the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'll-records-'));
    const name = writeRecord(dir, input(1, 0.9));
    const file = join(dir, `${name}.json`);
    const rec = JSON.parse(readFileSync(file, 'utf8'));
    delete rec.metrics.test;
    writeFileSync(file, JSON.stringify(rec));
    expect(() => readRecords(dir)).toThrowError(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not a result record: metrics.test: Required$`));
    writeFileSync(file, '{"schema": 1,');
    let message = '';
    try {
      readRecords(dir);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message.startsWith(`${file}: not valid JSON`)).toBe(true);
    expect(message.includes('\n')).toBe(false);
  });

  it('leaves out JSON that is not a record (no schema field), and says which', () => {
    const dir = mkdtempSync(join(tmpdir(), 'll-records-'));
    writeRecord(dir, input(1, 0.9));
    mkdirSync(join(dir, 'parts'));
    writeFileSync(join(dir, 'parts', 'other.json'), JSON.stringify({ row: 'cls', seed: 1 }));
    const skipped: string[] = [];
    expect(readRecords(dir, skipped).map((r) => r.name)).toEqual(['ablation-lenet/mlq-lenet/mlq-ternary-all-layers-at-once.s1']);
    expect(skipped).toEqual([join(dir, 'parts', 'other.json')]);
  });

  it('reads the headline results through the adapter and skips the bench folder', () => {
    const all = readRecords(join(import.meta.dirname, '../../../results'));
    const headline = all.filter((r) => r.name.startsWith('headline/'));
    expect(headline.length).toBeGreaterThanOrEqual(9);
    const dnq = headline.find((r) => r.name === 'headline/lenet-dnq')!;
    const raw = JSON.parse(readFileSync(dnq.file, 'utf8'));
    expect(dnq.record.metrics.test.top1).toBe(raw.quantized.top1);
    expect(dnq.record.metrics.val.top1).toBe(raw.val.quantized);
    expect(dnq.record.metrics.model?.compressionRatio).toBe(raw.compressionRatio);
    expect(all.some((r) => r.name.startsWith('bench/'))).toBe(false);
  });
});
