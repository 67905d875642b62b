import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AUTO_BACKEND } from '../engine/backend/auto';

const root = resolve(import.meta.dirname, '../..');
const bin = join(root, 'bin/layerlens.mjs');
const builtinDir = join(root, 'resources/models/lenet5-mnist');
const ws = mkdtempSync(join(tmpdir(), 'll-cli-cmd-'));
function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args, '--workspace', ws], { encoding: 'utf8', timeout: 240_000, cwd: tmpdir() });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
function copyOfBuiltin(): string {
  const d = mkdtempSync(join(tmpdir(), 'll-copy-'));
  for (const f of ['model.json', 'weights.bin']) copyFileSync(join(builtinDir, f), join(d, f));
  return d;
}

describe('CLI commands (real engine, JSON output)', () => {
  it('eval builtin:lenet5-mnist reaches ≥ 98.5 % on the 2,000-image MNIST test split', () => {
    const r = cli('eval', 'builtin:lenet5-mnist', '--data', 'mnist', '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j)).toEqual(['split', 'n', 'metrics', 'backend', 'evaluator']);
    expect(['tfjs', 'ort']).toContain(j.evaluator);
    expect([j.split, j.n]).toEqual(['test', 2000]);
    expect(Object.keys(j.metrics)).toEqual(['top1', 'top5', 'perClass', 'confusion']);
    expect(j.metrics.top1).toBeGreaterThanOrEqual(0.985);
    expect(j.metrics.top5).toBeGreaterThanOrEqual(j.metrics.top1);
    const m = j.metrics.confusion as number[][];
    expect(m.flat().reduce((a, b) => a + b, 0)).toBe(2000);
    expect(m.reduce((s, row, c) => s + row[c], 0) / 2000).toBeCloseTo(j.metrics.top1, 12);
    expect(j.backend).toBe(AUTO_BACKEND);
  });

  it('eval --split val: the val images carved from train, as text with per-class accuracy and the confusion matrix', () => {
    const r = cli('eval', 'builtin:lenet5-mnist', '--data', 'mnist', '--split', 'val', '--metrics', 'top1,perClass,confusion');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^top-1 \\d+\\.\\d\\d % on 800 val images \\(backend ${AUTO_BACKEND}\\)\\nper class:\\n`));
    expect(r.stdout).toContain('confusion (rows: true class, columns: predicted):');
    expect(r.stdout.trim().split('\n')).toHaveLength(1 + 1 + 10 + 1 + 10);
    const bad = cli('eval', 'builtin:lenet5-mnist', '--data', 'mnist', '--split', 'train');
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe('layerlens: --split must be one of val, test, got "train"');
  });

  it('eval builtin:resnet8-fashion: ≥ 87 % on the first 2,000 Fashion-MNIST test images (its README: 88.51 % on all 10,000)', () => {
    const r = cli('eval', 'builtin:resnet8-fashion', '--data', 'fashion-mnist', '--limit', '2000', '--json');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.n).toBe(2000);
    expect(j.metrics.top1).toBeGreaterThanOrEqual(0.87);
  });

  it('inspect lists every weighted layer; params and FLOPs sum to the model totals', () => {
    const r = cli('inspect', 'builtin:lenet5-mnist', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.model).toMatchObject({ name: 'lenet5-mnist', format: 'builtin', inputShape: [null, 28, 28, 1], params: 61706 });
    expect(j.layers.map((l: { name: string }) => l.name)).toEqual(['conv1', 'conv2', 'fc1', 'fc2', 'fc3']);
    const sum = (k: 'params' | 'flops') => j.layers.reduce((s: number, l: Record<string, number>) => s + l[k], 0);
    expect(sum('params')).toBe(j.model.params);
    expect(sum('flops')).toBe(j.model.flops);
    // conv1: 5·5·1·6 multiply-adds at each of 28·28 positions
    expect(j.layers[0]).toMatchObject({ kind: 'Conv2D', weightShape: [5, 5, 1, 6], params: 156, flops: 5 * 5 * 6 * 28 * 28 });
    for (const l of j.layers) {
      expect(Object.keys(l.stats).sort()).toEqual(['max', 'mean', 'min', 'sparsity', 'std']);
      expect(l.stats.min).toBeLessThan(l.stats.max);
    }
  });

  it('jobs --json lists what ran in the workspace', () => {
    const r = cli('jobs', '--json');
    expect(r.code).toBe(0);
    const jobs = JSON.parse(r.stdout) as { kind: string; status: string }[];
    expect(jobs.some((j) => j.kind === 'eval' && j.status === 'done')).toBe(true);
  });

  it('train writes a model that eval loads', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'll-cli-train-')), 'run');
    const t = cli('train', '--arch', 'lenet5', '--data', 'mnist', '--epochs', '1', '--limit', '256', '--seed', '4', '--out', out, '--json');
    expect(t.code).toBe(0);
    const tr = JSON.parse(t.stdout);
    expect(tr).toMatchObject({ arch: 'lenet5', seed: 4, epochs: 1, n: 2000 });
    const e = JSON.parse(cli('eval', out, '--data', 'mnist', '--json').stdout);
    expect(e.metrics.top1).toBeCloseTo(tr.top1, 6);
    expect(tr).toMatchObject({ split: 'test', val: { split: 'val', n: 800 } });
  });
});

describe('CLI bad model files', () => {
  const oneLine = (r: { code: number | null; stderr: string }, re: RegExp) => {
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(re);
  };

  it('a truncated weight shard names the shard', () => {
    const d = copyOfBuiltin();
    const bytes = readFileSync(join(d, 'weights.bin'));
    writeFileSync(join(d, 'weights.bin'), bytes.subarray(0, 1000));
    oneLine(cli('inspect', d), new RegExp(`${d}/weights\\.bin`));
  });

  it('NaN weights are refused, naming the file', () => {
    const d = copyOfBuiltin();
    const bytes = readFileSync(join(d, 'weights.bin'));
    new DataView(bytes.buffer, bytes.byteOffset).setFloat32(8, Number.NaN, true);
    writeFileSync(join(d, 'weights.bin'), bytes);
    oneLine(cli('eval', d, '--data', 'mnist'), /NaN/);
  });

  it('a weight whose shape does not match its layer is refused', () => {
    const d = copyOfBuiltin();
    const j = JSON.parse(readFileSync(join(d, 'model.json'), 'utf8'));
    j.weightsManifest[0].weights[0].shape = [3, 3, 1, 6];
    writeFileSync(join(d, 'model.json'), JSON.stringify(j));
    oneLine(cli('inspect', join(d, 'model.json')), new RegExp(`${d}/model\\.json`));
  });

  it('a model whose input does not fit the dataset is refused, naming both', () => {
    // colour 32×32 images cannot feed a 28×28×1 net
    const d = mkdtempSync(join(tmpdir(), 'll-rgb-'));
    for (const cls of ['cat', 'dog']) {
      mkdirSync(join(d, cls));
      for (let i = 0; i < 3; i++) {
        const png = new PNG({ width: 32, height: 32 });
        for (let p = 0; p < 32 * 32; p++) png.data.set([cls === 'cat' ? 200 : 20, 90 + i, 30, 255], p * 4);
        writeFileSync(join(d, cls, `${i}.png`), PNG.sync.write(png));
      }
    }
    oneLine(cli('eval', 'builtin:lenet5-mnist', '--data', d), /expects input 28×28×1 but dataset .* gives 32×32×3/);
  });
});
