import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const bin = resolve(import.meta.dirname, '../../bin/layerlens.mjs');
const ws = mkdtempSync(join(tmpdir(), 'll-cli-'));
function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args, '--workspace', ws], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
function expectOneLineError(r: { code: number | null; stderr: string; stdout: string }, pattern: RegExp) {
  expect(r.code).not.toBe(0);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^layerlens: /);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  expect(r.stdout).toBe('');
}

describe('CLI bad input', () => {
  it('rejects an unknown command and an unknown flag with exit 2', () => {
    const a = cli('frobnicate');
    expectOneLineError(a, /unknown command "frobnicate"/);
    expect(a.code).toBe(2);
    const b = cli('inspect', 'builtin:lenet5-mnist', '--frob');
    expectOneLineError(b, /--frob/);
    expect(b.code).toBe(2);
  });

  it('names a missing model file', () => {
    expectOneLineError(cli('inspect', '/nope/model.json'), /\/nope\/model\.json/);
  });

  it('names a model.json that is not JSON', () => {
    const d = mkdtempSync(join(tmpdir(), 'll-bad-'));
    writeFileSync(join(d, 'model.json'), '{ this is not json');
    expectOneLineError(cli('inspect', join(d, 'model.json')), new RegExp(`${d}/model\\.json`));
  });

  it('rejects an unknown dataset and bad numeric flags', () => {
    expectOneLineError(cli('eval', 'builtin:lenet5-mnist', '--data', 'imagenet-22k'), /unknown dataset "imagenet-22k"/);
    expectOneLineError(cli('train', '--arch', 'lenet5', '--data', 'mnist', '--epochs', 'many'), /--epochs must be an integer/);
    expectOneLineError(cli('train', '--arch', 'vgg', '--data', 'mnist', '--epochs', '1'), /--arch must be one of/);
    expectOneLineError(cli('eval', 'builtin:lenet5-mnist', '--data', 'mnist', '--evaluator', 'gpu'), /--evaluator must be one of auto, tfjs, ort, got "gpu"/);
    expectOneLineError(cli('sensitivity', 'builtin:lenet5-mnist', '--data', 'mnist', '--evaluator', 'gpu'), /--evaluator must be one of auto, tfjs, ort, got "gpu"/);
  });

  it('names a dataset folder that does not exist', () => {
    const missing = join(ws, 'no-such-folder');
    expectOneLineError(cli('eval', 'builtin:lenet5-mnist', '--data', missing), new RegExp(missing));
  });

  it('names an image folder whose class folders hold no images', () => {
    const d = mkdtempSync(join(tmpdir(), 'll-empty-'));
    mkdirSync(join(d, 'a'));
    mkdirSync(join(d, 'b'));
    expectOneLineError(cli('eval', 'builtin:lenet5-mnist', '--data', d), new RegExp(d));
  });
});
