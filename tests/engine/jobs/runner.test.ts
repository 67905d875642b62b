import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvalResult, JobEvent } from '../../../src/shared/api';
import { createService, type Service } from '../../../src/engine/service';
import { AUTO_BACKEND } from '../backend/auto';

let service: Service;
const events: JobEvent[] = [];

beforeAll(async () => {
  service = await createService({ workspaceDir: mkdtempSync(join(tmpdir(), 'll-svc-')), host: 'cli' });
  service.onJob((e) => events.push(e));
});
afterAll(async () => {
  await service.close();
});

describe('job runner (worker threads) through the service', () => {
  it('runs an evaluation of the builtin model to the end and records it', async () => {
    const { id } = await service.call('jobs.start', { kind: 'eval', config: { model: 'builtin:lenet5-mnist', data: 'mnist', limit: 500 } });
    const rec = await service.runner.wait(id);
    expect(rec.status).toBe('done');
    const result = rec.result as EvalResult;
    expect([result.split, result.n]).toEqual(['test', 500]);
    expect(result.metrics.top1).toBeGreaterThan(0.95);
    expect(result.backend).toBe(AUTO_BACKEND);
    const mine = events.filter((e) => e.id === id);
    expect(mine[0].status).toBe('running');
    expect(mine.at(-1)!.status).toBe('done');
    expect((await service.call('jobs.get', { id })).status).toBe('done');
  });

  it('cancels a running training job and marks it cancelled, keeping its metric history', async () => {
    const { id } = await service.call('jobs.start', {
      kind: 'train',
      config: { arch: 'lenet5', data: 'mnist', epochs: 50, limit: 4096, seed: 2 },
    });
    // wait for the first metrics, then cancel
    await new Promise<void>((resolve) => {
      const off = service.onJob((e) => {
        if (e.id === id && e.metrics) {
          off();
          resolve();
        }
      });
    });
    expect((await service.call('jobs.cancel', { id })).ok).toBe(true);
    const rec = await service.runner.wait(id);
    expect(rec.status).toBe('cancelled');
    expect(rec.fraction).toBeLessThan(1);
    expect(service.workspace.getJob(id)!.metrics.length).toBeGreaterThan(0);
    expect(events.filter((e) => e.id === id).at(-1)!.status).toBe('cancelled');
  });

  it('records a failing job with its one-line error', async () => {
    const { id } = await service.call('jobs.start', { kind: 'eval', config: { model: '/no/such/model.json', data: 'mnist' } });
    const rec = await service.runner.wait(id);
    expect(rec.status).toBe('failed');
    expect(rec.error).toBe('/no/such/model.json: model file not found');
  });

  it('rejects a bad job config before starting anything', async () => {
    await expect(
      service.call('jobs.start', { kind: 'train', config: { arch: 'lenet5', data: 'mnist', epochs: 0 } } as never),
    ).rejects.toThrow(/invalid request for jobs.start: config.epochs/);
  });
});
