import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const bin = join(root, 'bin/layerlens.mjs');
const ws = mkdtempSync(join(tmpdir(), 'll-cli-export-'));
const dir = mkdtempSync(join(tmpdir(), 'll-cli-export-out-'));
function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args, '--workspace', ws], { encoding: 'utf8', timeout: 240_000, cwd: tmpdir() });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('layerlens export / diff', () => {
  it('export --format onnx --json gives the issue\'s shape; diff --json compares it with the float model', () => {
    const policy = join(dir, 'policy.json');
    writeFileSync(policy, JSON.stringify({ version: 1, layers: { fc1: { bits: 4 }, fc2: { bits: 4 } } }));
    const r = cli('export', 'builtin:lenet5-mnist', '--policy', policy, '--format', 'onnx', '--out', join(dir, 'onnx'), '--limit', '300', '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ format: 'onnx', files: [join(dir, 'onnx', 'model.onnx')] });
    expect(j.bytes).toBeGreaterThan(j.gzipBytes * 0.5);
    expect(j.layers.map((l: { name: string; bits: number }) => [l.name, l.bits])).toEqual([
      ['conv1', 32],
      ['conv2', 32],
      ['fc1', 4],
      ['fc2', 4],
      ['fc3', 32],
    ]);
    for (const l of j.layers) expect(Object.keys(l)).toEqual(expect.arrayContaining(['name', 'bits', 'bytes']));
    expect(Object.keys(j.verify)).toEqual(expect.arrayContaining(['maxAbsError', 'top1Simulated', 'top1Reloaded', 'agreement']));
    expect(Math.abs(j.verify.top1Reloaded - j.verify.top1Simulated)).toBeLessThanOrEqual(0.001);

    const d = cli('diff', 'builtin:lenet5-mnist', join(dir, 'onnx', 'model.onnx'), '--json');
    expect(d.code).toBe(0);
    const dj = JSON.parse(d.stdout);
    expect(dj.layers.find((l: { name: string }) => l.name === 'fc1')).toMatchObject({ bitsA: 32, bitsB: 4, paramsA: 48120, paramsB: 48120 });
    expect(dj.b.format).toBe('onnx');
    expect(dj.backend).toBe('wasm');
  });

  it('bad input: one-line errors and exit codes', () => {
    const a = cli('export', 'builtin:lenet5-mnist', '--format', 'tflite', '--out', dir);
    expect(a.code).toBe(2);
    expect(a.stderr.trim().split('\n')).toHaveLength(1);
    expect(a.stderr).toMatch(/--format must be one of tfjs, onnx, aimet, packed/);
    const bad = join(dir, 'bad.onnx');
    writeFileSync(bad, 'not protobuf at all');
    const b = cli('inspect', bad);
    expect(b.code).toBe(1);
    expect(b.stderr.trim().split('\n')).toHaveLength(1);
    expect(b.stderr).toContain(bad);
    const p = cli('export', 'builtin:lenet5-mnist', '--policy', join(dir, 'missing.json'), '--format', 'packed', '--out', dir);
    expect(p.code).toBe(1);
    expect(p.stderr).toMatch(/policy file not found/);
  });
});
