import { defineStore } from 'pinia';
import type { JobRecord } from '@shared/api';
import type { DiffResult, ExportFormat, ExportResult } from '@shared/api-export';
import { api } from '../api';
import { useJobsStore } from './jobs';

/** The Export and Diff views: forms, their jobs, and saving a verified export. */
export const useExportStore = defineStore('export', {
  state: () => ({
    exportJobId: null as string | null,
    diffJobId: null as string | null,
    error: null as string | null,
    diffError: null as string | null,
    saving: false,
    saved: null as string[] | null,
    saveError: null as string | null,
  }),
  getters: {
    exportJob(s): JobRecord | null {
      return s.exportJobId ? (useJobsStore().byId[s.exportJobId] ?? null) : null;
    },
    exportResult(): ExportResult | null {
      const j = this.exportJob;
      return j?.status === 'done' && j.result ? (j.result as ExportResult) : null;
    },
    diffJob(s): JobRecord | null {
      return s.diffJobId ? (useJobsStore().byId[s.diffJobId] ?? null) : null;
    },
    diffResult(): DiffResult | null {
      const j = this.diffJob;
      return j?.status === 'done' && j.result ? (j.result as DiffResult) : null;
    },
  },
  actions: {
    async startExport(cfg: { model: string; policy?: string; formats: ExportFormat[]; data?: string; limit?: number; tfjsDtype?: 'float32' | 'float16' | 'uint8' | 'uint16' | 'policy' }) {
      this.error = null;
      this.saved = null;
      this.saveError = null;
      try {
        this.exportJobId = await useJobsStore().start({ kind: 'export', config: cfg });
      } catch (e) {
        this.error = (e as Error).message;
      }
    },
    async save(to: string) {
      if (!this.exportJobId) return;
      this.saving = true;
      this.saveError = null;
      try {
        this.saved = (await api().call('export.save', { id: this.exportJobId, to })).files;
      } catch (e) {
        this.saveError = (e as Error).message;
      } finally {
        this.saving = false;
      }
    },
    async startDiff(cfg: { a: string; b: string; data?: string; limit?: number }) {
      this.diffError = null;
      try {
        this.diffJobId = await useJobsStore().start({ kind: 'diff', config: cfg });
      } catch (e) {
        this.diffError = (e as Error).message;
      }
    },
  },
});
