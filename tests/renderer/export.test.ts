import { describe, expect, it } from 'vitest';
import { mount, flushPromises } from '@vue/test-utils';
import { setApi } from '@renderer/api';
import ExportView from '@renderer/views/ExportView.vue';
import DiffView from '@renderer/views/DiffView.vue';
import type { DiffResult, ExportReport, ExportResult } from '@shared/api-export';
import { fakeClient, freshPiniaPerTest, jobRecord } from './helpers';

const opts = freshPiniaPerTest();

const report = (format: ExportReport['format'], fc1Bytes: number, storage: string, flags: string[] = []): ExportReport => ({
  format,
  files: [`/out/${format}/model`],
  bytes: fc1Bytes + 1000,
  gzipBytes: fc1Bytes,
  float32Bytes: 200_000,
  layers: [
    { name: 'conv1', kind: 'Conv2D', bits: 8, params: 156, bytes: 204, gzipBytes: 220, storage: 'int8', flags: [], maxAbsError: 0 },
    { name: 'fc1', kind: 'Dense', bits: 4, params: 48120, bytes: fc1Bytes, gzipBytes: fc1Bytes - 100, storage, flags, maxAbsError: flags.length ? 0.002 : 0 },
  ],
  verify: { maxAbsError: flags.length ? 0.002 : 0, top1Simulated: 0.991, top1Reloaded: 0.991, agreement: 1, maxOutputDiff: 0, n: 2000, data: 'mnist', runtime: 'onnxruntime-node' },
});
const result: ExportResult = {
  backend: 'wasm',
  model: 'builtin:lenet5-mnist',
  policy: '/p/policy.json',
  out: '/out',
  reports: [report('onnx', 25020, 'int4'), report('tfjs', 48480, 'uint8', ['4-bit codes in a uint8 container (no saving except under gzip)'])],
};

describe('ExportView', () => {
  it('starts an export job with the chosen targets, shows bytes, verification and flags, and saves', async () => {
    const f = fakeClient({
      'jobs.start': () => ({ id: 'j1' }),
      'jobs.get': () => jobRecord('j1', { kind: 'export', status: 'done', result }),
      'export.save': (req) => ({ files: [`${req.to}/onnx/model.onnx`] }),
    });
    setApi(f.client);
    const w = mount(ExportView, opts());
    await w.find('[data-testid=export-policy]').setValue('/p/policy.json');
    await w.find('[data-testid=export-format-aimet]').setValue(true);
    await w.find('[data-testid=export-form]').trigger('submit');
    await flushPromises();
    const start = f.calls.find((c) => c.method === 'jobs.start')!.req as { kind: string; config: { formats: string[]; policy: string } };
    expect(start.kind).toBe('export');
    expect(start.config.formats).toEqual(['tfjs', 'onnx', 'packed', 'aimet']);
    expect(start.config.policy).toBe('/p/policy.json');

    const rows = w.findAll('[data-testid=export-target-row]');
    expect(rows.map((r) => r.attributes('data-format'))).toEqual(['onnx', 'tfjs']);
    expect(rows[0].text()).toContain('99.10');
    expect(w.findAll('[data-testid=export-layer-row]')).toHaveLength(2);
    const fc1 = w.find('[data-testid=export-layer-row][data-layer=fc1]');
    expect(fc1.text()).toContain('25,020');
    expect(fc1.text()).toContain('int4');
    expect(fc1.find('[data-testid=export-flag]').text()).toContain('tfjs (1)');
    expect(w.find('[data-testid=export-flag-list]').text()).toContain('uint8 container');
    expect(w.find('[data-testid=export-bytes-chart] [data-testid=chart]').exists()).toBe(true);

    await w.find('[data-testid=export-save-to]').setValue('/save/here');
    await w.find('[data-testid=export-save]').trigger('submit');
    await flushPromises();
    expect(f.calls.find((c) => c.method === 'export.save')!.req).toEqual({ id: 'j1', to: '/save/here' });
    expect(w.find('[data-testid=export-saved]').text()).toContain('/save/here/onnx/model.onnx');
    w.unmount();
  });

  it('shows the one-line error when the job cannot start', async () => {
    const f = fakeClient({ 'jobs.start': () => Promise.reject(new Error('/p/policy.json: policy file not found')) });
    setApi(f.client);
    const w = mount(ExportView, opts());
    await w.find('[data-testid=export-form]').trigger('submit');
    await flushPromises();
    expect(w.text()).toContain('policy file not found');
    w.unmount();
  });
});

describe('DiffView', () => {
  it('compares two models: per-layer bits, params, bytes, error and top-1 of each', async () => {
    const diff: DiffResult = {
      backend: 'wasm',
      a: { ref: 'builtin:lenet5-mnist', format: 'builtin', params: 61706, flops: 416520, bytes: 246824, top1: 0.989 },
      b: { ref: '/x/model.onnx', format: 'onnx', params: 61706, flops: 416520, bytes: 33244, top1: 0.991 },
      layers: [{ name: 'fc1', kind: 'Dense', matched: ['fc1'], bitsA: 32, bitsB: 4, rankA: null, rankB: null, paramsA: 48120, paramsB: 48120, flopsA: 48000, flopsB: 48000, bytesA: 192480, bytesB: 25020, maxAbsError: 0.05, relError: 0.14 }],
      onlyA: [],
      onlyB: [],
      data: 'mnist',
      n: 2000,
      split: 'test',
    };
    const f = fakeClient({ 'jobs.start': () => ({ id: 'd1' }), 'jobs.get': () => jobRecord('d1', { kind: 'diff', status: 'done', result: diff }) });
    setApi(f.client);
    const w = mount(DiffView, opts());
    await w.find('[data-testid=diff-b]').setValue('/x/model.onnx');
    await w.find('[data-testid=diff-form]').trigger('submit');
    await flushPromises();
    expect((f.calls.find((c) => c.method === 'jobs.start')!.req as { config: { b: string } }).config.b).toBe('/x/model.onnx');
    const row = w.find('[data-testid=diff-row][data-layer=fc1]');
    expect(row.text()).toContain('float → 4');
    expect(row.text()).toContain('192,480 → 25,020');
    expect(w.find('[data-testid=diff-top1-B]').text()).toBe('top-1 99.10 % on 2000 test');
    w.unmount();
  });
});
