import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JobRunner } from '../../../src/engine/jobs/runner';
import { Workspace } from '../../../src/engine/jobs/workspace';
import { jobAnalyses } from './fixtures/echo-table';

const dir = mkdtempSync(join(tmpdir(), 'll-table-'));
const workspace = new Workspace(dir);
const runner = new JobRunner(workspace, { analyses: jobAnalyses, module: new URL('./fixtures/echo-table.ts', import.meta.url) });
afterAll(async () => {
  await runner.close();
  workspace.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('job runner given its job table', () => {
  it('runs a kind of the table it was given in a worker thread', async () => {
    const stages: string[] = [];
    runner.onJob((e) => stages.push(e.stage ?? ''));
    const rec = await runner.wait(runner.start('eval', { n: 21 }).id);
    expect(rec.status).toBe('done');
    expect(rec.result).toEqual({ twice: 42 });
    expect(stages).toContain('halfway');
  });

  it('knows no kind outside its table', () => {
    expect(() => runner.start('train', {})).toThrow('unknown job kind "train"');
  });

  it('records the one-line error of a job of the table that fails', async () => {
    const rec = await runner.wait(runner.start('eval', { n: -1 }).id);
    expect(rec.status).toBe('failed');
    expect(rec.error).toBe('n must be at least 0');
  });
});
