import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService, type Service } from '../../../../src/engine/service';

const root = resolve(import.meta.dirname, '../../../..');
let service: Service;
let ws: string;

beforeAll(async () => {
  ws = mkdtempSync(join(tmpdir(), 'll-report-ws-'));
  cpSync(join(root, 'tests/fixtures/report/records'), join(ws, 'results'), { recursive: true });
  service = await createService({ workspaceDir: ws, host: 'cli' });
});
afterAll(async () => {
  await service?.close();
  rmSync(ws, { recursive: true, force: true });
});

describe('report.tables / report.record', () => {
  it('reads the workspace results/ folder by default, or the folder asked for', async () => {
    const r = await service.call('report.tables', {});
    expect(r.recordsDir).toBe(join(ws, 'results'));
    expect(r.tables.map((t) => t.name)).toEqual(['slq-lenet']);
    const named = await service.call('report.tables', { records: join(root, 'tests/fixtures/report/records') });
    expect(named.tables[0].rows.map((x) => x.records)).toEqual(r.tables[0].rows.map((x) => x.records));
  });

  it('opens one record by name; an unknown or escaping name is a one-line user error', async () => {
    const name = 'ablation-lenet/slq-lenet/slq-4-bit-k-means-cluster-loss-order.s2';
    const r = await service.call('report.record', { name });
    expect(r.file).toBe(join(ws, 'results', `${name}.json`));
    expect(r.record).toMatchObject({ seed: 2, row: 'SLQ 4-bit (k-means, cluster-loss order)', metrics: { test: { top1: 0.985 } } });
    await expect(service.call('report.record', { name: 'ablation-lenet/nope.s1' })).rejects.toThrow(`${join(ws, 'results')}: no record "ablation-lenet/nope.s1"`);
    await expect(service.call('report.record', { name: '../../etc/passwd' })).rejects.toThrow('is outside the records folder');
  });
});
