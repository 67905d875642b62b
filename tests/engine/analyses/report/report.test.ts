import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { regenerate, report } from '../../../../src/engine/analyses/report';
import { claimUnit, stat } from '../../../../src/engine/analyses/report/build';

const root = resolve(import.meta.dirname, '../../../..');
const fixture = join(root, 'tests/fixtures/report/records');
const slqDir = 'ablation-lenet/slq-lenet';

/** a private copy of the fixture records, so a test may change one */
function copyFixture(): string {
  const dir = mkdtempSync(join(tmpdir(), 'll-report-'));
  cpSync(fixture, join(dir, 'records'), { recursive: true });
  return join(dir, 'records');
}

describe('layerlens report from a fixture of records', () => {
  it('table values are the mean and sample std over the fixture seeds; claims and paper figures beside them', () => {
    const r = report(fixture);
    expect(r.tables.map((t) => t.name)).toEqual(['slq-lenet']);
    const t = r.tables[0];
    expect(t.seeds).toEqual([1, 2, 3]);
    const slq = t.rows.find((x) => x.row.startsWith('SLQ 4-bit'))!;
    const inq = t.rows.find((x) => x.row.startsWith('INQ 4-bit'))!;
    const top1 = (row: typeof slq) => row.cells.find((c) => c.key === 'test.top1')!;
    expect(top1(slq).mean).toBeCloseTo(0.98, 12);
    expect(top1(slq).std).toBeCloseTo(0.005, 12);
    expect(top1(inq).mean).toBeCloseTo(0.97, 12);
    expect(top1(inq).std).toBeCloseTo(0.002, 12);
    expect(top1(slq).n).toBe(3);
    expect(slq.records).toEqual([1, 2, 3].map((s) => `${slqDir}/slq-4-bit-k-means-cluster-loss-order.s${s}`));
    const at4 = t.claims.find((c) => c.text === 'SLQ beats INQ at 4 bits')!;
    expect(at4.diff).toBeCloseTo(0.01, 12);
    expect(at4).toMatchObject({ verdict: 'held', clear: true });
    expect(t.claims.find((c) => c.text === 'SLQ beats INQ at 3 bits')).toMatchObject({ verdict: 'not measured', diff: null });
    expect(t.paper.every((p) => p.kind === 'paper' && /methods\.md §/.test(p.source))).toBe(true);
    expect(t.charts.map((c) => c.name)).toEqual(['top1', 'steps']); // the fixture has no before-retraining curves
    expect(t.charts[0].svg.startsWith('<svg')).toBe(true);
  });

  it('writes docs: one markdown per table with mean ± std, seeds and record links, SVG charts, an index; regenerating is a no-op', () => {
    const out = mkdtempSync(join(tmpdir(), 'll-report-out-'));
    const first = regenerate(fixture, out);
    expect(readdirSync(out).sort()).toEqual(['README.md', 'slq-lenet-steps.svg', 'slq-lenet-top1.svg', 'slq-lenet.md']);
    expect(first.changed.length).toBe(4);
    const md = readFileSync(join(out, 'slq-lenet.md'), 'utf8');
    expect(md).toContain('| SLQ 4-bit (k-means, cluster-loss order) | 98.00 ± 0.50 % |');
    expect(md).toContain('| INQ 4-bit (powers of two, magnitude order) | 97.00 ± 0.20 % |');
    expect(md).toContain('| 3 (1, 2, 3) |');
    expect(md).toMatch(/\[s1\]\([^)]*\/tests\/fixtures\/report\/records\/ablation-lenet\/slq-lenet\/slq-4-bit-k-means-cluster-loss-order\.s1\.json\)/);
    expect(md).toContain('**held**: SLQ beats INQ at 4 bits');
    expect(md).toContain('+1.00 pp');
    expect(readFileSync(join(out, 'README.md'), 'utf8')).toContain('[SLQ against INQ at 4 and 3 bits (slq-lenet)](slq-lenet.md)');
    expect(regenerate(fixture, out, { check: true }).changed).toEqual([]);
  });

  it('a changed record changes the output (and --check notices)', () => {
    const dir = copyFixture();
    const out = mkdtempSync(join(tmpdir(), 'll-report-out-'));
    regenerate(dir, out);
    const file = join(dir, slqDir, 'inq-4-bit-powers-of-two-magnitude-order.s3.json');
    const rec = JSON.parse(readFileSync(file, 'utf8'));
    rec.metrics.test.top1 = 0.99;
    writeFileSync(file, JSON.stringify(rec));
    expect(regenerate(dir, out, { check: true }).changed.sort()).toEqual(['README.md', 'slq-lenet-top1.svg', 'slq-lenet.md']);
    const s = stat([0.97, 0.972, 0.99]);
    regenerate(dir, out);
    expect(readFileSync(join(out, 'slq-lenet.md'), 'utf8')).toContain(`| INQ 4-bit (powers of two, magnitude order) | ${(s.mean * 100).toFixed(2)} ± ${(s.std * 100).toFixed(2)} % |`);
  });

  it('the CLI: --json gives { tables: [{ name, rows, seeds }] }; a malformed record is one line naming the file, exit ≠ 0', () => {
    const dir = copyFixture();
    const out = mkdtempSync(join(tmpdir(), 'll-report-out-'));
    const cli = (...args: string[]) => spawnSync(process.execPath, [join(root, 'bin/layerlens.mjs'), 'report', '--records', dir, '--out', out, ...args], { encoding: 'utf8', timeout: 60_000 });
    const ok = cli('--json');
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    const j = JSON.parse(ok.stdout);
    expect(j.tables.map((t: Record<string, unknown>) => Object.keys(t).slice(0, 3))).toEqual([['name', 'rows', 'seeds']]);
    expect(j.tables[0].rows[1].figures['test.top1'].mean).toBeCloseTo(0.98, 12);
    expect(cli('--check').status).toBe(0);
    const bad = join(dir, slqDir, 'slq-4-bit-k-means-cluster-loss-order.s2.json');
    writeFileSync(bad, readFileSync(bad, 'utf8').replace('"splits"', '"splitz"'));
    const r = cli();
    expect(r.status).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual([`layerlens: ${bad}: not a result record: splits: Required`]);
  });

  it('a claim on a pct column reads in pp (CorLoc, not only top-1 keys); a non-fraction key reads as is', () => {
    const dir = copyFixture();
    const zig = (row: string, seed: number, corloc: number, rho: number) => {
      const file = join(dir, 'wsod', `zigzag-${row}.s${seed}.json`);
      const rec = JSON.parse(readFileSync(join(dir, slqDir, 'inq-4-bit-powers-of-two-magnitude-order.s1.json'), 'utf8'));
      Object.assign(rec, { experiment: 'wsod', table: 'zigzag', row, seed, curves: {} });
      rec.metrics = { val: { corloc }, test: { corloc, mAP50: corloc }, model: { spearmanIoU: rho } };
      mkdirSync(join(dir, 'wsod'), { recursive: true });
      writeFileSync(file, JSON.stringify(rec));
    };
    // both − all-at-once = −0.000605 on test.corloc: the old output printed the raw fraction
    zig('both', 1, 0.7, 0.1);
    zig('all-at-once', 1, 0.700605, 0.2);
    const out = mkdtempSync(join(tmpdir(), 'll-report-out-'));
    const { report: r } = regenerate(dir, out);
    const claim = r.tables.find((t) => t.name === 'zigzag')!.claims.find((c) => c.key === 'test.corloc')!;
    expect(claim.unit).toBe('pp');
    const md = readFileSync(join(out, 'zigzag.md'), 'utf8');
    expect(md).toContain('both − all-at-once = −0.06 pp on test.corloc');
    expect(md).not.toContain('0.000605');
    expect(readFileSync(join(out, 'README.md'), 'utf8')).toContain('= −0.06 pp on test.corloc');
    expect(claimUnit('model.spearmanIoU', r.tables.find((t) => t.name === 'zigzag')!.columns)).toBe('num');
  });

  it('TRP: the FLOPs-budget rule is compared with the energy row nearest its speed-up, on the seeds both have', () => {
    const dir = copyFixture();
    const trp = (row: string, seed: number, top1: number, speedup: number) => {
      const rec = JSON.parse(readFileSync(join(dir, slqDir, 'inq-4-bit-powers-of-two-magnitude-order.s1.json'), 'utf8'));
      Object.assign(rec, { experiment: 'ablation-lenet', table: 'trp-lenet', row, seed, curves: {} });
      rec.metrics = { val: { top1 }, test: { top1, posthocTop1: 0.5 }, model: { speedup } };
      mkdirSync(join(dir, 'ablation-lenet/trp-lenet'), { recursive: true });
      writeFileSync(join(dir, 'ablation-lenet/trp-lenet', `${row.replace(/[^a-z0-9]+/gi, '-')}.s${seed}.json`), JSON.stringify(rec));
    };
    trp('TRP+Nu, 2× FLOPs budget', 1, 0.985, 2.0);
    trp('TRP+Nu, 2× FLOPs budget', 2, 0.983, 2.0);
    trp('TRP+Nu channel, energy e 0.9', 1, 0.969, 2.06);
    trp('TRP+Nu spatial, energy e 0.99', 1, 0.99, 1.3);
    trp('TRP+Nu spatial, energy e 0.99', 2, 0.99, 1.3);
    const t = report(dir).tables.find((x) => x.name === 'trp-lenet')!;
    const c = t.claims.find((x) => x.text.startsWith("the project's FLOPs-budget rule"))!;
    expect(c).toMatchObject({ better: 'TRP+Nu, 2× FLOPs budget', than: 'TRP+Nu channel, energy e 0.9', verdict: 'held', unit: 'pp' });
    expect(c.diff).toBeCloseTo(0.985 - 0.969, 12); // seed 1 only: the energy row has no seed 2
  });
});

