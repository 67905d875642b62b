import { beforeEach, describe, expect, it } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import { setApi } from '@renderer/api';
import { useModelStore } from '@renderer/stores/model';
import { useJobsStore } from '@renderer/stores/jobs';
import { useAppStore } from '@renderer/stores/app';
import { useWorkspaceStore } from '@renderer/stores/workspace';
import type { AppInfo } from '@shared/api';
import { fakeClient, flush, inspectResult, jobRecord } from './helpers';

const info: AppInfo = {
  version: '0.1.0',
  backend: 'wasm',
  workspaceDir: '/ws',
  host: 'browser',
  defaultModel: 'builtin:lenet5-mnist',
  defaultDataset: 'mnist',
};

beforeEach(() => {
  setActivePinia(createPinia());
  useJobsStore().unsubscribe();
});

describe('model store', () => {
  it('inspects a model and selects its largest layer', async () => {
    const f = fakeClient({ 'model.inspect': () => inspectResult() });
    setApi(f.client);
    const m = useModelStore();
    const p = m.open('builtin:lenet5-mnist');
    expect(m.loading).toBe(true);
    await p;
    expect(m.loading).toBe(false);
    expect(m.layers).toHaveLength(5);
    expect(m.selected).toBe('fc1');
    expect(m.totals).toEqual({ layers: 5, params: 61_706, flops: 416_520 });
    expect(f.calls[0]).toEqual({ method: 'model.inspect', req: { model: 'builtin:lenet5-mnist' } });
  });

  it('sorts: numbers largest first, toggles on a second click, names A→Z', async () => {
    setApi(fakeClient({ 'model.inspect': () => inspectResult() }).client);
    const m = useModelStore();
    await m.open('x');
    expect(m.sortedLayers.map((l) => l.name)).toEqual(['conv1', 'conv2', 'fc1', 'fc2', 'fc3']);
    m.sortBy('params');
    expect(m.sortedLayers.map((l) => l.name)).toEqual(['fc1', 'fc2', 'conv2', 'fc3', 'conv1']);
    m.sortBy('params');
    expect(m.sortedLayers[0].name).toBe('conv1');
    m.sortBy('sparsity');
    expect(m.sortedLayers[0].name).toBe('fc1');
    m.sortBy('kind');
    expect(m.sortedLayers.map((l) => l.kind)).toEqual(['Conv2D', 'Conv2D', 'Dense', 'Dense', 'Dense']);
  });

  it('keeps the first line of an error and clears the table', async () => {
    setApi(fakeClient({ 'model.inspect': () => Promise.reject(new Error('/m/model.json: invalid JSON (Unexpected token)\n  at parse')) }).client);
    const m = useModelStore();
    await m.open('/m/model.json');
    expect(m.error).toBe('/m/model.json: invalid JSON (Unexpected token)');
    expect(m.result).toBeNull();
    expect(m.loading).toBe(false);
  });

  it('the latest open wins when answers arrive out of order', async () => {
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    setApi(
      fakeClient({
        'model.inspect': async ({ model }) => {
          if (model === 'slow') await slow;
          const r = inspectResult();
          r.model.name = model;
          return r;
        },
      }).client,
    );
    const m = useModelStore();
    const a = m.open('slow');
    await m.open('fast');
    release();
    await a;
    expect(m.ref).toBe('fast');
    expect(m.result?.model.name).toBe('fast');
  });
});

describe('jobs store', () => {
  it('loads, then follows progress and metric events', async () => {
    const f = fakeClient({ 'jobs.list': () => [jobRecord('a')], 'jobs.get': ({ id }) => jobRecord(id, { status: 'done', fraction: 1 }) });
    setApi(f.client);
    const jobs = useJobsStore();
    await jobs.load();
    jobs.subscribe();
    expect(jobs.active.map((j) => j.id)).toEqual(['a']);
    f.emitJob({ id: 'a', status: 'running', fraction: 0.25, stage: 'epoch 1/2', metrics: { t: 1, step: 1, loss: 2.3, acc: 0.1 } });
    f.emitJob({ id: 'a', status: 'running', fraction: 0.5, stage: 'epoch 1/2', metrics: { t: 2, step: 2, loss: 1.9, acc: 0.3 } });
    expect(jobs.byId.a.fraction).toBe(0.5);
    expect(jobs.byId.a.metrics.map((m) => m.loss)).toEqual([2.3, 1.9]);
    f.emitJob({ id: 'a', status: 'done', fraction: 1, stage: 'done' });
    expect(jobs.byId.a.status).toBe('done');
    // a straggling progress event does not revive it
    f.emitJob({ id: 'a', status: 'running', fraction: 0.9, stage: 'late' });
    expect(jobs.byId.a.status).toBe('done');
    expect(jobs.finished.map((j) => j.id)).toEqual(['a']);
  });

  it('reloads the list when the event stream comes back after a drop (events sent meanwhile are lost)', async () => {
    let status: 'running' | 'done' = 'running';
    const f = fakeClient({ 'jobs.list': () => [jobRecord('a', { status, fraction: status === 'done' ? 1 : 0.3 })] });
    setApi(f.client);
    const jobs = useJobsStore();
    await jobs.load();
    jobs.subscribe();
    expect(jobs.byId.a.status).toBe('running');
    status = 'done'; // finished while the WebSocket was down
    f.emitReconnect();
    await flush();
    expect(jobs.byId.a.status).toBe('done');
    expect(f.calls.filter((c) => c.method === 'jobs.list')).toHaveLength(2);
  });

  it('an event for an unknown job creates it and fetches its record, keeping newer metrics', async () => {
    const f = fakeClient({ 'jobs.get': ({ id }) => jobRecord(id, { kind: 'eval', metrics: [{ t: 1, loss: 1 }] }) });
    setApi(f.client);
    const jobs = useJobsStore();
    jobs.subscribe();
    f.emitJob({ id: 'b', status: 'running', fraction: 0.1, stage: 's', metrics: { t: 1, loss: 1 } });
    expect(jobs.byId.b.status).toBe('running');
    f.emitJob({ id: 'b', status: 'running', fraction: 0.2, stage: 's', metrics: { t: 5, loss: 0.5 } });
    await flush();
    expect(jobs.byId.b.kind).toBe('eval');
    expect(jobs.byId.b.metrics.map((m) => m.t)).toEqual([1, 5]);
    expect(jobs.byId.b.fraction).toBe(0.2);
  });

  it('start selects the new job; cancel marks it cancelling until the event', async () => {
    const f = fakeClient({
      'jobs.start': () => ({ id: 'c' }),
      'jobs.get': ({ id }) => jobRecord(id),
      'jobs.cancel': () => ({ ok: true }),
    });
    setApi(f.client);
    const jobs = useJobsStore();
    jobs.subscribe();
    const id = await jobs.start({ kind: 'train', config: { arch: 'lenet5', data: 'mnist', epochs: 2, limit: 512 } });
    expect(id).toBe('c');
    expect(jobs.selected?.id).toBe('c');
    await jobs.cancel('c');
    expect(jobs.cancelling.c).toBe(true);
    f.emitJob({ id: 'c', status: 'cancelled', fraction: 0.3, stage: 'epoch 1/2', error: 'cancelled by the user' });
    expect(jobs.byId.c.status).toBe('cancelled');
    expect(jobs.cancelling.c).toBeUndefined();
    expect(f.calls.find((c) => c.method === 'jobs.cancel')?.req).toEqual({ id: 'c' });
  });

  it('shows a failed cancel on the job', async () => {
    const f = fakeClient({ 'jobs.list': () => [jobRecord('d')], 'jobs.cancel': () => Promise.reject(new Error('engine unavailable')) });
    setApi(f.client);
    const jobs = useJobsStore();
    await jobs.load();
    await jobs.cancel('d');
    expect(jobs.byId.d.error).toBe('engine unavailable');
    expect(jobs.cancelling.d).toBeUndefined();
  });
});

describe('app and workspace stores', () => {
  it('init loads host info, workspace, jobs and opens the default model', async () => {
    const f = fakeClient({
      'app.info': () => info,
      'workspace.models': () => [{ ref: 'builtin:lenet5-mnist', name: 'lenet5-mnist', builtin: true }],
      'workspace.datasets': () => [{ ref: 'mnist', name: 'MNIST', classes: 10, train: 7200, val: 800, test: 2000 }],
      'jobs.list': () => [],
      'model.inspect': () => inspectResult(),
    });
    setApi(f.client);
    const app = useAppStore();
    await app.init();
    expect(app.info?.backend).toBe('wasm');
    expect(useModelStore().ref).toBe('builtin:lenet5-mnist');
    expect(useModelStore().layers).toHaveLength(5);
    expect(useWorkspaceStore().datasets[0].ref).toBe('mnist');
    expect(f.jobListeners.size).toBe(1);
  });

  it('init reports an unreachable host', async () => {
    setApi(fakeClient({ 'app.info': () => Promise.reject(new Error('forbidden: missing or wrong token')) }).client);
    const app = useAppStore();
    await app.init();
    expect(app.error).toBe('forbidden: missing or wrong token');
    expect(app.loading).toBe(false);
  });

  it('a host open-model event opens that model in the Layers view', async () => {
    const f = fakeClient({
      'app.info': () => info,
      'workspace.models': () => [],
      'workspace.datasets': () => [],
      'jobs.list': () => [],
      'model.inspect': () => inspectResult(),
    });
    setApi(f.client);
    const app = useAppStore();
    await app.init();
    app.navigate('jobs');
    f.emitHost({ type: 'open-model', model: '/models/a/model.json' });
    await flush();
    await flush();
    expect(app.view).toBe('layers');
    expect(useModelStore().ref).toBe('/models/a/model.json');
  });

  it('workspace store reports errors', async () => {
    setApi(fakeClient({ 'workspace.models': () => Promise.reject(new Error('boom')), 'workspace.datasets': () => [] }).client);
    const ws = useWorkspaceStore();
    await ws.load();
    expect(ws.error).toBe('boom');
    expect(ws.loaded).toBe(false);
  });
});
