import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AUTO_BACKEND } from '../engine/backend/auto';

const root = resolve(import.meta.dirname, '../..');
const bin = join(root, 'bin/layerlens.mjs');
const ws = mkdtempSync(join(tmpdir(), 'll-cli-quant-'));
function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args, '--workspace', ws], { encoding: 'utf8', timeout: 240_000, cwd: tmpdir() });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('layerlens sensitivity / quantize', () => {
  it('sensitivity --json: baseline and one row per layer with every bit-width', () => {
    const r = cli('sensitivity', 'builtin:lenet5-mnist', '--data', 'mnist', '--bits', '2,8', '--limit', '300', '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.baseline).toBeGreaterThan(0.95);
    expect(j.backend).toBe(AUTO_BACKEND);
    expect(j.layers.map((l: { name: string }) => l.name)).toEqual(['conv1', 'conv2', 'fc1', 'fc2', 'fc3']);
    for (const l of j.layers) expect(Object.keys(l.bits)).toEqual(['2', '8']);
    expect([j.split, j.n, j.metric]).toEqual(['val', 300, 'top1']);
  });

  it('sensitivity --metric top5 (text): the metric and the val split are named', () => {
    const r = cli('sensitivity', 'builtin:lenet5-mnist', '--data', 'mnist', '--bits', '8', '--limit', '200', '--metric', 'top5');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^baseline top5 \d+\.\d\d % on 200 val images \(kmeans, per-tensor\)$/);
    const bad = cli('sensitivity', 'builtin:lenet5-mnist', '--data', 'mnist', '--metric', 'mAP50');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^layerlens: metric mAP50 is for detection, not classification/);
  });

  it('quantize --method uniform --json: the documented shape, and --out loads in eval', () => {
    const out = mkdtempSync(join(tmpdir(), 'll-q-'));
    const r = cli('quantize', 'builtin:lenet5-mnist', '--data', 'mnist', '--method', 'uniform', '--bits', '6', '--fractions', '1', '--retrain-epochs', '0', '--eval-limit', '300', '--out', out, '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    for (const k of ['method', 'policy', 'baseline', 'quantized', 'compressionRatio', 'steps', 'episodes']) expect(j).toHaveProperty(k);
    expect(j.policy).toEqual({ conv1: 6, conv2: 6, fc1: 6, fc2: 6, fc3: 6 });
    expect(j.backend).toBe(AUTO_BACKEND);
    expect(j.steps).toHaveLength(1);
    expect(j.compressionRatio).toBeGreaterThan(5);
    expect(j.compressionRatio).toBeLessThan(32 / 6);
    const policy = JSON.parse(readFileSync(join(out, 'policy.json'), 'utf8'));
    expect(policy.layers.conv1).toMatchObject({ bits: 6, method: 'uniform' });
    const e = cli('eval', out, '--data', 'mnist', '--limit', '300', '--json');
    expect(e.code).toBe(0);
    expect(JSON.parse(e.stdout).metrics.top1).toBeCloseTo(j.quantized.top1, 6);
  });

  it('bad input: one line naming the flag or the file', () => {
    const bad = cli('quantize', 'builtin:lenet5-mnist', '--data', 'mnist', '--method', 'int3');
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/--method must be one of uniform, dnq, slq, mlq/);
    const file = join(ws, 'policy.json');
    writeFileSync(file, '{"layers": ');
    const p = cli('quantize', 'builtin:lenet5-mnist', '--data', 'mnist', '--method', 'dnq', '--policy', file);
    expect(p.code).toBe(1);
    expect(p.stderr.trim()).toBe(`layerlens: ${file}: policy file is not valid JSON`);
    const pin = cli('quantize', 'builtin:lenet5-mnist', '--data', 'mnist', '--method', 'dnq', '--pinned', 'fc1');
    expect(pin.code).toBe(2);
    expect(pin.stderr).toMatch(/--pinned must be layer=bits/);
    const b = cli('sensitivity', 'builtin:lenet5-mnist', '--data', 'mnist', '--bits', '1,4');
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/--bits must be an integer ≥ 2 and ≤ 8, got "1"/);
  });
});
