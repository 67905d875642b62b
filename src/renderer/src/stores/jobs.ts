import { defineStore } from 'pinia';
import type { JobEvent, JobRecord, JobStart, JobStatus } from '@shared/api';
import { api } from '../api';

const terminal: readonly JobStatus[] = ['done', 'failed', 'cancelled', 'resumable'];
export const isActive = (j: Pick<JobRecord, 'status'>) => j.status === 'running' || j.status === 'queued';

let unsubscribe: (() => void) | null = null;
let offReconnect: (() => void) | null = null;

/** Jobs of the workspace, kept live by job events. */
export const useJobsStore = defineStore('jobs', {
  state: () => ({
    byId: {} as Record<string, JobRecord>,
    loading: false,
    error: null as string | null,
    selectedId: null as string | null,
    /** cancel asked, event not yet seen */
    cancelling: {} as Record<string, boolean>,
  }),
  getters: {
    list: (s): JobRecord[] => Object.values(s.byId).sort((a, b) => b.createdAt - a.createdAt || b.id.localeCompare(a.id)),
    active(): JobRecord[] {
      return this.list.filter(isActive);
    },
    finished(): JobRecord[] {
      return this.list.filter((j) => !isActive(j));
    },
    selected(s): JobRecord | null {
      return s.selectedId ? (s.byId[s.selectedId] ?? null) : null;
    },
  },
  actions: {
    async load() {
      this.loading = true;
      this.error = null;
      try {
        const jobs = await api().call('jobs.list', {});
        const byId: Record<string, JobRecord> = {};
        for (const j of jobs) byId[j.id] = j;
        this.byId = byId;
      } catch (e) {
        this.error = (e as Error).message;
      } finally {
        this.loading = false;
      }
    },
    subscribe() {
      unsubscribe ??= api().onJob((e) => this.apply(e));
      // events sent while the stream was down are gone: the list is the truth again
      offReconnect ??= api().onReconnect?.(() => void this.load()) ?? null;
    },
    unsubscribe() {
      unsubscribe?.();
      unsubscribe = null;
      offReconnect?.();
      offReconnect = null;
    },
    apply(e: JobEvent) {
      const j = this.byId[e.id];
      if (!j) {
        // started elsewhere (CLI, another window) or the event beat jobs.start's answer
        this.byId[e.id] = {
          id: e.id,
          kind: 'train',
          status: e.status,
          config: null,
          createdAt: Date.now(),
          updatedAt: Date.now(),
          fraction: e.fraction,
          stage: e.stage,
          metrics: e.metrics ? [e.metrics] : [],
          error: e.error,
          resultPaths: [],
        };
        void this.refresh(e.id);
        return;
      }
      // a late progress message never takes a finished job back to running
      if (terminal.includes(j.status) && !terminal.includes(e.status)) return;
      j.status = e.status;
      j.fraction = e.fraction;
      j.stage = e.stage;
      j.updatedAt = Date.now();
      if (e.metrics) j.metrics.push(e.metrics);
      if (e.error) j.error = e.error;
      if (terminal.includes(e.status)) {
        delete this.cancelling[e.id];
        // the result (top-1, paths) is only in the record
        void this.refresh(e.id);
      }
    },
    /** Merge the stored record with what events already told us. */
    async refresh(id: string) {
      try {
        const rec = await api().call('jobs.get', { id });
        const cur = this.byId[id];
        if (cur) {
          const lastT = rec.metrics.length ? rec.metrics[rec.metrics.length - 1].t : -Infinity;
          rec.metrics = [...rec.metrics, ...cur.metrics.filter((m) => m.t > lastT)];
          if (terminal.includes(cur.status) && !terminal.includes(rec.status)) {
            rec.status = cur.status;
            rec.error = cur.error;
          }
          if (!terminal.includes(rec.status) && cur.fraction > rec.fraction) {
            rec.fraction = cur.fraction;
            rec.stage = cur.stage;
          }
        }
        this.byId[id] = rec;
      } catch {
        /* keep what the events said */
      }
    },
    /** Start a job; throws the one-line error so the form can show it. */
    async start(req: JobStart): Promise<string> {
      const { id } = await api().call('jobs.start', req);
      await this.refresh(id);
      this.selectedId = id;
      return id;
    },
    async cancel(id: string) {
      this.cancelling[id] = true;
      try {
        const { ok } = await api().call('jobs.cancel', { id });
        if (!ok) {
          delete this.cancelling[id];
          await this.refresh(id);
        }
      } catch (e) {
        delete this.cancelling[id];
        const j = this.byId[id];
        if (j) j.error = (e as Error).message;
      }
    },
    select(id: string | null) {
      this.selectedId = id;
    },
  },
});
