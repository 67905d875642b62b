// The distributed pieces that need no server: Redis URLs, blobs checked on arrival, grid fan-out and merge, and the
// embedded default opening no Redis connection.
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { SensitivityResult } from '../../../src/shared/api-quant';
import { connectionOf, redactUrl, redisFromEnv } from '../../../src/engine/distributed/connection';
import { fetchFolder, folderBlobs, putModel } from '../../../src/engine/distributed/blobs';
import { mergeResults, planChildren } from '../../../src/engine/distributed/fanout';
import { createService } from '../../../src/engine/service';
import { JobRunner } from '../../../src/engine/jobs/runner';

describe('redis URLs', () => {
  it('carries user, password, database and TLS files to the client options, and hides the password in messages', () => {
    const dir = mkdtempSync(join(tmpdir(), 'll-tls-'));
    writeFileSync(join(dir, 'ca.pem'), 'CA');
    const c = connectionOf({ url: 'rediss://queue:p%40ss@redis.example:6380/2', tlsCa: join(dir, 'ca.pem') });
    expect(c).toMatchObject({ host: 'redis.example', port: 6380, username: 'queue', password: 'p@ss', db: 2, maxRetriesPerRequest: null });
    expect(c.tls?.ca?.toString()).toBe('CA');
    expect(c.tls?.servername).toBe('redis.example');
    expect(connectionOf({ url: 'redis://127.0.0.1' })).toMatchObject({ port: 6379, tls: undefined, password: undefined });
    expect(redactUrl('redis://:secret@h:1')).toBe('redis://:***@h:1');
    expect(redisFromEnv({ LAYERLENS_REDIS: ' redis://h:1 ' })).toEqual({ url: 'redis://h:1', tlsCa: undefined, tlsCert: undefined, tlsKey: undefined });
    expect(redisFromEnv({})).toBeUndefined();
  });

  it('refuses what it cannot use, in one line, without echoing the password', () => {
    expect(() => connectionOf({ url: 'http://h:1' })).toThrow(/must start with redis:\/\/ or rediss:\/\//);
    expect(() => connectionOf({ url: 'redis://:pw@h:1', tlsCa: '/x' })).toThrow(/--redis-tls-\* needs a rediss:\/\/ URL/);
    expect(() => connectionOf({ url: 'rediss://h:1', tlsCa: '/no/such/ca.pem' })).toThrow(/\/no\/such\/ca.pem: cannot read the Redis TLS CA/);
    expect(() => connectionOf({ url: 'redis://:topsecret@h:1/99' })).toThrow(/database must be 0..15/);
    try {
      connectionOf({ url: 'redis://:topsecret@h:notaport' });
    } catch (e) {
      expect((e as Error).message).not.toContain('topsecret');
    }
  });
});

describe('blobs', () => {
  it('moves a model folder as sha256-named files and refuses one whose content does not match its name', async () => {
    const src = mkdtempSync(join(tmpdir(), 'll-blob-src-'));
    writeFileSync(join(src, 'model.json'), JSON.stringify({ weightsManifest: [{ paths: ['w.bin'] }] }));
    writeFileSync(join(src, 'w.bin'), Buffer.from([1, 2, 3, 4]));
    writeFileSync(join(src, 'unrelated.txt'), 'not sent');
    const storeDir = mkdtempSync(join(tmpdir(), 'll-blob-store-'));
    const store = folderBlobs(storeDir);
    const folder = await putModel(store, src);
    expect(folder.files.map((f) => f.name)).toEqual(['model.json', 'w.bin']);

    const root = mkdtempSync(join(tmpdir(), 'll-blob-worker-'));
    const entry = await fetchFolder([store], folder, root);
    expect(entry.startsWith(join(root, 'blobs'))).toBe(true);
    expect([...readFileSync(join(entry, '..', 'w.bin'))]).toEqual([1, 2, 3, 4]);

    // a store that hands back other bytes under the same name
    const w = folder.files[1];
    writeFileSync(join(storeDir, w.sha256), Buffer.from([9, 9, 9, 9]));
    await expect(fetchFolder([store], folder, mkdtempSync(join(tmpdir(), 'll-blob-worker-')))).rejects.toThrow(/arrived with other content than its name says/);
    await expect(fetchFolder([folderBlobs(join(storeDir, 'empty'))], folder, root + '-other')).rejects.toThrow(/is in no blob store/);
  });

  it('sends only flat model folders', async () => {
    const src = mkdtempSync(join(tmpdir(), 'll-blob-deep-'));
    mkdirSync(join(src, 'sub'));
    writeFileSync(join(src, 'model.json'), JSON.stringify({ weightsManifest: [{ paths: ['sub/w.bin'] }] }));
    await expect(putModel(folderBlobs(mkdtempSync(join(tmpdir(), 'll-s-'))), join(src, 'model.json'))).rejects.toThrow(/only flat model folders/);
  });
});

describe('fan-out', () => {
  it('splits a sensitivity grid into one child per bit-width and merges the rows back', () => {
    const config = { model: 'm', bits: [2, 8], seed: 1 };
    const kids = planChildren('sensitivity', config);
    expect(kids.map((k) => k.config.bits)).toEqual([[2], [8]]);
    expect(planChildren('train', { seed: 1 })).toHaveLength(1);
    const part = (b: string, v: number) =>
      ({ model: '/worker/blobs/x/model.json', baseline: 0.9, n: 10, layers: [{ name: 'a', members: ['a'], params: 1, bits: { [b]: v } }] }) as unknown as SensitivityResult;
    const merged = mergeResults('sensitivity', config, [part('2', 0.5), part('8', 0.89)]) as SensitivityResult;
    expect(merged.layers[0].bits).toEqual({ '2': 0.5, '8': 0.89 });
    expect(merged.model).toBe('m');
    expect(() => mergeResults('sensitivity', config, [part('2', 0.5), { ...part('8', 0.8), baseline: 0.7 }])).toThrow(/disagree on the baseline/);
  });
});

describe('embedded default', () => {
  it('runs jobs on local threads and opens no Redis connection', async () => {
    const connects = vi.spyOn(Socket.prototype, 'connect');
    const s = await createService({ workspaceDir: mkdtempSync(join(tmpdir(), 'll-embedded-')), host: 'cli' });
    try {
      expect(s.runner).toBeInstanceOf(JobRunner);
      const rec = await s.runner.wait((await s.call('jobs.start', { kind: 'eval', config: { model: 'builtin:lenet5-mnist', data: 'mnist', limit: 50 } })).id);
      expect(rec.status).toBe('done');
      expect(connects).not.toHaveBeenCalled();
    } finally {
      connects.mockRestore();
      await s.close();
    }
  });
});
