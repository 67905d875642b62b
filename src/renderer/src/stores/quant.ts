import { defineStore } from 'pinia';
import type { JobRecord, MetricPoint } from '@shared/api';
import type { PolicyEvalResult, QuantizeResult, SensitivityResult } from '@shared/api-quant';
import { api } from '../api';
import { useJobsStore } from './jobs';

export interface PolicyRow {
  name: string;
  params: number;
  bits: number;
  pinned: boolean;
}

const QUANT_KINDS = new Set(['Conv2D', 'Dense', 'DepthwiseConv2D', 'Conv1D', 'SeparableConv2D']);

/** Episode points of a search job's metric history (one per sampled policy). */
export function episodePoints(metrics: MetricPoint[]): MetricPoint[] {
  return metrics.filter((m) => typeof m.episode === 'number');
}
export function referencePoints(metrics: MetricPoint[]): { bits: number; top1: number; cr: number }[] {
  return metrics.filter((m) => typeof m.refBits === 'number').map((m) => ({ bits: m.refBits, top1: m.refTop1, cr: m.refCr }));
}

/** The quantization lab: search, sensitivity and policy-table state. */
export const useQuantStore = defineStore('quant', {
  state: () => ({
    model: 'builtin:lenet5-mnist',
    data: 'mnist',
    episodes: 120,
    controller: 'lstm' as 'lstm' | 'mlp',
    reward: 'multiplicative' as 'additive' | 'multiplicative',
    bitChoices: '2,3,4,5,6,8',
    evalSize: 500,
    retrainEpochs: 1,
    sensBits: '2,3,4,6,8',
    sensSubsets: 4,
    rows: [] as PolicyRow[],
    searchJobId: null as string | null,
    sensJobId: null as string | null,
    evalJobId: null as string | null,
    dnqJobId: null as string | null,
    error: null as string | null,
    busy: false,
  }),
  getters: {
    searchJob(): JobRecord | null {
      return this.searchJobId ? (useJobsStore().byId[this.searchJobId] ?? null) : null;
    },
    sensJob(): JobRecord | null {
      return this.sensJobId ? (useJobsStore().byId[this.sensJobId] ?? null) : null;
    },
    evalJob(): JobRecord | null {
      return this.evalJobId ? (useJobsStore().byId[this.evalJobId] ?? null) : null;
    },
    dnqJob(): JobRecord | null {
      return this.dnqJobId ? (useJobsStore().byId[this.dnqJobId] ?? null) : null;
    },
    sensitivity(): SensitivityResult | null {
      const j = this.sensJob;
      return j?.status === 'done' ? (j.result as SensitivityResult) : null;
    },
    searchResult(): QuantizeResult | null {
      const j = this.searchJob;
      return j?.status === 'done' ? (j.result as QuantizeResult) : null;
    },
    evalResult(): PolicyEvalResult | null {
      const j = this.evalJob;
      return j?.status === 'done' ? (j.result as PolicyEvalResult) : null;
    },
    policy(s): Record<string, number> {
      return Object.fromEntries(s.rows.map((r) => [r.name, r.bits]));
    },
    pinned(s): Record<string, number> {
      return Object.fromEntries(s.rows.filter((r) => r.pinned).map((r) => [r.name, r.bits]));
    },
  },
  actions: {
    async loadLayers() {
      this.error = null;
      try {
        const r = await api().call('model.inspect', { model: this.model });
        const old = new Map(this.rows.map((x) => [x.name, x]));
        this.rows = r.layers
          .filter((l) => QUANT_KINDS.has(l.kind))
          .map((l) => ({ name: l.name, params: l.weightShape.reduce((a, b) => a * b, 1), bits: old.get(l.name)?.bits ?? 4, pinned: old.get(l.name)?.pinned ?? false }));
      } catch (e) {
        this.error = (e as Error).message;
      }
    },
    async start(kind: 'search' | 'sensitivity' | 'eval' | 'dnq') {
      this.error = null;
      this.busy = true;
      const bits = (s: string) => s.split(',').map((x) => Number(x.trim())).filter((x) => Number.isInteger(x));
      try {
        const jobs = useJobsStore();
        jobs.subscribe();
        const common = { model: this.model, data: this.data };
        if (kind === 'search') {
          const { id } = await api().call('jobs.start', {
            kind: 'quantize',
            config: { ...common, method: 'dnq', episodes: this.episodes, controller: this.controller, reward: this.reward, bitChoices: bits(this.bitChoices), episodeEvalSize: this.evalSize, retrainEpochs: this.retrainEpochs, pinned: this.pinned, compareOrders: true },
          });
          this.searchJobId = id;
        } else if (kind === 'sensitivity') {
          const { id } = await api().call('jobs.start', { kind: 'sensitivity', config: { ...common, bits: bits(this.sensBits), subsets: this.sensSubsets } });
          this.sensJobId = id;
        } else if (kind === 'eval') {
          const { id } = await api().call('jobs.start', { kind: 'policy-eval', config: { ...common, policy: this.policy } });
          this.evalJobId = id;
        } else {
          const { id } = await api().call('jobs.start', { kind: 'quantize', config: { ...common, method: 'dnq', policy: this.policy, episodes: 0, retrainEpochs: this.retrainEpochs } });
          this.dnqJobId = id;
        }
        await jobs.refresh(kind === 'search' ? this.searchJobId! : kind === 'sensitivity' ? this.sensJobId! : kind === 'eval' ? this.evalJobId! : this.dnqJobId!);
      } catch (e) {
        this.error = (e as Error).message;
      } finally {
        this.busy = false;
      }
    },
    async cancel(id: string | null) {
      if (!id) return;
      await useJobsStore().cancel(id);
    },
    /** take the search's best policy into the table; pinned rows keep their bits */
    adopt(policy: Record<string, number>) {
      for (const r of this.rows) if (!r.pinned && policy[r.name] !== undefined) r.bits = policy[r.name];
    },
  },
});
