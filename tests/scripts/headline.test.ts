import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');

describe('headline tables', () => {
  it('the docs hold exactly what results/headline/*.json give (regenerated, not typed)', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/experiments/headline.ts', '--check'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
