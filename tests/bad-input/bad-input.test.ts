// Every broken file of the corpus (corpus.ts) must end with exit ≠ 0 and exactly one stderr line that names the
// file and the problem: no stack trace, no "internal error", no signal, no hang. All cases run once through the
// CLI's `main` in one batch process (driver.ts); a handful also through the real `bin/layerlens.mjs`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCorpus, type BadCase } from './corpus';

const repo = resolve(import.meta.dirname, '../..');
const bin = join(repo, 'bin/layerlens.mjs');
const root = mkdtempSync(join(tmpdir(), 'll-bad-input-'));
const ws = mkdtempSync(join(tmpdir(), 'll-bad-ws-'));
const cases = buildCorpus(join(root, 'corpus'));

interface Outcome {
  code: number | 'hang' | 'threw' | null;
  stdout: string;
  stderr: string;
}

function expectOutcome(c: BadCase, r: Outcome | undefined): void {
  expect(r, `${c.name}: no result (the batch process died or blocked in this case)`).toBeDefined();
  const { code, stdout, stderr } = r!;
  expect(code, `${c.name} hung`).not.toBe('hang');
  if (c.names === null) {
    expect(stderr, `${c.name}: a valid file must load`).not.toMatch(/layerlens: /);
    expect(code).toBe(0);
    return;
  }
  expect(code, `${c.name}: ${stderr}`).not.toBe(0);
  expect(typeof code === 'number' && code > 0, `${c.name} exit ${code}`).toBe(true);
  // the backend's once-per-process notice (no native addon built) is information, not part of the error
  const lines = stderr.replace(/\n$/, '').split('\n').filter((l) => !/^LayerLens: no native backend/.test(l));
  expect(lines, `${c.name}: stderr must be one line`).toHaveLength(1);
  expect(lines[0]).toMatch(/^layerlens: /);
  expect(lines[0]).not.toMatch(/internal error/);
  expect(lines[0]).toContain(c.names);
  expect(lines[0]).toMatch(c.problem!);
  expect(stdout).toBe('');
}

describe('bad input corpus', () => {
  const results = new Map<string, Outcome>();
  let hungIn: string | undefined;

  beforeAll(() => {
    const list = join(root, 'cases.json');
    writeFileSync(list, JSON.stringify(cases.map((c) => ({ name: c.name, args: c.args }))));
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'driver.ts'), list, ws, '60000'], {
      cwd: repo,
      encoding: 'utf8',
      timeout: 280_000,
      maxBuffer: 64 << 20,
    });
    for (const line of r.stdout.split('\n').filter(Boolean)) {
      const o = JSON.parse(line) as { start?: string; name?: string } & Outcome;
      if (o.start) hungIn = o.start;
      else if (o.name) {
        results.set(o.name, o);
        hungIn = undefined;
      }
    }
    if (r.status !== 0) console.error(`batch driver: exit ${r.status} signal ${r.signal}; last case started: ${hungIn}\n${r.stderr.slice(-2000)}`);
  }, 300_000);

  it('has at least 30 broken files across all five formats', () => {
    const broken = cases.filter((c) => c.names !== null);
    expect(broken.length).toBeGreaterThanOrEqual(30);
    for (const f of ['tfjs-layers', 'tfjs-graph', 'onnx', 'packed', 'dataset'] as const) {
      expect(broken.filter((c) => c.format === f).length, f).toBeGreaterThanOrEqual(5);
      expect(cases.some((c) => c.format === f && c.names === null), `${f} has a valid control`).toBe(true);
    }
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expectOutcome(c, results.get(c.name));
  });
});

describe('bad input through the real CLI binary', () => {
  // one broken file per format, plus the FIFO that once blocked the image reader
  const picks = ['tfjs-layers: truncated shard', 'tfjs-graph: cyclic graph (MatMul reads the Relu)', 'onnx: truncated', 'packed: bit flip (CRC mismatch)', 'dataset: corrupt PNG', 'dataset: FIFO named like an image (unreadable)'];
  it.each(picks)('%s', (name) => {
    const c = cases.find((x) => x.name === name)!;
    expect(c).toBeDefined();
    const r = spawnSync(process.execPath, [bin, ...c.args, '--workspace', ws], { encoding: 'utf8', timeout: 120_000 });
    expect(r.signal, `${name}: killed by ${r.signal}`).toBeNull();
    expectOutcome(c, { code: r.status, stdout: r.stdout, stderr: r.stderr });
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }, 130_000);
});
