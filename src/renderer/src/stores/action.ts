import { defineStore } from 'pinia';
import { markRaw } from 'vue';
import type { ActionClipView, ActionRunView } from '@shared/api-action';
import { api } from '../api';
import { firstLine } from '../format';

let seq = 0;
let clipSeq = 0;

/** The Action view: a run (record, offset weights, hierarchy) and one clip of its data with flow and timelines. */
export const useActionStore = defineStore('action', {
  state: () => ({
    model: '',
    data: '',
    run: null as ActionRunView | null,
    loading: false,
    error: null as string | null,
    split: 'test' as 'train' | 'val' | 'test',
    index: 0,
    clip: null as ActionClipView | null,
    clipError: null as string | null,
    frame: 0,
    playing: false,
  }),
  actions: {
    async load(model: string, data: string) {
      const mine = ++seq;
      this.model = model.trim();
      this.data = data.trim();
      this.loading = true;
      this.error = null;
      try {
        const r = await api().call('action.run', { model: this.model });
        if (mine !== seq) return;
        this.run = markRaw(r);
        if (!this.data) this.data = r.record.data;
        await this.openClip(0);
      } catch (e) {
        if (mine === seq) {
          this.run = null;
          this.error = firstLine(e);
        }
      } finally {
        if (mine === seq) this.loading = false;
      }
    },
    async openClip(index: number) {
      const mine = ++clipSeq;
      this.clipError = null;
      const valFraction = (this.run?.record.splits.valFraction as number | undefined) ?? undefined;
      try {
        const c = await api().call('action.clip', { data: this.data, split: this.split, index, model: this.model || undefined, valFraction });
        if (mine !== clipSeq) return;
        this.clip = markRaw(c);
        this.index = index;
        this.frame = 0;
      } catch (e) {
        if (mine === clipSeq) this.clipError = firstLine(e);
      }
    },
  },
});
