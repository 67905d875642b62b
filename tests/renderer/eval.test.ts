import { describe, expect, it } from 'vitest';
import { mount, flushPromises } from '@vue/test-utils';
import { setApi } from '@renderer/api';
import TrainView from '@renderer/views/TrainView.vue';
import JobDetail from '@renderer/components/JobDetail.vue';
import EChart from '@renderer/components/charts/EChart.vue';
import { confusionOption } from '@renderer/components/charts/options-extra';
import { useModelStore } from '@renderer/stores/model';
import type { EvalResult } from '@shared/api';
import { fakeClient, freshPiniaPerTest, jobRecord } from './helpers';

const opts = freshPiniaPerTest();

const result: EvalResult = {
  task: 'classification',
  split: 'val',
  n: 8,
  metrics: {
    top1: 0.875,
    top5: 1,
    perClass: [0.75, 1, null],
    confusion: [
      [3, 1, 0],
      [0, 4, 0],
      [0, 0, 0],
    ],
  },
  details: {},
  classNames: ['cat', 'dog', 'eel'],
  splits: { valFraction: 0.1, valSeed: 4321, splitSeed: 1234, nTrain: 90, nVal: 10, nTest: 20 },
  backend: 'wasm',
  evaluator: 'tfjs',
};

describe('confusionOption', () => {
  it('colours each row by its shares, labels cells with counts, and says both in the tooltip', () => {
    const o = confusionOption(['cat', 'dog'], [
      [3, 1],
      [0, 4],
    ]) as unknown as { series: { type: string; data: number[][]; label: { show: boolean; formatter: (p: unknown) => string } }[]; tooltip: { formatter: (p: unknown) => string }; visualMap: { min: number; max: number } };
    expect(o.series[0].type).toBe('heatmap');
    // [column (predicted), row (true), share]
    expect(o.series[0].data).toEqual([
      [0, 0, 0.75],
      [1, 0, 0.25],
      [0, 1, 0],
      [1, 1, 1],
    ]);
    expect([o.visualMap.min, o.visualMap.max]).toEqual([0, 1]);
    expect(o.series[0].label.show).toBe(true);
    // counts as labels; dark digits on the light (high-share) cells, light digits on the dark ones
    expect(o.series[0].label.formatter({ data: [1, 0, 0.25] })).toBe('{onDark|1}');
    expect(o.series[0].label.formatter({ data: [0, 0, 0.75] })).toBe('{onLight|3}');
    expect(o.tooltip.formatter({ data: [1, 0, 0.25] })).toBe('true cat → predicted dog<br/>1 of 4 (25.0 %)');
    // a row with no examples is all zero shares, not NaN
    const empty = confusionOption(['a', 'b'], [[0, 0], [1, 1]]) as unknown as { series: { data: number[][] }[] };
    expect(empty.series[0].data.slice(0, 2)).toEqual([[0, 0, 0], [1, 0, 0]]);
    const many = confusionOption(Array.from({ length: 20 }, (_, i) => `c${i}`), Array.from({ length: 20 }, () => new Array(20).fill(1))) as unknown as { series: { label: { show: boolean } }[] };
    expect(many.series[0].label.show).toBe(false);
  });
});

describe('an evaluation job', () => {
  it('shows the split, the task’s scalar metrics, per-class accuracy and the confusion heatmap', async () => {
    setApi(fakeClient().client);
    const w = mount(JobDetail, { ...opts(), props: { job: jobRecord('e1', { kind: 'eval', status: 'done', fraction: 1, config: { model: 'm', data: 'mnist' }, result }) } });
    await flushPromises();
    expect(w.get('[data-testid=eval-metric-top1]').text()).toBe('87.50 %');
    expect(w.get('[data-testid=eval-metric-top5]').text()).toBe('100.00 %');
    expect(w.find('[data-testid=eval-metric-confusion]').exists()).toBe(false);
    expect(w.get('[data-testid=eval-split]').text()).toBe('val · 8 images');
    const rows = w.findAll('[data-testid=eval-per-class] tbody tr').map((r) => r.text());
    expect(rows).toEqual(['cat75.0 %', 'dog100.0 %', 'eel–']);
    const chart = w.get('[data-testid=eval-confusion]').findComponent(EChart).vm as unknown as { chart: { getOption(): { series: { type: string; data: number[][] }[] } } };
    const series = chart.chart.getOption().series[0];
    expect(series.type).toBe('heatmap');
    expect(series.data).toHaveLength(9);
    expect(w.find('[data-testid=job-result]').exists()).toBe(false);
    w.unmount();
  });

  it('the Evaluate form sends the split it was set to', async () => {
    const f = fakeClient({ 'jobs.start': () => ({ id: 'e2' }), 'jobs.get': ({ id }) => jobRecord(id, { kind: 'eval' }) });
    setApi(f.client);
    useModelStore().ref = '/m/model.json';
    const w = mount(TrainView, opts());
    await w.get('[data-testid=mode-eval]').trigger('click');
    await w.get('[data-testid=eval-split-select]').setValue('val');
    await w.get('[data-testid=job-form]').trigger('submit');
    await flushPromises();
    expect(f.calls.find((c) => c.method === 'jobs.start')?.req).toMatchObject({ kind: 'eval', config: { model: '/m/model.json', data: 'mnist', limit: 1000, split: 'val' } });
    w.unmount();
  });
});
