// The native backend is optional at install: without a toolchain its install step prints one line and
// exits 0, so `npm install` succeeds and the engine falls back to wasm.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../../..');
const dir = mkdtempSync(join(tmpdir(), 'll-native-install-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('native/install.mjs', () => {
  it('exits 0 with one line when no C++ toolchain can be found', () => {
    // a copy of native/ (so that nothing is built into the working tree) next to the project's modules
    cpSync(join(repo, 'native'), join(dir, 'native'), { recursive: true, filter: (p) => !p.includes(`${join('native', 'build')}`) });
    symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'));
    // PATH with node alone: no make, no compiler, no Python
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    symlinkSync(process.execPath, join(bin, 'node'));
    const r = spawnSync(process.execPath, [join(dir, 'native', 'install.mjs')], {
      cwd: dir,
      encoding: 'utf8',
      env: { PATH: bin, HOME: dir },
      timeout: 120_000,
    });
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n').filter((l) => l.trim() !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^layerlens native backend: not built.*; the engine will use wasm$/);
    expect(existsSync(join(dir, 'native', 'build', 'Release', 'layerlens_native.node'))).toBe(false);
  });
});
