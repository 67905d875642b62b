/** Option builders for the scatter, heatmap and levels-histogram charts (shared; tests assert them). */
import type { ChartOption } from './echarts';
import { formatNumber } from '../../format';
import { baseAxis, legend, palette, textColor, tooltip } from './theme';

export interface ScatterPoint {
  x: number;
  y: number;
  label?: string;
}
export interface ScatterSet {
  name: string;
  points: ScatterPoint[];
  /** draw as a connected line (e.g. a Pareto front) */
  line?: boolean;
  symbol?: 'circle' | 'diamond' | 'triangle' | 'rect';
  size?: number;
}

/** Points maximising both x and y: none other is at least as good on both and better on one. */
export function paretoFront(points: ScatterPoint[]): ScatterPoint[] {
  const sorted = [...points].sort((a, b) => b.x - a.x || b.y - a.y);
  const front: ScatterPoint[] = [];
  let bestY = -Infinity;
  for (const p of sorted) {
    if (p.y > bestY) {
      front.push(p);
      bestY = p.y;
    }
  }
  return front.sort((a, b) => a.x - b.x);
}

export function scatterOption(sets: ScatterSet[], opts: { xName?: string; yName?: string } = {}): ChartOption {
  return {
    animation: false,
    color: palette,
    grid: { left: 52, right: 16, top: 30, bottom: 34 },
    legend: { ...legend, itemWidth: 12 },
    tooltip: {
      ...tooltip,
      trigger: 'item',
      formatter: (p: unknown) => {
        const d = p as { seriesName: string; data: [number, number, string?] };
        return `${d.seriesName}<br/>${opts.xName ?? 'x'} ${formatNumber(d.data[0])}, ${opts.yName ?? 'y'} ${formatNumber(d.data[1])}${d.data[2] ? `<br/>${d.data[2]}` : ''}`;
      },
    },
    xAxis: { ...baseAxis, type: 'value', name: opts.xName, nameLocation: 'middle', nameGap: 22, scale: true },
    yAxis: { ...baseAxis, type: 'value', name: opts.yName, scale: true },
    series: sets.map((s) =>
      s.line
        ? {
            type: 'line' as const,
            name: s.name,
            data: s.points.map((p) => [p.x, p.y, p.label ?? '']),
            symbol: s.symbol ?? 'circle',
            symbolSize: s.size ?? 6,
            lineStyle: { width: 1.5 },
          }
        : {
            type: 'scatter' as const,
            name: s.name,
            data: s.points.map((p) => [p.x, p.y, p.label ?? '']),
            symbol: s.symbol ?? 'circle',
            symbolSize: s.size ?? 6,
          },
    ),
  };
}

/** rows × columns of values in [min, max]; null cells are left empty */
export function heatmapOption(rows: string[], cols: string[], values: (number | null)[][], opts: { min?: number; max?: number; format?: (v: number) => string; colName?: string; colors?: string[] } = {}): ChartOption {
  const flat = values.flat().filter((v): v is number => v !== null);
  const min = opts.min ?? (flat.length ? Math.min(...flat) : 0);
  const max = opts.max ?? (flat.length ? Math.max(...flat) : 1);
  const fmt = opts.format ?? ((v: number) => formatNumber(v));
  const data: [number, number, number][] = [];
  values.forEach((r, i) => r.forEach((v, j) => v !== null && data.push([j, i, v])));
  return {
    animation: false,
    grid: { left: 110, right: 70, top: 10, bottom: 40 },
    tooltip: {
      ...tooltip,
      formatter: (p: unknown) => {
        const d = (p as { data: [number, number, number] }).data;
        return `${rows[d[1]]} @ ${cols[d[0]]}<br/>${fmt(d[2])}`;
      },
    },
    xAxis: { ...baseAxis, type: 'category', data: cols, name: opts.colName, nameLocation: 'middle', nameGap: 26, splitLine: { show: false } },
    yAxis: { ...baseAxis, type: 'category', data: rows, inverse: true, splitLine: { show: false } },
    visualMap: {
      min,
      max: max > min ? max : min + 1e-6,
      calculable: false,
      orient: 'vertical',
      right: 4,
      top: 'middle',
      itemHeight: 120,
      textStyle: { color: textColor, fontSize: 10 },
      formatter: (v: unknown) => fmt(Number(v)),
      // low values green: the heatmaps show drops and losses
      inRange: { color: opts.colors ?? ['#2ea043', '#e3b341', '#b62324'] },
    },
    series: [
      {
        type: 'heatmap' as const,
        data,
        label: { show: true, color: '#0d1117', fontSize: 10, formatter: (p: unknown) => fmt((p as { data: [number, number, number] }).data[2]) },
        itemStyle: { borderColor: '#0d1117', borderWidth: 1 },
      },
    ],
  };
}

/** A weight histogram on a value axis with one vertical line per quantization level. */
export function levelsHistogramOption(h: { edges: number[]; counts: number[] }, levels: number[]): ChartOption {
  const centers = h.counts.map((_, i) => (h.edges[i] + h.edges[i + 1]) / 2);
  const width = h.edges.length > 1 ? h.edges[1] - h.edges[0] : 1;
  return {
    animation: false,
    color: [palette[0], palette[1]],
    grid: { left: 48, right: 12, top: 26, bottom: 28 },
    legend: { ...legend, data: ['weights', 'levels'], itemWidth: 12 },
    tooltip: { ...tooltip, trigger: 'axis', axisPointer: { type: 'shadow' } },
    xAxis: {
      ...baseAxis,
      type: 'value',
      min: Math.min(h.edges[0], ...levels) - width,
      max: Math.max(h.edges[h.edges.length - 1], ...levels) + width,
      splitLine: { show: false },
      axisLabel: { ...baseAxis.axisLabel, formatter: (v: number) => formatNumber(v) },
    },
    yAxis: { ...baseAxis, type: 'value', name: 'count' },
    series: [
      { type: 'bar' as const, name: 'weights', data: centers.map((c, i) => [c, h.counts[i]]), barWidth: '90%' },
      {
        type: 'line' as const,
        name: 'levels',
        data: [],
        markLine: {
          symbol: 'none',
          silent: true,
          label: { show: false },
          lineStyle: { color: palette[1], type: 'solid', width: 1.2 },
          data: levels.map((x) => ({ xAxis: x })),
        },
      },
    ],
  };
}

/**
 * A confusion matrix (rows: true class, columns: predicted) as a heatmap of each row's shares, so a rare class
 * reads as clearly as a common one; the tooltip gives the count. Cell labels only while they fit (≤ 12 classes).
 */
export function confusionOption(classNames: string[], counts: number[][]): ChartOption {
  const totals = counts.map((row) => row.reduce((a, b) => a + b, 0));
  const shares = counts.map((row, i) => row.map((v) => (totals[i] ? v / totals[i] : 0)));
  const pct = (v: number) => `${(v * 100).toFixed(1)} %`;
  const base = heatmapOption(classNames, classNames, shares, { min: 0, max: 1, format: pct, colName: 'predicted', colors: ['#161b22', '#1f6feb', '#a5d6ff'] });
  const series = (base.series as Record<string, unknown>[])[0];
  return {
    ...base,
    tooltip: {
      ...tooltip,
      formatter: (p: unknown) => {
        const [j, i, v] = (p as { data: [number, number, number] }).data;
        return `true ${classNames[i]} → predicted ${classNames[j]}<br/>${counts[i][j]} of ${totals[i]} (${pct(v)})`;
      },
    },
    series: [
      {
        ...series,
        label: {
          ...(series.label as object),
          show: classNames.length <= 12,
          // dark digits on the light end of the scale, light digits on the dark end: readable in every cell
          formatter: (p: unknown) => {
            const [j, i, v] = (p as { data: [number, number, number] }).data;
            return `{${v > 0.55 ? 'onLight' : 'onDark'}|${counts[i][j]}}`;
          },
          rich: { onLight: { color: '#0d1117', fontWeight: 'bold' }, onDark: { color: '#e6edf3' } },
        },
      },
    ],
  };
}
