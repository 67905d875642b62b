import { defineStore } from 'pinia';
import type { DatasetEntry, ModelEntry } from '@shared/api';
import { api } from '../api';

/** Models (builtin + recently opened) and datasets known to the workspace. */
export const useWorkspaceStore = defineStore('workspace', {
  state: () => ({
    models: [] as ModelEntry[],
    datasets: [] as DatasetEntry[],
    loading: false,
    loaded: false,
    error: null as string | null,
  }),
  actions: {
    async load() {
      this.loading = true;
      this.error = null;
      try {
        const [models, datasets] = await Promise.all([api().call('workspace.models', {}), api().call('workspace.datasets', {})]);
        this.models = models;
        this.datasets = datasets;
        this.loaded = true;
      } catch (e) {
        this.error = (e as Error).message;
      } finally {
        this.loading = false;
      }
    },
  },
});
