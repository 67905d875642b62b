/** Pure option builders for the shared charts: the components render them, tests assert them. */
import type { Histogram, MetricPoint } from '@shared/api';
import type { ChartOption } from './echarts';
import { formatCount, formatNumber } from '../../format';

import { baseAxis, legend, palette, tooltip } from './theme';

export function histogramOption(h: Histogram, opts: { name?: string } = {}): ChartOption {
  const centers = h.counts.map((_, i) => (h.edges[i] + h.edges[i + 1]) / 2);
  return {
    animation: false,
    color: [palette[0]],
    grid: { left: 48, right: 12, top: 26, bottom: 28 },
    tooltip: {
      ...tooltip,
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      formatter: (p: unknown) => {
        const i = (p as { dataIndex: number }[])[0]?.dataIndex ?? 0;
        return `[${formatNumber(h.edges[i])}, ${formatNumber(h.edges[i + 1])})<br/>${h.counts[i]} weights`;
      },
    },
    xAxis: {
      ...baseAxis,
      type: 'category',
      data: centers.map((c) => formatNumber(c)),
      axisLabel: { ...baseAxis.axisLabel, hideOverlap: true },
      splitLine: { show: false },
    },
    yAxis: { ...baseAxis, type: 'value', name: 'count' },
    series: [{ type: 'bar', name: opts.name ?? 'weights', data: h.counts, barCategoryGap: '8%' }],
  };
}

export interface BarSeries {
  name: string;
  values: number[];
}

/** Grouped bars over categories (layers); a log axis keeps 100 and 100 000 readable side by side. */
export function barOption(categories: string[], series: BarSeries[], opts: { log?: boolean } = {}): ChartOption {
  const log = opts.log ?? false;
  return {
    animation: false,
    color: palette,
    grid: { left: 52, right: 12, top: series.length > 1 ? 28 : 12, bottom: 44 },
    legend: series.length > 1 ? { ...legend, itemWidth: 12 } : undefined,
    tooltip: { ...tooltip, trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: (v) => Number(v).toLocaleString('en-US') },
    xAxis: { ...baseAxis, type: 'category', data: categories, axisLabel: { ...baseAxis.axisLabel, rotate: 30, interval: 0 }, splitLine: { show: false } },
    yAxis: {
      ...baseAxis,
      type: log ? 'log' : 'value',
      logBase: 10,
      axisLabel: { ...baseAxis.axisLabel, formatter: (v: number) => formatCount(v) },
    },
    series: series.map((s) => ({ type: 'bar' as const, name: s.name, data: log ? s.values.map((v) => (v > 0 ? v : null)) : s.values })),
  };
}

export interface LineSeries {
  key: string;
  name?: string;
  /** 0: left axis, 1: right axis (for 0..1 metrics beside a loss) */
  axis?: 0 | 1;
}

/** Metric lines over a job's history; points without a series' key are skipped, not drawn as 0. */
export function lineOption(points: MetricPoint[], series: LineSeries[], opts: { x?: string; xName?: string } = {}): ChartOption {
  const xKey = opts.x ?? 'step';
  const xOf = (p: MetricPoint, i: number) => (typeof p[xKey] === 'number' ? p[xKey] : i);
  const twoAxes = series.some((s) => s.axis === 1);
  return {
    animation: false,
    color: palette,
    grid: { left: 48, right: twoAxes ? 48 : 16, top: 28, bottom: 28 },
    legend: { ...legend, itemWidth: 14 },
    tooltip: { ...tooltip, trigger: 'axis', valueFormatter: (v) => formatNumber(Number(v)) },
    xAxis: { ...baseAxis, type: 'value', name: opts.xName ?? xKey, nameLocation: 'end', splitLine: { show: false }, min: 'dataMin', max: 'dataMax' },
    yAxis: twoAxes
      ? [
          { ...baseAxis, type: 'value', scale: true },
          { ...baseAxis, type: 'value', min: 0, max: 1, splitLine: { show: false } },
        ]
      : [{ ...baseAxis, type: 'value', scale: true }],
    series: series.map((s) => {
      const data = points.flatMap((p, i) => (typeof p[s.key] === 'number' ? [[xOf(p, i), p[s.key]]] : []));
      return {
        type: 'line' as const,
        name: s.name ?? s.key,
        yAxisIndex: s.axis ?? 0,
        // sparse series (once per epoch, a final score) need their dots to be seen at all
        showSymbol: data.length < 12,
        symbolSize: 5,
        connectNulls: true,
        lineStyle: { width: 1.5 },
        data,
      };
    }),
  };
}

export interface SpectrumSeries {
  name: string;
  /** singular values, descending */
  values: number[];
}

/**
 * Singular values on a log axis (index 1…k), one line per series (e.g. before / after TRP), with an optional
 * rank marker and the cumulative energy Σ_{i≤k}σ_i²/Σσ² of the first series on a 0…1 right axis.
 */
export function spectrumOption(series: SpectrumSeries[], opts: { rank?: number; energy?: number[]; energyName?: string } = {}): ChartOption {
  const energy = opts.energy;
  const positive = (v: number) => (v > 0 ? v : null); // a log axis cannot show 0
  const lines = series.map((s, i) => ({
    type: 'line' as const,
    name: s.name,
    yAxisIndex: 0,
    showSymbol: s.values.length < 40,
    symbolSize: 4,
    lineStyle: { width: 1.5 },
    data: s.values.map((v, k) => [k + 1, positive(v)]),
    ...(i === 0 && opts.rank
      ? {
          markLine: {
            silent: true,
            symbol: 'none',
            lineStyle: { color: '#e3b341', type: 'dashed' as const, width: 1.5 },
            label: { color: '#e3b341', fontSize: 10, formatter: `r = ${opts.rank}` },
            data: [{ xAxis: opts.rank }],
          },
        }
      : {}),
  }));
  const energyLine = energy
    ? [
        {
          type: 'line' as const,
          name: opts.energyName ?? 'cumulative energy',
          yAxisIndex: 1,
          showSymbol: false,
          lineStyle: { width: 1.2, type: 'dotted' as const },
          color: palette[2],
          data: energy.map((v, k) => [k + 1, v]),
        },
      ]
    : [];
  return {
    animation: false,
    color: palette,
    grid: { left: 52, right: energy ? 44 : 16, top: 28, bottom: 30 },
    legend: { ...legend, itemWidth: 14 },
    tooltip: { ...tooltip, trigger: 'axis', valueFormatter: (v) => formatNumber(Number(v)) },
    xAxis: { ...baseAxis, type: 'value', name: 'index', nameLocation: 'end', min: 1, max: 'dataMax', minInterval: 1, splitLine: { show: false } },
    yAxis: [
      { ...baseAxis, type: 'log', name: 'σ', logBase: 10, axisLabel: { ...baseAxis.axisLabel, formatter: (v: number) => formatNumber(v) } },
      // no axis name: the legend names the energy curve, and a name here would collide with it
      { ...baseAxis, type: 'value', min: 0, max: 1, splitLine: { show: false }, show: !!energy },
    ],
    series: [...lines, ...energyLine],
  };
}
