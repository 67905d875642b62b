import { defineStore } from 'pinia';
import { markRaw } from 'vue';
import type { EnergyMap, WsodRankings } from '@shared/api-wsod';
import { api } from '../api';
import { firstLine } from '../format';

let seq = 0;

export type DifficultySplit = 'train' | 'val' | 'test';

/** The Difficulty view: a run's mEAS rankings, the selected class and image, energy maps and images on demand. */
export const useWsodStore = defineStore('wsod', {
  state: () => ({
    model: '',
    data: '',
    split: 'train' as DifficultySplit,
    rankings: null as WsodRankings | null,
    loading: false,
    error: null as string | null,
    cls: 0,
    /** `${image}` of the selected item in the selected class */
    selected: null as string | null,
    opacity: 0.5,
    showOverlay: true,
    page: 0,
    pageSize: 40,
    /** key `${image}|${class}` */
    energies: markRaw({}) as Record<string, EnergyMap>,
    energyRev: 0,
    images: {} as Record<string, { dataUrl: string; width: number; height: number }>,
  }),
  actions: {
    async load(model: string, data: string, split: DifficultySplit = 'train') {
      const mine = ++seq;
      this.model = model.trim();
      this.data = data.trim();
      this.split = split;
      this.loading = true;
      this.error = null;
      try {
        const r = await api().call('wsod.rankings', { model: this.model, data: this.data, split });
        if (mine !== seq) return;
        this.rankings = markRaw(r);
        this.energies = markRaw({});
        this.energyRev++;
        this.images = {};
        this.page = 0;
        if (this.cls >= r.classNames.length) this.cls = 0;
        this.selected = null;
      } catch (e) {
        if (mine === seq) {
          this.rankings = null;
          this.error = firstLine(e);
        }
      } finally {
        if (mine === seq) this.loading = false;
      }
    },
    selectClass(c: number) {
      this.cls = c;
      this.page = 0;
      this.selected = null;
    },
    async energy(image: string, cls: number): Promise<void> {
      const key = `${image}|${cls}`;
      if (!this.rankings || this.energies[key]) return;
      try {
        const m = await api().call('wsod.energy', { model: this.model, data: this.data, image, class: cls, split: this.split });
        this.energies[key] = markRaw(m);
        this.energyRev++;
      } catch {
        /* the gallery shows the image without its overlay */
      }
    },
    async image(image: string): Promise<void> {
      if (this.images[image]) return;
      try {
        const r = await api().call('review.image', { data: this.data, image, split: this.split });
        this.images[image] = r;
      } catch {
        /* shown without the picture */
      }
    },
  },
});
