// The Electron main process's engine bridge (src/main/engine-client.ts ⇄ engine-host.ts) under plain Node,
// on the real engine: it runs everywhere, with or without an Electron binary.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEngine, type Engine } from '../../src/main/engine-client';
import type { JobEvent } from '../../src/shared/api';

const appRoot = join(import.meta.dirname, '..', '..');
let engine: Engine;
let workspaceDir: string;

beforeAll(async () => {
  workspaceDir = mkdtempSync(join(tmpdir(), 'll-host-'));
  engine = await startEngine({ appRoot, workspaceDir, node: process.execPath });
});
afterAll(async () => {
  await engine?.close();
  rmSync(workspaceDir, { recursive: true, force: true });
});

describe('Electron engine host (plain Node child process)', () => {
  it('serves the contract with host "electron"', async () => {
    const info = await engine.call('app.info', {});
    expect(info.host).toBe('electron');
    expect(info.workspaceDir).toBe(workspaceDir);
    const datasets = await engine.call('workspace.datasets', {});
    expect(datasets.map((d) => d.ref)).toContain('mnist');
  });

  it('validates requests again on its side and answers errors in one line', async () => {
    await expect(engine.call('model.inspect', {} as never)).rejects.toThrow(/^invalid request for model.inspect: model/);
    const bad = join(workspaceDir, 'model.json');
    writeFileSync(bad, '{"modelTopology":');
    const err = await engine.call('model.inspect', { model: bad }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain('model.json');
    expect((err as Error).message).not.toContain('\n');
  });

  it('forwards job events and cancels', async () => {
    const events: JobEvent[] = [];
    const off = engine.onJob((e) => events.push(e));
    const { id } = await engine.call('jobs.start', {
      kind: 'train',
      config: { arch: 'lenet5', data: 'mnist', epochs: 2, limit: 512, batchSize: 16, evalLimit: 200 },
    });
    const until = async (pred: () => boolean, ms: number) => {
      const end = Date.now() + ms;
      while (!pred()) {
        if (Date.now() > end) throw new Error(`timed out; events: ${JSON.stringify(events.slice(-3))}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await until(() => events.some((e) => e.id === id && e.fraction > 0), 120_000);
    expect(await engine.call('jobs.cancel', { id })).toEqual({ ok: true });
    await until(() => events.some((e) => e.id === id && e.status === 'cancelled'), 60_000);
    expect((await engine.call('jobs.get', { id })).status).toBe('cancelled');
    off();
  });
});
