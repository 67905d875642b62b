import { describe, expect, it } from 'vitest';
import { mount, flushPromises } from '@vue/test-utils';
import { setApi } from '@renderer/api';
import LayersView from '@renderer/views/LayersView.vue';
import JobsView from '@renderer/views/JobsView.vue';
import TrainView from '@renderer/views/TrainView.vue';
import WorkspaceView from '@renderer/views/WorkspaceView.vue';
import JobDetail from '@renderer/components/JobDetail.vue';
import App from '@renderer/App.vue';
import { useModelStore } from '@renderer/stores/model';
import { useJobsStore } from '@renderer/stores/jobs';
import { useWorkspaceStore } from '@renderer/stores/workspace';
import { useAppStore } from '@renderer/stores/app';
import { fakeClient, freshPiniaPerTest, inspectResult, jobRecord } from './helpers';

const opts = freshPiniaPerTest();

describe('LayersView', () => {
  it('shows one row per layer, totals, and the selected layer with its histogram', async () => {
    setApi(fakeClient({ 'model.inspect': () => inspectResult() }).client);
    await useModelStore().open('builtin:lenet5-mnist');
    const w = mount(LayersView, opts());
    const rows = w.findAll('[data-testid=layer-row]');
    expect(rows.map((r) => r.attributes('data-layer'))).toEqual(['conv1', 'conv2', 'fc1', 'fc2', 'fc3']);
    expect(rows[2].classes()).toContain('selected');
    expect(rows[2].text()).toContain('48.1 k');
    expect(rows[2].text()).toContain('25.0 %');
    expect(w.get('[data-testid=layer-totals]').text()).toContain('61.7 k');
    expect(w.get('[data-testid=layer-panel]').text()).toContain('48,120');
    expect(w.find('[data-testid=layer-histogram] svg').exists()).toBe(true);
    expect(w.find('[data-testid=layer-overview-chart] svg').exists()).toBe(true);
    w.unmount();
  });

  it('sorts by a header click and selects a row on click', async () => {
    setApi(fakeClient({ 'model.inspect': () => inspectResult() }).client);
    await useModelStore().open('m');
    const w = mount(LayersView, opts());
    await w.get('[data-testid=sort-flops]').trigger('click');
    expect(w.findAll('[data-testid=layer-row]').map((r) => r.attributes('data-layer'))).toEqual(['conv2', 'conv1', 'fc1', 'fc2', 'fc3']);
    expect(w.get('[data-testid=sort-flops]').attributes('aria-sort')).toBe('descending');
    await w.findAll('[data-testid=layer-row]')[0].trigger('click');
    expect(w.get('[data-testid=layer-panel] h2').text()).toContain('conv2');
    w.unmount();
  });

  it('a column chooser hides and shows column groups, keeps header, cells and totals aligned, and remembers', async () => {
    localStorage.removeItem('layerlens.layers.columns');
    setApi(fakeClient({ 'model.inspect': () => inspectResult() }).client);
    await useModelStore().open('m');
    const w = mount(LayersView, opts());
    const widths = () => {
      const head = w.findAll('thead th').length;
      const row = w.findAll('[data-testid=layer-row]')[0].findAll('td').length;
      const foot = w.findAll('[data-testid=layer-totals] td').reduce((a, td) => a + Number(td.attributes('colspan') ?? 1), 0);
      return [head, row, foot];
    };
    // activation starts hidden (it is in the side panel too)
    expect(w.findAll('thead th').map((t) => t.text())).not.toContain('activation');
    expect(widths()).toEqual([13, 13, 13]);
    await w.get('[data-testid=columns-activation]').setValue(true);
    expect(w.findAll('thead th').map((t) => t.text())).toContain('activation');
    expect(widths()).toEqual([14, 14, 14]);
    await w.get('[data-testid=columns-stats]').setValue(false);
    await w.get('[data-testid=columns-lowrank]').setValue(false);
    expect(widths()).toEqual([7, 7, 7]);
    expect(JSON.parse(localStorage.getItem('layerlens.layers.columns')!)).toMatchObject({ activation: true, stats: false, lowrank: false });
    w.unmount();
    // a new view starts from what was chosen
    const again = mount(LayersView, opts());
    expect(again.findAll('thead th').map((t) => t.text().replace(/[▲▼]/, ''))).toEqual(['#', 'name', 'kind', 'weight shape', 'params', 'FLOPs', 'activation']);
    again.unmount();
    localStorage.removeItem('layerlens.layers.columns');
  });

  it('shows loading, then the one-line error of a corrupt model', async () => {
    let fail!: (e: Error) => void;
    setApi(fakeClient({ 'model.inspect': () => new Promise((_, r) => (fail = r)) }).client);
    const p = useModelStore().open('/bad/model.json');
    const w = mount(LayersView, opts());
    expect(w.find('[data-testid=loading]').exists()).toBe(true);
    fail(new Error('/bad/model.json: invalid JSON (Unexpected end of JSON input)'));
    await p;
    await flushPromises();
    expect(w.get('[data-testid=error]').text()).toBe('/bad/model.json: invalid JSON (Unexpected end of JSON input)');
    expect(w.findAll('[data-testid=layer-row]')).toHaveLength(0);
    w.unmount();
  });

  it('says what to do when no model is open', () => {
    const w = mount(LayersView, opts());
    expect(w.get('[data-testid=empty]').text()).toContain('No model open');
    w.unmount();
  });
});

describe('JobDetail and JobsView', () => {
  it('shows progress, live metrics and a cancel button that calls jobs.cancel', async () => {
    const f = fakeClient({ 'jobs.cancel': () => ({ ok: true }) });
    setApi(f.client);
    const jobs = useJobsStore();
    jobs.byId.a = jobRecord('a', {
      fraction: 0.4,
      stage: 'epoch 1/2',
      metrics: [
        { t: 1, step: 1, loss: 2.3, acc: 0.1 },
        { t: 2, step: 2, loss: 2.0, acc: 0.3 },
      ],
    });
    const w = mount(JobDetail, { ...opts(), props: { job: jobs.byId.a } });
    expect(w.get('[data-testid=job-progress]').attributes('aria-valuenow')).toBe('40');
    expect(w.get('[data-testid=job-status]').text()).toBe('running');
    expect(w.find('[data-testid=chart] svg').exists()).toBe(true);
    await w.get('[data-testid=cancel-job]').trigger('click');
    expect(f.calls).toContainEqual({ method: 'jobs.cancel', req: { id: 'a' } });
    expect(w.get('[data-testid=cancel-job]').text()).toBe('Cancelling…');
    w.unmount();
  });

  it('charts a finished job\'s quantities without an empty-history note, and leaves counters such as child or cell out', () => {
    const job = jobRecord('s', {
      kind: 'sensitivity',
      status: 'done',
      fraction: 1,
      metrics: [
        { t: 1, step: 1, child: 0, cell: 1, bits: 2, top1: 0.5 },
        { t: 2, step: 2, child: 1, cell: 2, bits: 4, top1: 0.8 },
      ],
    });
    const w = mount(JobDetail, { ...opts(), props: { job } });
    expect(w.find('[data-testid=chart] svg').exists()).toBe(true);
    expect(w.find('[data-testid=chart-empty]').exists()).toBe(false);
    const legend = w.get('[data-testid=chart]').text();
    expect(legend).toContain('top1');
    expect(legend).not.toMatch(/child|cell/);
    w.unmount();
  });

  it('shows the failure message and no cancel button for a failed job', () => {
    const job = jobRecord('f', { status: 'failed', error: 'mnist: dataset cache is corrupt', fraction: 0.1 });
    const w = mount(JobDetail, { ...opts(), props: { job } });
    expect(w.get('[data-testid=job-error]').text()).toBe('mnist: dataset cache is corrupt');
    expect(w.find('[data-testid=cancel-job]').exists()).toBe(false);
    w.unmount();
  });

  it('lists running and finished jobs and follows events', async () => {
    const f = fakeClient({ 'jobs.get': ({ id }) => jobRecord(id, { status: 'cancelled' }) });
    setApi(f.client);
    const jobs = useJobsStore();
    jobs.byId = { a: jobRecord('a', { createdAt: 2 }), b: jobRecord('b', { status: 'done', fraction: 1, createdAt: 1 }) };
    jobs.subscribe();
    const w = mount(JobsView, opts());
    await flushPromises();
    expect(w.findAll('[data-testid=job-row]').map((r) => r.attributes('data-job-id'))).toEqual(['a', 'b']);
    expect(w.get('[data-testid=job-detail]').attributes('data-job-id')).toBe('a');
    f.emitJob({ id: 'a', status: 'running', fraction: 0.6, stage: 'epoch 2/2' });
    await flushPromises();
    expect(w.get('[data-testid=job-progress]').attributes('aria-valuenow')).toBe('60');
    f.emitJob({ id: 'a', status: 'cancelled', fraction: 0.6, stage: 'epoch 2/2', error: 'cancelled by the user' });
    await flushPromises();
    expect(w.get('[data-testid=job-status]').text()).toBe('cancelled');
    w.unmount();
  });

  it('has an empty state', () => {
    setApi(fakeClient().client);
    const w = mount(JobsView, opts());
    expect(w.get('[data-testid=empty]').text()).toContain('No jobs yet');
    w.unmount();
  });
});

describe('TrainView', () => {
  it('starts a training job with the form values and shows it live', async () => {
    const f = fakeClient({ 'jobs.start': () => ({ id: 'j1' }), 'jobs.get': ({ id }) => jobRecord(id) });
    setApi(f.client);
    useWorkspaceStore().datasets = [{ ref: 'mnist', name: 'MNIST', classes: 10, train: 7200, val: 800, test: 2000 }];
    const w = mount(TrainView, opts());
    await w.get('[data-testid=train-epochs]').setValue(3);
    await w.get('[data-testid=train-limit]').setValue(256);
    await w.get('[data-testid=job-form]').trigger('submit');
    await flushPromises();
    const start = f.calls.find((c) => c.method === 'jobs.start');
    expect(start?.req).toMatchObject({ kind: 'train', config: { arch: 'lenet5', data: 'mnist', epochs: 3, limit: 256, optimizer: 'adam' } });
    expect(w.get('[data-testid=job-detail]').attributes('data-job-id')).toBe('j1');
    w.unmount();
  });

  it('starts an evaluation and shows a refused start as one line', async () => {
    const f = fakeClient({ 'jobs.start': () => Promise.reject(new Error('invalid request for jobs.start: config.limit: Number must be greater than or equal to 1')) });
    setApi(f.client);
    useModelStore().ref = '/m/model.json';
    const w = mount(TrainView, opts());
    await w.get('[data-testid=mode-eval]').trigger('click');
    await w.get('[data-testid=job-form]').trigger('submit');
    await flushPromises();
    expect(f.calls[0].req).toMatchObject({ kind: 'eval', config: { model: '/m/model.json', data: 'mnist', limit: 1000, split: 'test' } });
    expect(w.get('[data-testid=error]').text()).toContain('config.limit');
    w.unmount();
  });
});

describe('WorkspaceView and App', () => {
  it('opens a model by path into the Layers view', async () => {
    const f = fakeClient({ 'model.inspect': () => inspectResult(), 'workspace.models': () => [], 'workspace.datasets': () => [] });
    setApi(f.client);
    const w = mount(WorkspaceView, opts());
    await w.get('[data-testid=model-path-input]').setValue('  /models/x/model.json ');
    await w.get('[data-testid=open-model]').trigger('submit');
    await flushPromises();
    expect(useAppStore().view).toBe('layers');
    expect(useModelStore().ref).toBe('/models/x/model.json');
    w.unmount();
  });

  it('App opens on the default model and navigates with the sidebar', async () => {
    const f = fakeClient({
      'app.info': () => ({ version: '0.1.0', backend: 'wasm', workspaceDir: '/ws', host: 'browser', defaultModel: 'builtin:lenet5-mnist', defaultDataset: 'mnist' }),
      'workspace.models': () => [{ ref: 'builtin:lenet5-mnist', name: 'lenet5-mnist', builtin: true }],
      'workspace.datasets': () => [],
      'jobs.list': () => [jobRecord('r')],
      'model.inspect': () => inspectResult(),
    });
    setApi(f.client);
    const w = mount(App, opts());
    await flushPromises();
    expect(w.findAll('[data-testid=layer-row]')).toHaveLength(5);
    expect(w.get('[data-testid=running-count]').text()).toBe('1');
    await w.get('[data-testid=nav-workspace]').trigger('click');
    expect(w.findAll('[data-testid=model-entry]')).toHaveLength(1);
    await w.get('[data-testid=nav-jobs]').trigger('click');
    expect(w.find('[data-testid=job-detail]').exists()).toBe(true);
    w.unmount();
  });

  it('App shows the host error instead of a blank page', async () => {
    setApi(fakeClient({ 'app.info': () => Promise.reject(new Error('forbidden: missing or wrong token')) }).client);
    const w = mount(App, opts());
    await flushPromises();
    expect(w.get('[data-testid=error]').text()).toContain('forbidden: missing or wrong token');
    w.unmount();
  });
});
