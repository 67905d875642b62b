/**
 * The report's charts, rendered without a browser: ECharts' server-side SVG renderer (no DOM, no network), so
 * docs/results/*.svg and the Results view show the same picture from the same records.
 */
import * as echarts from 'echarts';
import type { ResultRecord } from '../../../shared/api-report';
import type { ChartSpec } from './tables';

export interface ChartInput {
  rows: { row: string; records: ResultRecord[] }[];
  value(r: ResultRecord, key: string): number | undefined;
}

const WIDTH = 760;
const HEIGHT = 400;
const short = (s: string, n = 28) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const isPct = (key: string) => /top1|drop/i.test(key);
/** `test.top1` → "test top-1 %", `model.speedup` → "speed-up ×" */
const axisName = (key: string) => {
  const [split, name] = key.split('.');
  if (isPct(key)) return `${split} ${name.replace(/top1/i, ' top-1').replace(/([A-Z])/g, ' $1').toLowerCase().trim()} %`;
  return `${name.replace(/([A-Z])/g, ' $1').toLowerCase()}${name === 'speedup' || /ratio/i.test(name) ? ' ×' : ''}`;
};
const tick = (key: string) => (v: number) => (isPct(key) ? (v * 100).toFixed(1) : String(+v.toFixed(4)));

function option(spec: ChartSpec, input: ChartInput): echarts.EChartsCoreOption | null {
  const base = {
    // 20 distinct colours: a sweep table has more rows than ECharts' default 9
    color: ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf', '#aec7e8', '#ffbb78', '#98df8a', '#ff9896', '#c5b0d5', '#c49c94', '#f7b6d2', '#c7c7c7', '#dbdb8d', '#9edae5'],
    animation: false, backgroundColor: '#ffffff', textStyle: { fontFamily: 'sans-serif' }, title: { text: spec.title, left: 8, top: 4, textStyle: { fontSize: 13 } } };
  if (spec.kind === 'bars') {
    const key = spec.key!;
    const rows = input.rows.map((r) => ({ row: r.row, ys: r.records.map((x) => input.value(x, key)).filter((v): v is number => v !== undefined) })).filter((r) => r.ys.length);
    if (!rows.length) return null;
    return {
      ...base,
      grid: { left: 64, right: 16, top: 40, bottom: 110 },
      xAxis: { type: 'category', data: rows.map((r) => short(r.row)), axisLabel: { rotate: 25, fontSize: 10, interval: 0 } },
      yAxis: { type: 'value', scale: true, name: axisName(key), nameLocation: 'middle', nameGap: 46, axisLabel: { fontSize: 10, formatter: tick(key) } },
      series: [
        { type: 'bar', data: rows.map((r) => +mean(r.ys).toFixed(6)), itemStyle: { color: '#7aa6d6' }, barMaxWidth: 48 },
        { type: 'scatter', data: rows.flatMap((r, i) => r.ys.map((y) => [i, +y.toFixed(6)])), symbolSize: 7, itemStyle: { color: '#1f3b5c' } },
      ],
    };
  }
  if (spec.kind === 'curves') {
    const series = input.rows.flatMap((r) => {
      const names = [...new Set(r.records.flatMap((x) => Object.keys(x.curves ?? {})))].filter((n) => n.startsWith(spec.curve!) && n.endsWith('-before-retrain') === !!spec.beforeRetrain);
      return names.map((n) => {
        // mean y at each x over the seeds that have the curve
        const byX = new Map<number, number[]>();
        for (const x of r.records) for (const [px, py] of x.curves?.[n]?.points ?? []) byX.set(px, [...(byX.get(px) ?? []), py]);
        const label = names.length > 1 ? `${short(r.row)} (${n.slice(spec.curve!.length).replace(/-before-retrain$/, '')})` : short(r.row, 36);
        return { type: 'line' as const, name: label, data: [...byX].sort((a, b) => a[0] - b[0]).map(([px, ys]) => [px, +mean(ys).toFixed(6)]), symbolSize: 5 };
      });
    });
    if (!series.length) return null;
    return {
      ...base,
      legend: { bottom: 0, textStyle: { fontSize: 10 }, type: 'plain' },
      grid: { left: 64, right: 24, top: 40, bottom: 120 },
      xAxis: { type: 'value', name: 'quantized fraction', nameLocation: 'middle', nameGap: 22, min: 0.4, max: 1, axisLabel: { fontSize: 10 } },
      yAxis: { type: 'value', scale: true, name: spec.beforeRetrain ? 'val top-1 % before retraining' : 'val top-1 %', nameLocation: 'middle', nameGap: 46, axisLabel: { fontSize: 10, formatter: tick('val.top1') } },
      series,
    };
  }
  const points = (recs: ResultRecord[], y: string) =>
    recs
      .map((x) => [input.value(x, spec.x!), input.value(x, y)])
      .filter((p): p is [number, number] => p[0] !== undefined && p[1] !== undefined)
      .map(([a, b]) => [+a.toFixed(6), +b.toFixed(6)]);
  const series = input.rows
    .flatMap((r) => [
      { type: 'scatter' as const, name: short(r.row, 44), data: points(r.records, spec.y!), symbolSize: 8 },
      // the same records' second figure (post-hoc at the same ranks) as hollow markers
      ...(spec.y2 ? [{ type: 'scatter' as const, name: `${short(r.row, 34)} · post-hoc`, data: points(r.records, spec.y2), symbol: 'emptyCircle', symbolSize: 8 }] : []),
    ])
    .filter((s) => s.data.length);
  if (!series.length) return null;
  return {
    ...base,
    legend: { orient: 'vertical', right: 4, top: 36, itemGap: 4, itemWidth: 14, itemHeight: 9, textStyle: { fontSize: 9 } },
    grid: { left: 64, right: 250, top: 40, bottom: 50 },
    xAxis: { type: 'value', name: axisName(spec.x!), nameLocation: 'middle', nameGap: 24, scale: true, axisLabel: { fontSize: 10, formatter: tick(spec.x!) } },
    yAxis: { type: 'value', name: axisName(spec.y!), nameLocation: 'middle', nameGap: 46, scale: true, axisLabel: { fontSize: 10, formatter: tick(spec.y!) } },
    series,
  };
}

/** The chart as an SVG document, or null when no record has its figures. */
export function renderChart(spec: ChartSpec, input: ChartInput): string | null {
  const opt = option(spec, input);
  if (!opt) return null;
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: WIDTH, height: HEIGHT });
  try {
    chart.setOption(opt);
    // zrender numbers instances and style classes across the process (zr2-cls-8): renumbered per file, so the file
    // is a function of the records alone and regenerating changes nothing
    const ids = new Map<string, string>();
    return chart.renderToSVGString().replace(/\bzr\d+-([a-z]+)-?(\d+)/g, (m, kind: string) => {
      if (!ids.has(m)) ids.set(m, `zr-${kind}-${ids.size}`);
      return ids.get(m)!;
    });
  } finally {
    chart.dispose();
  }
}
