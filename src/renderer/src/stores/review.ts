import { defineStore } from 'pinia';
import { markRaw } from 'vue';
import type { GroundTruthBox, ReviewBox, ReviewEdit, ReviewMetrics, ReviewSet } from '@shared/api-review';
import type { Rect } from '@shared/api-wsod';
import { api } from '../api';
import { firstLine } from '../format';
import { precompute, type Precomputed } from '../views/review/match';
import { applyFilter, defaultFilter, type FilterResult, type ReviewFilter } from '../views/review/filter';
import { commitRedo, commitUndo, emptyStack, peekRedo, peekUndo, record, stateOf, type BoxState } from '../views/review/undo';

const LAST_SET = 'layerlens.review.set';
let drawSeq = 0;
let loadSeq = 0;

function remember(id: string | null) {
  try {
    if (id) localStorage.setItem(LAST_SET, id);
    else localStorage.removeItem(LAST_SET);
  } catch {
    /* no storage (tests, private windows): nothing to restore after a reload */
  }
}
function remembered(): string | null {
  try {
    return localStorage.getItem(LAST_SET);
  } catch {
    return null;
  }
}

export type OpenForm = { data: string; detections: string; compare: string; split: 'train' | 'val' | 'test' };
type EditOp =
  | { op: 'accept' | 'reject' | 'reset' | 'delete' }
  | { op: 'relabel'; label: number }
  | { op: 'move'; rect: Rect };

/**
 * A review set: its boxes and ground truth (raw arrays: 5,000 reactive proxies would make every filter pass slow;
 * `rev` bumps on each change instead), the filter, the selection, the edit history for undo/redo, metrics, export.
 */
export const useReviewStore = defineStore('review', {
  state: () => ({
    form: { data: '', detections: '', compare: '', split: 'test' } as OpenForm,
    sets: [] as ReviewSet[],
    set: null as ReviewSet | null,
    boxes: markRaw([]) as ReviewBox[],
    groundTruth: markRaw([]) as GroundTruthBox[],
    /** boxes deleted in this session, for undo (their last version) */
    deleted: markRaw(new Map()) as Map<string, ReviewBox>,
    rev: 0,
    loading: false,
    error: null as string | null,
    /** the last refused edit (a version conflict, a bad rect), shown until the next edit */
    editError: null as string | null,
    busy: false,
    filter: defaultFilter() as ReviewFilter,
    page: 0,
    pageSize: 48,
    image: null as string | null,
    boxId: null as string | null,
    drawMode: false,
    drawLabel: 0,
    thumbs: {} as Record<string, string>,
    undo: emptyStack(),
    metrics: null as ReviewMetrics | null,
    metricsWhich: 'detections' as 'detections' | 'reviewed' | 'compare',
    metricsLoading: false,
    metricsError: null as string | null,
    exported: null as { path: string; images: number; boxes: number } | null,
    exportError: null as string | null,
  }),
  getters: {
    pre(s): Precomputed {
      void s.rev;
      return markRaw(precompute(s.set?.images.map((i) => i.id) ?? [], s.boxes, s.groundTruth));
    },
    result(): FilterResult {
      return markRaw(applyFilter(this.pre, this.filter));
    },
    reviewed(s): number {
      void s.rev;
      return s.boxes.reduce((n, b) => n + (b.status === 'pending' ? 0 : 1), 0);
    },
    selectedBox(s): ReviewBox | null {
      void s.rev;
      return s.boxId ? (s.boxes.find((b) => b.id === s.boxId) ?? null) : null;
    },
    imageInfo(s): { id: string; width: number; height: number } | null {
      return s.set?.images.find((i) => i.id === s.image) ?? null;
    },
    /** the selected image's boxes that pass the filter, by score (drawn first) */
    imageBoxes(): number[] {
      const p = this.pre;
      const im = this.image === null ? -1 : (p.imageIndex.get(this.image) ?? -1);
      if (im < 0) return [];
      const kept = this.result.kept;
      return p.byImage[im].filter((i) => kept[i]).sort((a, b) => p.score[b] - p.score[a]);
    },
    imageMissed(): number[] {
      const p = this.pre;
      const im = this.image === null ? -1 : (p.imageIndex.get(this.image) ?? -1);
      return im < 0 ? [] : p.gtByImage[im].filter((j) => this.result.fn[j]);
    },
  },
  actions: {
    async loadSets() {
      try {
        this.sets = await api().call('review.sets', {});
      } catch (e) {
        this.error = firstLine(e);
      }
    },
    /** Open (or reopen) a review of detections over a dataset split. */
    async open(formIn?: OpenForm) {
      const form = { ...(formIn ?? this.form) };
      this.form = form;
      this.loading = true;
      this.error = null;
      try {
        const set = await api().call('review.open', {
          data: form.data.trim(),
          detections: form.detections.trim(),
          split: form.split,
          ...(form.compare.trim() ? { compare: form.compare.trim() } : {}),
        });
        await this.load(set.id);
        void this.loadSets();
      } catch (e) {
        this.error = firstLine(e);
        this.loading = false;
      }
    },
    /** Load a set's items (after open, a reload, or a refused edit). */
    async load(id: string, keepView = false) {
      const mine = ++loadSeq;
      this.loading = !keepView;
      try {
        const items = await api().call('review.items', { set: id });
        if (mine !== loadSeq) return;
        const changedSet = this.set?.id !== items.set.id;
        this.set = items.set;
        this.boxes = markRaw(items.boxes);
        this.groundTruth = markRaw(items.groundTruth);
        this.rev++;
        this.form = { data: items.set.data, detections: items.set.detections, compare: items.set.compare ?? '', split: items.set.split };
        remember(id);
        if (changedSet) {
          this.undo = emptyStack();
          this.deleted = markRaw(new Map());
          this.thumbs = {};
          this.page = 0;
          this.boxId = null;
          this.image = this.result.images.length ? items.set.images[this.result.images[0]].id : (items.set.images[0]?.id ?? null);
          this.metrics = null;
          this.exported = null;
          void this.loadMetrics();
        }
      } catch (e) {
        if (mine === loadSeq) this.error = firstLine(e);
      } finally {
        if (mine === loadSeq) this.loading = false;
      }
    },
    /** After a page reload: the set this window had open. */
    async restore() {
      if (this.set) return;
      await this.loadSets();
      const id = remembered();
      if (id && this.sets.some((s) => s.id === id)) await this.load(id);
    },
    async thumb(imageId: string): Promise<void> {
      if (!this.set || this.thumbs[imageId]) return;
      const set = this.set;
      try {
        const r = await api().call('review.image', { data: set.data, image: imageId, split: set.split });
        if (this.set?.id === set.id) this.thumbs[imageId] = r.dataUrl;
      } catch {
        /* the grid shows the boxes without the picture */
      }
    },
    setFilter(patch: Partial<ReviewFilter>) {
      Object.assign(this.filter, patch);
      this.page = 0;
    },
    selectImage(id: string | null) {
      if (this.image !== id) this.boxId = null;
      this.image = id;
    },
    selectBox(id: string | null) {
      this.boxId = id;
      const b = id ? this.boxes.find((x) => x.id === id) : null;
      if (b) this.image = b.imageId;
    },
    /** N / P: the next box of the image in the detail list order, wrapping. */
    stepBox(dir: 1 | -1) {
      const list = this.imageBoxes.map((i) => this.boxes[i].id);
      if (!list.length) return;
      const at = this.boxId ? list.indexOf(this.boxId) : -1;
      this.boxId = list[(at + dir + list.length) % list.length] ?? null;
      if (at < 0 && dir < 0) this.boxId = list[list.length - 1];
    },
    stepImage(dir: 1 | -1) {
      const ids = this.result.images.map((i) => this.pre.imageIds[i]);
      if (!ids.length) return;
      const at = this.image ? ids.indexOf(this.image) : -1;
      const next = ids[Math.min(ids.length - 1, Math.max(0, at + dir))];
      this.selectImage(next);
      const k = ids.indexOf(next);
      this.page = Math.floor(k / this.pageSize);
    },
    replaceBox(box: ReviewBox & { deleted?: boolean }) {
      const i = this.boxes.findIndex((b) => b.id === box.id);
      const { deleted, ...plain } = box;
      if (deleted) {
        this.deleted.set(box.id, plain);
        if (i >= 0) this.boxes.splice(i, 1);
        if (this.boxId === box.id) this.boxId = null;
      } else {
        this.deleted.delete(box.id);
        if (i >= 0) this.boxes[i] = plain;
        else this.boxes.push(plain);
      }
      this.rev++;
    },
    /** A refused edit: say why, and reload so the window shows what is stored now. */
    async refused(e: unknown) {
      this.editError = `Edit refused: ${firstLine(e)} — reloaded the current boxes.`;
      if (this.set) await this.load(this.set.id, true);
    },
    /** One edit of the selected (or named) box, recorded for undo. */
    async edit(op: EditOp, boxIdIn?: string | null) {
      const boxId = boxIdIn === undefined ? this.boxId : boxIdIn;
      const set = this.set;
      const b = boxId ? this.boxes.find((x) => x.id === boxId) : null;
      if (!set || !b || this.busy) return;
      const before = stateOf(b);
      this.busy = true;
      this.editError = null;
      try {
        const r = await api().call('review.edit', { ...op, set: set.id, box: b.id, expectedVersion: b.version } as ReviewEdit);
        this.replaceBox(r.box);
        record(this.undo, { box: b.id, before, after: stateOf(r.box) });
      } catch (e) {
        await this.refused(e);
      } finally {
        this.busy = false;
      }
    },
    async draw(rect: Rect, labelIn?: number) {
      const label = labelIn ?? this.drawLabel;
      const set = this.set;
      if (!set || !this.image || this.busy) return;
      this.busy = true;
      this.editError = null;
      const id = `drawn-${Date.now().toString(36)}-${++drawSeq}`;
      try {
        const r = await api().call('review.edit', { op: 'draw', set: set.id, box: id, image: this.image, label, rect });
        this.replaceBox(r.box);
        const after = stateOf(r.box);
        record(this.undo, { box: r.box.id, before: { ...after, deleted: true }, after });
        this.boxId = r.box.id;
      } catch (e) {
        await this.refused(e);
      } finally {
        this.busy = false;
      }
    },
    async restoreTo(boxId: string, state: BoxState): Promise<boolean> {
      const set = this.set;
      const current = this.boxes.find((b) => b.id === boxId) ?? this.deleted.get(boxId);
      if (!set || !current) return false;
      this.editError = null;
      try {
        const r = await api().call('review.edit', { op: 'restore', set: set.id, box: boxId, expectedVersion: current.version, state });
        this.replaceBox(r.box);
        if (!state.deleted) this.selectBox(boxId);
        return true;
      } catch (e) {
        await this.refused(e);
        return false;
      }
    },
    async undoEdit() {
      const u = peekUndo(this.undo);
      if (!u || this.busy) return;
      this.busy = true;
      try {
        if (await this.restoreTo(u.box, u.state)) commitUndo(this.undo);
      } finally {
        this.busy = false;
      }
    },
    async redoEdit() {
      const u = peekRedo(this.undo);
      if (!u || this.busy) return;
      this.busy = true;
      try {
        if (await this.restoreTo(u.box, u.state)) commitRedo(this.undo);
      } finally {
        this.busy = false;
      }
    },
    async loadMetrics(whichIn?: 'detections' | 'reviewed' | 'compare') {
      const which = whichIn ?? this.metricsWhich;
      if (!this.set) return;
      this.metricsWhich = which;
      this.metricsLoading = true;
      this.metricsError = null;
      try {
        this.metrics = await api().call('review.metrics', { set: this.set.id, minScore: this.filter.minScore, which });
      } catch (e) {
        this.metricsError = firstLine(e);
      } finally {
        this.metricsLoading = false;
      }
    },
    async exportSet(format: 'coco' | 'voc', out: string, include: 'accepted' | 'kept') {
      if (!this.set) return;
      this.exportError = null;
      this.exported = null;
      try {
        this.exported = await api().call('review.export', { set: this.set.id, format, out: out.trim(), include });
      } catch (e) {
        this.exportError = firstLine(e);
      }
    },
  },
});
