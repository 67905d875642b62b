import { defineStore } from 'pinia';
import type { AppInfo, HostEvent } from '@shared/api';
import { api } from '../api';
import { useModelStore } from './model';
import { useWorkspaceStore } from './workspace';
import { useJobsStore } from './jobs';

/** A view's name from views/registry.ts (the store does not import the views: they import stores). */
export type View = string;

function viewFromHash(): View | null {
  const v = (typeof location === 'undefined' ? '' : location.hash).replace(/^#\/?/, '');
  // unknown names fall back to the Layers view in App.vue
  return /^[a-z][a-z0-9-]{0,40}$/.test(v) ? v : null;
}

/** App-wide state: host info, navigation, start-up. */
export const useAppStore = defineStore('app', {
  state: () => ({
    info: null as AppInfo | null,
    loading: false,
    error: null as string | null,
    view: (viewFromHash() ?? 'layers') as View,
  }),
  actions: {
    navigate(view: View) {
      this.view = view;
      if (typeof history !== 'undefined') history.replaceState(null, '', `#/${view}`);
    },
    /** Load host info, the workspace and the jobs, then open the default model (unless one is open). */
    async init() {
      this.loading = true;
      this.error = null;
      const model = useModelStore();
      try {
        this.info = await api().call('app.info', {});
      } catch (e) {
        this.error = (e as Error).message;
        return;
      } finally {
        this.loading = false;
      }
      api().onHost?.((e) => void this.onHost(e));
      const jobs = useJobsStore();
      jobs.subscribe();
      await Promise.all([useWorkspaceStore().load(), jobs.load(), model.ref ? null : model.open(this.info.defaultModel)]);
    },
    async onHost(e: HostEvent) {
      if (e.type === 'open-model') {
        this.navigate('layers');
        await useModelStore().open(e.model);
        await useWorkspaceStore().load();
      } else {
        // another workspace: other jobs, other recent models
        this.info = await api().call('app.info', {});
        await Promise.all([useWorkspaceStore().load(), useJobsStore().load()]);
      }
    },
  },
});
