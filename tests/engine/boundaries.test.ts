// The import-boundary check that `npm test` runs (`npm run depcheck`, .dependency-cruiser.cjs) must pass on
// src and must fail on a tree that breaks each rule: a check that cannot fail is worthless.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const config = join(root, '.dependency-cruiser.cjs');
const depcruise = join(root, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

function cruise(cwd: string): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [depcruise, 'src', '--config', config, '--output-type', 'err'], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

const tmp = mkdtempSync(join(tmpdir(), 'll-depcruise-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function write(rel: string, text: string): void {
  const p = join(tmp, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, text);
}

describe('import boundaries (dependency-cruiser)', () => {
  it('src passes', () => {
    const r = cruise(root);
    expect(r.out).not.toMatch(/error /);
    expect(r.status).toBe(0);
  });

  it('fails on each broken rule: engine→cli, renderer→engine, renderer→node:fs, shared→engine, runner→its table, a cycle', () => {
    write('tsconfig.web.json', JSON.stringify({ compilerOptions: { baseUrl: '.', paths: { '@shared/*': ['src/shared/*'] } } }));
    write('src/cli/flags.ts', 'export const flag = 1;\n');
    write('src/shared/api.ts', 'export const api = 1;\n');
    write('src/engine/core/ok.ts', "import { api } from '@shared/api';\nexport const ok = api;\n");
    write('src/engine/core/leak.ts', "import { flag } from '../../cli/flags';\nexport const leak = flag;\n");
    write('src/engine/a.ts', "import { b } from './b';\nexport const a = () => b;\n");
    write('src/engine/b.ts', "import { a } from './a';\nexport const b = () => a;\n");
    write('src/engine/analyses/registry.ts', 'export const jobAnalyses = {};\n');
    write('src/engine/analyses/types.ts', 'export interface JobAnalysis { kind: string }\n');
    write('src/engine/jobs/runner.ts', "import type { JobAnalysis } from '../analyses/types';\nimport { jobAnalyses } from '../analyses/registry';\nexport const t: JobAnalysis[] = [];\nexport const j = jobAnalyses;\n");
    write('src/renderer/src/view.ts', "import { ok } from '../../engine/core/ok';\nimport { api } from '@shared/api';\nexport const v = ok + api;\n");
    write('src/renderer/src/disk.ts', "import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n");
    write('src/shared/leak.ts', "import { ok } from '../engine/core/ok';\nexport const l = ok;\n");
    const r = cruise(tmp);
    expect(r.status).not.toBe(0);
    expect(r.out).toMatch(/engine-imports-no-host: src\/engine\/core\/leak\.ts → src\/cli\/flags\.ts/);
    expect(r.out).toMatch(/renderer-imports-only-shared: src\/renderer\/src\/view\.ts → src\/engine\/core\/ok\.ts/);
    expect(r.out).toMatch(/no-circular: src\/engine\/a\.ts →/);
    expect(r.out).toMatch(/renderer-browser-safe-packages: src\/renderer\/src\/disk\.ts → fs\b/);
    expect(r.out).toMatch(/shared-imports-nothing-local-but-shared: src\/shared\/leak\.ts → src\/engine\/core\/ok\.ts/);
    expect(r.out).toMatch(/jobs-given-their-table: src\/engine\/jobs\/runner\.ts → src\/engine\/analyses\/registry\.ts/);
    // the allowed edges are not reported
    expect(r.out).not.toMatch(/core\/ok\.ts → src\/shared/);
    expect(r.out).not.toMatch(/view\.ts → src\/shared/);
    expect(r.out).not.toMatch(/runner\.ts → src\/engine\/analyses\/types/);
  });
});
