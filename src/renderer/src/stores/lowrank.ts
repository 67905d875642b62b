import { defineStore } from 'pinia';
import type { AccuracyResult, LayerSpectrum, LowrankConfig, LowrankLive, LowrankResult, LowrankScheme, SpectrumResult } from '@shared/api-lowrank';
import type { JobRecord } from '@shared/api';
import { budgetRanks } from '@shared/rank-budget';
import { api } from '../api';
import { firstLine } from '../format';
import { isActive, useJobsStore } from './jobs';

let seq = 0;
let timer: ReturnType<typeof setInterval> | null = null;

/** Spectra of the open model, the rank picker, and the TRP run started from the Spectra view (live). */
export const useLowrankStore = defineStore('lowrank', {
  state: () => ({
    ref: null as string | null,
    scheme: 'channel' as LowrankScheme,
    spectrum: null as SpectrumResult | null,
    loading: false,
    error: null as string | null,
    selected: null as string | null,
    /** picked rank per layer (default r(0.9)) */
    ranks: {} as Record<string, number>,
    accuracy: null as AccuracyResult | null,
    accuracyFor: '' as string,
    accuracyLoading: false,
    accuracyError: null as string | null,
    runId: null as string | null,
    live: null as LowrankLive | null,
    runError: null as string | null,
  }),
  getters: {
    layers: (s): LayerSpectrum[] => s.spectrum?.layers ?? [],
    selectedLayer(s): LayerSpectrum | null {
      return s.spectrum?.layers.find((l) => l.name === s.selected) ?? null;
    },
    /** MACs of a layer at its picked rank; the layer's own MACs where factorising would not pay */
    flopsAfter(s) {
      return (l: LayerSpectrum): number => {
        const r = s.ranks[l.name] ?? l.singularValues.length;
        return r <= l.usefulRank ? l.flopsAtRank[r - 1] : l.flops;
      };
    },
    /** whole-model MACs with every picked rank applied */
    modelFlopsAfter(): number {
      const total = this.spectrum?.flops ?? 0;
      return this.layers.reduce((acc, l) => acc - l.flops + this.flopsAfter(l), total);
    },
    /** ranks that actually factorise (the picked rank pays) */
    factorised(s): Record<string, number> {
      const out: Record<string, number> = {};
      for (const l of s.spectrum?.layers ?? []) {
        const r = s.ranks[l.name];
        if (r && r <= l.usefulRank) out[l.name] = r;
      }
      return out;
    },
    run(s): JobRecord | null {
      return s.runId ? (useJobsStore().byId[s.runId] ?? null) : null;
    },
    runResult(): LowrankResult | null {
      const r = this.run;
      return r?.status === 'done' ? ((r.result ?? null) as LowrankResult | null) : null;
    },
  },
  actions: {
    /** Spectra of a model (latest call wins). */
    async load(ref: string, schemeIn?: LowrankScheme) {
      const scheme = schemeIn ?? this.scheme;
      const mine = ++seq;
      this.ref = ref;
      this.scheme = scheme;
      this.loading = true;
      this.error = null;
      try {
        const r = await api().call('lowrank.spectrum', { model: ref, scheme });
        if (mine !== seq) return;
        this.spectrum = r;
        this.ranks = Object.fromEntries(r.layers.map((l) => [l.name, l.rankAtEnergy['0.9']]));
        if (!r.layers.some((l) => l.name === this.selected)) {
          // start on the layer with the most MACs: its spectrum matters most
          this.selected = [...r.layers].sort((a, b) => b.flops - a.flops)[0]?.name ?? null;
        }
        this.accuracy = null;
      } catch (e) {
        if (mine === seq) {
          this.spectrum = null;
          this.error = firstLine(e);
        }
      } finally {
        if (mine === seq) this.loading = false;
      }
    },
    /** Load unless this model's spectra under this scheme are already here. */
    async ensure(ref: string | null) {
      if (!ref || (this.ref === ref && (this.spectrum || this.loading))) return;
      await this.load(ref);
    },
    select(name: string) {
      this.selected = name;
    },
    pick(name: string, rank: number) {
      this.ranks[name] = rank;
    },
    /** Every layer's rank from the FLOPs budget of a target speed-up (least energy dropped; the TRP budget rule). */
    fitSpeedup(speedup: number) {
      if (!this.spectrum || !(speedup >= 1)) return;
      this.ranks = budgetRanks(
        this.spectrum.layers.map((l) => ({ name: l.name, s: l.singularValues, flopsAtRank: l.flopsAtRank, usefulRank: l.usefulRank, flops: l.flops, fullRank: l.singularValues.length })),
        this.spectrum.flops,
        speedup,
      );
    },
    /** Factorise at the picked ranks and evaluate (on demand: it runs the model over the val split, as picking ranks is a choice). */
    async measureAccuracy(data: string, limit = 1000) {
      if (!this.ref) return;
      this.accuracyLoading = true;
      this.accuracyError = null;
      const ranks = { ...this.factorised };
      try {
        this.accuracy = await api().call('lowrank.accuracy', { model: this.ref, data, scheme: this.scheme, ranks, limit });
        this.accuracyFor = JSON.stringify(ranks);
      } catch (e) {
        this.accuracyError = firstLine(e);
      } finally {
        this.accuracyLoading = false;
      }
    },
    async startRun(config: LowrankConfig) {
      this.runError = null;
      this.live = null;
      try {
        this.runId = await useJobsStore().start({ kind: 'lowrank', config });
        this.watch();
      } catch (e) {
        this.runError = firstLine(e);
      }
    },
    /** Poll the run's live file while it runs (job events carry scalars only; spectra are arrays). */
    watch() {
      if (timer) clearInterval(timer);
      const tick = async () => {
        const id = this.runId;
        if (!id) return;
        try {
          const live = await api().call('lowrank.live', { id });
          if (id === this.runId) this.live = live;
        } catch {
          /* the next tick tries again */
        }
        const run = useJobsStore().byId[id];
        if (run && !isActive(run) && timer) {
          clearInterval(timer);
          timer = null;
        }
      };
      void tick();
      timer = setInterval(() => void tick(), 1500);
    },
    async cancelRun() {
      if (this.runId) await useJobsStore().cancel(this.runId);
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = null;
    },
  },
});
