import { defineStore } from 'pinia';
import { markRaw } from 'vue';
import type { PartsResponses, PartsRunView } from '@shared/api-parts';
import { api } from '../api';
import { firstLine } from '../format';

let seq = 0;
let respondSeq = 0;

/** The Parts view: a parts run (mining, detectors, matrix), the chosen class, detector and image, response maps. */
export const usePartsStore = defineStore('parts', {
  state: () => ({
    model: '',
    data: '',
    run: null as PartsRunView | null,
    loading: false,
    error: null as string | null,
    cls: 0,
    detector: 0,
    image: null as string | null,
    opacity: 0.55,
    /** z-score range the overlay spans */
    lo: 0,
    hi: 4,
    response: null as PartsResponses | null,
    /** once the user moves a range slider, new maps keep the range; until then it follows each map (0 → its best z) */
    rangeTouched: false,
    responseError: null as string | null,
  }),
  actions: {
    async load(model: string, data: string) {
      const mine = ++seq;
      this.model = model.trim();
      this.data = data.trim();
      this.loading = true;
      this.error = null;
      try {
        const r = await api().call('parts.run', { model: this.model });
        if (mine !== seq) return;
        this.run = markRaw(r);
        this.cls = 0;
        this.detector = r.detectors[0]?.index ?? 0;
        this.image = r.matrix.images[0] ?? null;
        this.response = null;
        if (!this.data) this.data = r.data;
      } catch (e) {
        if (mine === seq) {
          this.run = null;
          this.error = firstLine(e);
        }
      } finally {
        if (mine === seq) this.loading = false;
      }
    },
    async respond() {
      if (!this.run || !this.image) return;
      const mine = ++respondSeq;
      this.responseError = null;
      try {
        const r = await api().call('parts.respond', { model: this.model, image: this.image, data: this.data || this.run.data, split: 'test', detectors: [this.detector] });
        if (mine !== respondSeq) return;
        this.response = markRaw(r);
        const best = r.maps[0]?.max ?? 1;
        if (!this.rangeTouched) {
          this.lo = 0;
          this.hi = Math.max(0.5, Math.ceil(best * 2) / 2);
        }
      } catch (e) {
        if (mine === respondSeq) this.responseError = firstLine(e);
      }
    },
  },
});
