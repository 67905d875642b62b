import { defineStore } from 'pinia';
import type { InspectResult, LayerInfo } from '@shared/api';
import { api } from '../api';
import { firstLine } from '../format';

export type SortKey = 'index' | 'name' | 'kind' | 'params' | 'flops' | 'min' | 'max' | 'mean' | 'std' | 'sparsity';

const value = (l: LayerInfo, i: number, key: SortKey): number | string => {
  switch (key) {
    case 'index':
      return i;
    case 'name':
    case 'kind':
      return l[key];
    case 'params':
    case 'flops':
      return l[key];
    default:
      return l.stats[key];
  }
};

let seq = 0;

/** The open model and its inspect table. */
export const useModelStore = defineStore('model', {
  state: () => ({
    ref: null as string | null,
    result: null as InspectResult | null,
    loading: false,
    error: null as string | null,
    selected: null as string | null,
    sortKey: 'index' as SortKey,
    sortDesc: false,
  }),
  getters: {
    layers: (s): LayerInfo[] => s.result?.layers ?? [],
    sortedLayers(s): LayerInfo[] {
      const layers = s.result?.layers ?? [];
      const idx = new Map(layers.map((l, i) => [l, i]));
      const dir = s.sortDesc ? -1 : 1;
      return [...layers].sort((a, b) => {
        const va = value(a, idx.get(a)!, s.sortKey);
        const vb = value(b, idx.get(b)!, s.sortKey);
        const c = typeof va === 'string' ? va.localeCompare(vb as string) : va - (vb as number);
        return c * dir || idx.get(a)! - idx.get(b)!;
      });
    },
    selectedLayer(s): LayerInfo | null {
      return s.result?.layers.find((l) => l.name === s.selected) ?? null;
    },
    totals(s): { params: number; flops: number; layers: number } {
      const layers = s.result?.layers ?? [];
      return {
        layers: layers.length,
        params: layers.reduce((a, l) => a + l.params, 0),
        flops: layers.reduce((a, l) => a + l.flops, 0),
      };
    },
  },
  actions: {
    /** Inspect a model; the latest call wins when several are in flight. */
    async open(ref: string) {
      const mine = ++seq;
      this.ref = ref;
      this.loading = true;
      this.error = null;
      this.result = null;
      this.selected = null;
      try {
        const result = await api().call('model.inspect', { model: ref });
        if (mine !== seq) return;
        this.result = result;
        // start on the layer with the most weights: its histogram is the interesting one
        const big = [...result.layers].sort((a, b) => b.params - a.params)[0];
        this.selected = big?.name ?? null;
      } catch (e) {
        if (mine === seq) this.error = firstLine(e);
      } finally {
        if (mine === seq) this.loading = false;
      }
    },
    sortBy(key: SortKey) {
      if (this.sortKey === key) this.sortDesc = !this.sortDesc;
      else {
        this.sortKey = key;
        // numbers read best largest-first, names A→Z
        this.sortDesc = !['index', 'name', 'kind'].includes(key);
      }
    },
    select(name: string) {
      this.selected = name;
    },
  },
});
