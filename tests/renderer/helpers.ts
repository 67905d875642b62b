import { beforeAll, beforeEach, vi } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import { useJobsStore } from '@renderer/stores/jobs';
import type { ApiClient, HostEvent, InspectResult, JobEvent, JobRecord, LayerInfo, Method, Request, Response } from '@shared/api';

/** ECharts measures its container; happy-dom lays nothing out. */
export function fakeLayout(width = 480, height = 240) {
  Object.defineProperty(HTMLElement.prototype, 'clientWidth', { configurable: true, get: () => width });
  Object.defineProperty(HTMLElement.prototype, 'clientHeight', { configurable: true, get: () => height });
}

type Impl = { [M in Method]?: (req: Request<M>) => Response<M> | Promise<Response<M>> };

/** A host client for component tests: answers from `impl`, records calls, lets the test push events. */
export function fakeClient(impl: Impl = {}) {
  const jobListeners = new Set<(e: JobEvent) => void>();
  const hostListeners = new Set<(e: HostEvent) => void>();
  const reconnectListeners = new Set<() => void>();
  const calls: { method: Method; req: unknown }[] = [];
  const client: ApiClient = {
    call: vi.fn(async (method: Method, req: unknown) => {
      calls.push({ method, req });
      const f = impl[method] as ((r: unknown) => unknown) | undefined;
      if (!f) throw new Error(`no fake for ${method}`);
      return f(req);
    }) as ApiClient['call'],
    onJob(l) {
      jobListeners.add(l);
      return () => jobListeners.delete(l);
    },
    onHost(l) {
      hostListeners.add(l);
      return () => hostListeners.delete(l);
    },
    onReconnect(l) {
      reconnectListeners.add(l);
      return () => reconnectListeners.delete(l);
    },
  };
  return {
    client,
    calls,
    emitJob: (e: JobEvent) => jobListeners.forEach((l) => l(e)),
    emitHost: (e: HostEvent) => hostListeners.forEach((l) => l(e)),
    emitReconnect: () => reconnectListeners.forEach((l) => l()),
    jobListeners,
  };
}

export function layer(name: string, kind: string, params: number, flops: number, extra: Partial<LayerInfo> = {}): LayerInfo {
  return {
    name,
    kind,
    weightShape: [params],
    params,
    flops,
    activationShape: [null, 10],
    stats: { min: -1, max: 1, mean: params / 1e6, std: 0.1, sparsity: 0 },
    histogram: { edges: [-1, 0, 1], counts: [params >> 1, params - (params >> 1)] },
    ...extra,
  };
}

export function inspectResult(): InspectResult {
  const layers = [
    layer('conv1', 'Conv2D', 156, 117_600),
    layer('conv2', 'Conv2D', 2416, 240_000),
    layer('fc1', 'Dense', 48_120, 48_000, { stats: { min: -0.3, max: 0.4, mean: 0.001, std: 0.05, sparsity: 0.25 } }),
    layer('fc2', 'Dense', 10_164, 10_080),
    layer('fc3', 'Dense', 850, 840),
  ];
  return {
    model: { name: 'lenet5-mnist', format: 'builtin', inputShape: [null, 28, 28, 1], params: 61_706, flops: 416_520 },
    layers,
  };
}

export function jobRecord(id: string, extra: Partial<JobRecord> = {}): JobRecord {
  return {
    id,
    kind: 'train',
    status: 'running',
    config: { arch: 'lenet5', data: 'mnist', epochs: 2 },
    createdAt: 1_700_000_000_000,
    updatedAt: 1_700_000_000_000,
    fraction: 0,
    stage: 'starting',
    metrics: [],
    resultPaths: [],
    ...extra,
  };
}

export const flush = () => new Promise((r) => setTimeout(r, 0));

/**
 * Component-test setup shared by the view tests: fake layout once, a fresh Pinia (jobs store unsubscribed) before
 * each test; returns the mount options that install that Pinia.
 */
export function freshPiniaPerTest(): () => { global: { plugins: ReturnType<typeof createPinia>[] }; attachTo: HTMLElement } {
  let pinia: ReturnType<typeof createPinia>;
  beforeAll(() => fakeLayout());
  beforeEach(() => {
    pinia = createPinia();
    setActivePinia(pinia);
    useJobsStore().unsubscribe();
  });
  return () => ({ global: { plugins: [pinia] }, attachTo: document.body });
}
