import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readOnnxFile } from '../../src/engine/formats/onnx';
import { AUTO_BACKEND } from '../engine/backend/auto';

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
    expect(dj.backend).toBe(AUTO_BACKEND);
  });

  it('a quantized folder carries its policy: export without --policy writes its codes (quantize, ptq); --policy none writes float', () => {
    const dq = (file: string) => (readOnnxFile(file).model.graph?.node ?? []).filter((n) => n.opType === 'DequantizeLinear').length;
    const q = join(dir, 'quantized');
    const r = cli('quantize', 'builtin:lenet5-mnist', '--data', 'mnist', '--method', 'uniform', '--bits', '4', '--retrain-epochs', '0', '--eval-limit', '64', '--out', q);
    expect(r.code).toBe(0);
    const e = cli('export', q, '--format', 'onnx', '--out', join(dir, 'q-onnx'), '--limit', '64', '--json');
    expect(e.code).toBe(0);
    const j = JSON.parse(e.stdout);
    expect(j.layers.map((l: { bits: number; storage: string }) => [l.bits, l.storage])).toEqual(Array(5).fill([4, 'int4']));
    expect(dq(j.files[0])).toBe(5);
    expect(j.bytes).toBeLessThan(60_000);
    expect(j.verify.agreement).toBe(1);
    // told otherwise: the float32 file (≈ 249 KB for LeNet-5), no DequantizeLinear
    const f = JSON.parse(cli('export', q, '--policy', 'none', '--format', 'onnx', '--out', join(dir, 'q-float'), '--limit', '64', '--json').stdout);
    expect(f.layers.every((l: { bits: number }) => l.bits === 32)).toBe(true);
    expect(dq(f.files[0])).toBe(0);
    expect(f.bytes).toBeGreaterThan(240_000);

    // the same for what ptq writes: the policy is in the model's metadata and in policy.json beside it
    const p = cli('ptq', 'builtin:lenet5-mnist', '--bits', '8', '--per-channel', '--limit', '32', '--out', join(dir, 'ptq'), '--json');
    expect(p.code).toBe(0);
    const pj = JSON.parse(p.stdout);
    expect(pj.outputs[0]).toMatchObject({ name: 'fc3', shape: [null, 10] });
    expect(pj.outputs[0].cosine).toBeGreaterThan(0.999);
    expect(JSON.parse(readFileSync(join(dir, 'ptq', 'model.json'), 'utf8')).userDefinedMetadata.layerlens.policy.layers.fc1).toMatchObject({ bits: 8, granularity: 'per-channel' });
    const pe = JSON.parse(cli('export', join(dir, 'ptq'), '--format', 'onnx', '--out', join(dir, 'ptq-onnx'), '--limit', '32', '--json').stdout);
    expect(pe.layers.map((l: { storage: string }) => l.storage)).toEqual(Array(5).fill('int8'));
    expect(dq(pe.files[0])).toBe(5);
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
