import { describe, expect, it } from 'vitest';
import { mount, flushPromises } from '@vue/test-utils';
import { setApi } from '@renderer/api';
import BitwidthsView from '@renderer/views/BitwidthsView.vue';
import SensitivityView from '@renderer/views/SensitivityView.vue';
import { useQuantStore } from '@renderer/stores/quant';
import { useJobsStore } from '@renderer/stores/jobs';
import { heatmapOption, levelsHistogramOption, paretoFront, scatterOption } from '@renderer/components/charts/options-extra';
import { fakeClient, freshPiniaPerTest, inspectResult, jobRecord } from './helpers';

const opts = freshPiniaPerTest();

describe('chart options', () => {
  it('Pareto front keeps only points no other beats on both axes, sorted by x', () => {
    const pts = [
      { x: 4, y: 99 },
      { x: 8, y: 98.5 },
      { x: 6, y: 98 },
      { x: 12, y: 97 },
      { x: 12, y: 96 },
      { x: 3, y: 98.9 },
    ];
    expect(paretoFront(pts)).toEqual([{ x: 4, y: 99 }, { x: 8, y: 98.5 }, { x: 12, y: 97 }]);
  });
  it('scatter sets become scatter or line series; heatmap cells are [col,row,value]', () => {
    const o = scatterOption([{ name: 'a', points: [{ x: 1, y: 2, label: 'p' }] }, { name: 'front', points: [{ x: 1, y: 2 }], line: true }]);
    const s = o.series as { type: string; data: unknown[] }[];
    expect(s.map((x) => x.type)).toEqual(['scatter', 'line']);
    expect(s[0].data).toEqual([[1, 2, 'p']]);
    const h = heatmapOption(['conv1', 'fc1'], ['2-bit', '4-bit'], [[1.5, 0.1], [null, 0]]);
    expect((h.series as { data: unknown[] }[])[0].data).toEqual([[0, 0, 1.5], [1, 0, 0.1], [1, 1, 0]]);
    expect((h.visualMap as { min: number; max: number }).max).toBe(1.5);
  });
  it('levels become vertical mark lines over the histogram', () => {
    const o = levelsHistogramOption({ edges: [-1, 0, 1], counts: [3, 4] }, [-0.5, 0, 0.5]);
    const s = o.series as { markLine?: { data: { xAxis: number }[] } }[];
    expect(s[1].markLine!.data.map((d) => d.xAxis)).toEqual([-0.5, 0, 0.5]);
  });
});

describe('Bit-widths view', () => {
  it('starts a search with the pinned layers, charts episodes live, re-evaluates the edited policy', async () => {
    const fake = fakeClient({
      'model.inspect': () => inspectResult(),
      'jobs.start': (req) => ({ id: req.kind === 'quantize' ? 'q1' : 'e1' }),
      'jobs.get': ({ id }) => jobRecord(id, { kind: id === 'q1' ? 'quantize' : 'policy-eval', stage: 'starting' }),
      'jobs.cancel': () => ({ ok: true }),
    });
    setApi(fake.client);
    const w = mount(BitwidthsView, opts());
    await flushPromises();
    expect(w.findAll('[data-testid=policy-row]')).toHaveLength(5);
    await w.find('[data-testid=bits-conv1]').setValue('8');
    await w.find('[data-testid=pin-conv1]').setValue(true);
    await w.find('[data-testid=quant-episodes]').setValue('40');
    await w.find('form').trigger('submit');
    await flushPromises();
    const start = fake.calls.find((c) => c.method === 'jobs.start')!.req as { kind: string; config: { method: string; episodes: number; pinned: Record<string, number> } };
    expect(start).toMatchObject({ kind: 'quantize', config: { method: 'dnq', episodes: 40, pinned: { conv1: 8 } } });
    for (let e = 1; e <= 3; e++) {
      fake.emitJob({ id: 'q1', status: 'running', fraction: e / 40, stage: `episode ${e}/40`, metrics: { t: e, episode: e, reward: 0.9 + e / 100, top1: 0.97, cr: 8 + e, baseline: 0.9, bestReward: 0.93 } });
    }
    await flushPromises();
    expect(w.find('[data-testid=quant-episode-count]').text()).toBe('3 episodes');
    expect(w.find('[data-testid=quant-cancel]').exists()).toBe(true);
    await w.find('[data-testid=quant-cancel]').trigger('click');
    await flushPromises();
    expect(fake.calls.some((c) => c.method === 'jobs.cancel')).toBe(true);
    await w.find('[data-testid=policy-eval]').trigger('click');
    await flushPromises();
    const ev = fake.calls.filter((c) => c.method === 'jobs.start')[1].req as { kind: string; config: { policy: Record<string, number> } };
    expect(ev.kind).toBe('policy-eval');
    expect(ev.config.policy).toEqual({ conv1: 8, conv2: 4, fc1: 4, fc2: 4, fc3: 4 });
    w.unmount();
  });

  it('a finished search fills the table except pinned layers', () => {
    const q = useQuantStore();
    q.rows = [
      { name: 'conv1', params: 150, bits: 8, pinned: true },
      { name: 'fc1', params: 48000, bits: 4, pinned: false },
    ];
    q.adopt({ conv1: 2, fc1: 2 });
    expect(q.rows.map((r) => r.bits)).toEqual([8, 2]);
  });
});

describe('Sensitivity view', () => {
  it('shows the drop heatmap and the per-subset spread of a finished sweep', async () => {
    setApi(fakeClient({}).client);
    const w = mount(SensitivityView, opts());
    const q = useQuantStore();
    const jobs = useJobsStore();
    jobs.byId.s1 = jobRecord('s1', {
      kind: 'sensitivity',
      status: 'done',
      result: { model: 'm', data: 'mnist', method: 'kmeans', granularity: 'per-tensor', baseline: 0.99, n: 100, seed: 1, subsets: 2, layers: [{ name: 'conv1', members: ['conv1'], params: 150, bits: { '2': 0.95, '8': 0.99 }, spread: { '2': { mean: 0.95, std: 0.01, min: 0.94, max: 0.96 }, '8': { mean: 0.99, std: 0, min: 0.99, max: 0.99 } } }] },
    });
    q.sensJobId = 's1';
    await flushPromises();
    expect(w.find('[data-testid=sens-heatmap]').exists()).toBe(true);
    expect(w.text()).toContain('95.00 %');
    expect(w.text()).toContain('± 1.00');
    w.unmount();
  });
});
