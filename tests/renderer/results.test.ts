import { describe, expect, it } from 'vitest';
import { mount, flushPromises } from '@vue/test-utils';
import { setApi } from '@renderer/api';
import ResultsView from '@renderer/views/ResultsView.vue';
import type { ReportResult, ResultRecord } from '@shared/api-report';
import { fakeClient, freshPiniaPerTest } from './helpers';

const opts = freshPiniaPerTest();

const report: ReportResult = {
  recordsDir: '/r',
  skipped: [],
  tables: [
    {
      name: 'mlq-lenet',
      title: 'MLQ (mlq-lenet)',
      description: 'two rows',
      columns: [
        { key: 'test.top1', label: 'test top-1', split: 'test', format: 'pct' },
        { key: 'model.compressionRatio', label: 'compression', split: 'model', format: 'ratio' },
      ],
      rows: [
        { row: 'incremental', seeds: [1, 2], records: ['a/mlq-lenet/incremental.s1', 'a/mlq-lenet/incremental.s2'], cells: [{ key: 'test.top1', kind: 'measured', mean: 0.97, std: 0.01, n: 2 }] },
        { row: 'all at once', seeds: [1], records: ['a/mlq-lenet/all.s1'], cells: [{ key: 'test.top1', kind: 'measured', mean: 0.95, std: 0, n: 1 }] },
      ],
      seeds: [1, 2],
      paper: [{ kind: 'paper', label: 'INQ ternary top-1', value: 0.6602, format: 'pct', setting: 'ResNet-18 / ImageNet', source: 'methods.md §4.6' }],
      claims: [{ text: 'incremental beats all at once', key: 'test.top1', better: 'incremental', than: 'all at once', diff: 0.02, unit: 'pp', verdict: 'held', clear: true }],
      charts: [{ name: 'top1', title: 'top-1', file: 'mlq-lenet-top1.svg', svg: '<svg xmlns="http://www.w3.org/2000/svg"></svg>' }],
    },
  ],
};
const record = (seed: number): ResultRecord => ({
  schema: 1,
  experiment: 'a',
  table: 'mlq-lenet',
  row: 'incremental',
  seed,
  config: { method: 'mlq', mlqGroupSize: 1 },
  splits: { valFraction: 0.1, valSeed: 4321, splitSeed: 1234, nTrain: 7200, nVal: 800, nTest: 2000 },
  metrics: { val: { top1: 0.96 }, test: { top1: 0.96 + seed / 100 }, model: { compressionRatio: 15.9 } },
  timings: { seconds: 30 },
  backend: 'native',
  version: '0.1.0',
  commit: 'abc',
  createdAt: '2026-12-01T00:00:00Z',
});

describe('ResultsView', () => {
  it('shows measured figures (mean ± std, one seed without ±), paper figures and claims; a click on a figure opens its records', async () => {
    const f = fakeClient({
      'report.tables': () => report,
      'report.record': (req) => ({ name: req.name, file: `/r/${req.name}.json`, record: record(Number(req.name.slice(-1))) }),
    });
    setApi(f.client);
    const w = mount(ResultsView, opts());
    await flushPromises();
    const measured = w.findAll('[data-testid=figure][data-kind=measured]');
    expect(measured.map((x) => x.text())).toEqual(['97.00 ± 1.00 %', '95.00 %']);
    const paper = w.findAll('[data-testid=figure][data-kind=paper]');
    expect(paper.map((x) => x.text())).toEqual(['INQ ternary top-1: 66.02 %']);
    expect(w.find('[data-testid=results-claims]').text()).toContain('held');
    expect(w.findAll('[data-testid=results-chart] img')[0].attributes('src')).toMatch(/^data:image\/svg\+xml/);

    await measured[0].trigger('click');
    await flushPromises();
    expect(f.calls.filter((c) => c.method === 'report.record').map((c) => c.req)).toEqual([{ name: 'a/mlq-lenet/incremental.s1', records: '/r' }]);
    expect(w.findAll('[data-testid=record-link]').length).toBe(2);
    expect(w.find('[data-testid=record-seed]').text()).toBe('1');
    expect(w.find('[data-testid=record-splits]').text()).toContain('7200 train / 800 val / 2000 test');
    expect(w.find('[data-testid=record-config]').text()).toContain('"mlqGroupSize": 1');

    await w.findAll('[data-testid=record-link]')[1].trigger('click');
    await flushPromises();
    expect(w.find('[data-testid=record-seed]').text()).toBe('2');
    expect(w.find('[data-testid=record-metrics]').text()).toContain('0.98');

    await paper[0].trigger('click');
    expect(w.find('[data-testid=paper-source]').text()).toContain('§4.6');
    expect(w.find('[data-testid=record-detail]').exists()).toBe(false);
  });

  it('says what to do when there are no records, and shows an engine error as it is', async () => {
    setApi(fakeClient({ 'report.tables': () => ({ recordsDir: '/r', tables: [], skipped: ['/r/parts/x.json'] }) }).client);
    const w = mount(ResultsView, opts());
    await flushPromises();
    expect(w.find('[data-testid=empty]').text()).toContain('ablations.ts');
    expect(w.find('[data-testid=results-skipped]').text()).toContain('1 JSON file');
    const bad = fakeClient({ 'report.tables': () => Promise.reject(new Error('/r/x.json: not a result record: seed: Required')) });
    setApi(bad.client);
    await w.find('[data-testid=results-records]').setValue('/elsewhere/results');
    await w.find('[data-testid=results-reload]').trigger('submit');
    await flushPromises();
    expect(bad.calls).toEqual([{ method: 'report.tables', req: { records: '/elsewhere/results' } }]);
    expect(w.find('[data-testid=error]').text()).toBe('/r/x.json: not a result record: seed: Required');
  });
});
