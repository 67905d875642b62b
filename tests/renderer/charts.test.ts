import { beforeAll, describe, expect, it } from 'vitest';
import { mount } from '@vue/test-utils';
import { nextTick, reactive } from 'vue';
import EChart from '@renderer/components/charts/EChart.vue';
import HistogramChart from '@renderer/components/charts/HistogramChart.vue';
import LineChart from '@renderer/components/charts/LineChart.vue';
import BarChart from '@renderer/components/charts/BarChart.vue';
import { barOption, histogramOption, lineOption } from '@renderer/components/charts/options';
import type { MetricPoint } from '@shared/api';
import { fakeLayout } from './helpers';

beforeAll(() => fakeLayout());

type Opt = { series: { type: string; data: unknown[]; name?: string; yAxisIndex?: number }[]; xAxis: { type: string; data?: unknown[] }[]; yAxis: { type: string }[] };
// the ECharts instance behind a wrapper, read back through its public getOption()
const optionOf = (w: ReturnType<typeof mount>) => {
  const chart = w.findComponent(EChart).vm as unknown as { chart: { getOption(): Opt } };
  return chart.chart.getOption();
};

describe('option builders', () => {
  it('histogram: one bar per bin, labelled by bin centre', () => {
    const o = histogramOption({ edges: [-1, 0, 1, 2], counts: [3, 5, 2] }) as unknown as Opt & { xAxis: { data: string[] } };
    expect(o.series[0]).toMatchObject({ type: 'bar', data: [3, 5, 2] });
    expect(o.xAxis.data).toEqual(['-0.5', '0.5', '1.5']);
  });

  it('lines: x from the step, ratio metrics on the right axis, missing keys skipped', () => {
    const pts: MetricPoint[] = [
      { t: 1, step: 10, loss: 2, acc: 0.2 },
      { t: 2, step: 20, loss: 1, acc: 0.6, valTop1: 0.55 },
    ];
    const o = lineOption(pts, [{ key: 'loss' }, { key: 'acc', axis: 1 }, { key: 'valTop1', axis: 1 }]) as unknown as Opt;
    expect(o.series.map((s) => s.data)).toEqual([
      [
        [10, 2],
        [20, 1],
      ],
      [
        [10, 0.2],
        [20, 0.6],
      ],
      [[20, 0.55]],
    ]);
    expect(o.series.map((s) => s.yAxisIndex)).toEqual([0, 1, 1]);
    expect(o.yAxis).toHaveLength(2);
  });

  it('bars on a log axis drop zeros instead of plotting log(0)', () => {
    const o = barOption(['a', 'b'], [{ name: 'p', values: [0, 100] }], { log: true }) as unknown as Opt & { yAxis: { type: string } };
    expect(o.yAxis.type).toBe('log');
    expect(o.series[0].data).toEqual([null, 100]);
  });
});

describe('chart components', () => {
  it('EChart renders its option (SVG where no canvas) and replaces it on change', async () => {
    const w = mount(EChart, { props: { option: histogramOption({ edges: [0, 1, 2], counts: [1, 2] }), height: '120px' }, attachTo: document.body });
    expect(w.find('[data-testid=chart] svg').exists()).toBe(true);
    expect(optionOf(w).series[0].data).toEqual([1, 2]);
    await w.setProps({ option: histogramOption({ edges: [0, 1, 2, 3], counts: [4, 5, 6] }) });
    expect(optionOf(w).series[0].data).toEqual([4, 5, 6]);
    w.unmount();
  });

  it('HistogramChart passes the layer histogram through', () => {
    const w = mount(HistogramChart, { props: { histogram: { edges: [-0.2, 0, 0.2], counts: [7, 9] }, renderer: 'svg' } });
    expect(optionOf(w).series[0]).toMatchObject({ type: 'bar', data: [7, 9] });
    w.unmount();
  });

  it('LineChart redraws as points are pushed into the same array (live metrics)', async () => {
    const points = reactive<MetricPoint[]>([{ t: 1, step: 1, loss: 2.3 }]);
    const w = mount(LineChart, { props: { points, series: [{ key: 'loss' }], renderer: 'svg' } });
    expect(optionOf(w).series[0].data).toHaveLength(1);
    points.push({ t: 2, step: 2, loss: 2.0 }, { t: 3, step: 3, loss: 1.5 });
    await nextTick();
    expect(optionOf(w).series[0].data).toEqual([
      [1, 2.3],
      [2, 2.0],
      [3, 1.5],
    ]);
    w.unmount();
  });

  it('BarChart draws one series per metric over the categories', () => {
    const w = mount(BarChart, {
      props: { categories: ['conv1', 'fc1'], series: [{ name: 'params', values: [156, 48120] }, { name: 'FLOPs', values: [117600, 48000] }], log: true, renderer: 'svg' },
    });
    const o = optionOf(w);
    expect(o.xAxis[0].data).toEqual(['conv1', 'fc1']);
    expect(o.series.map((s) => s.name)).toEqual(['params', 'FLOPs']);
    expect(o.yAxis[0].type).toBe('log');
    w.unmount();
  });
});
