import { afterEach, describe, expect, it } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { setApi } from '@renderer/api';
import ReviewView from '@renderer/views/ReviewView.vue';
import ImageBoxes from '@renderer/components/ImageBoxes.vue';
import { useReviewStore } from '@renderer/stores/review';
import type { ReviewBox, ReviewEdit, ReviewSet } from '@shared/api-review';
import { fakeClient, freshPiniaPerTest } from './helpers';

const opts = freshPiniaPerTest();
const R = (x1: number, y1: number, x2: number, y2: number) => ({ x1, y1, x2, y2 });
const PNG = 'data:image/png;base64,iVBORw0KGgo=';

/** An in-memory review backend with the contract's version check (a component-test fake; the E2E uses the engine). */
function backend() {
  const set: ReviewSet = {
    id: 's1',
    name: 'digits test',
    data: '/data/digits',
    split: 'test',
    detections: '/runs/det.json',
    classNames: ['zero', 'one'],
    images: [
      { id: 'img-a', width: 96, height: 96 },
      { id: 'img-b', width: 96, height: 96 },
      { id: 'img-c', width: 96, height: 96 },
    ],
    createdAt: 1,
  };
  const boxes = new Map<string, ReviewBox & { deleted?: boolean }>();
  const add = (b: Omit<ReviewBox, 'status' | 'origin' | 'version'>) => boxes.set(b.id, { ...b, status: 'pending', origin: 'detector', version: 1 });
  add({ id: 'd1', imageId: 'img-a', label: 0, box: R(10, 10, 40, 40), score: 0.95 });
  add({ id: 'd2', imageId: 'img-a', label: 1, box: R(50, 50, 80, 80), score: 0.3 });
  add({ id: 'd3', imageId: 'img-b', label: 1, box: R(0, 0, 20, 20), score: 0.6 });
  add({ id: 'd4', imageId: 'img-c', label: 0, box: R(5, 5, 30, 30), score: 0.1 });
  const groundTruth = [
    { imageId: 'img-a', label: 0, box: R(10, 10, 40, 40) },
    { imageId: 'img-b', label: 0, box: R(60, 60, 90, 90) },
  ];
  let conflictNext = false;
  const fake = fakeClient({
    'review.sets': () => [set],
    'review.open': () => set,
    'review.items': () => {
      const live = [...boxes.values()].filter((b) => !b.deleted).map(({ deleted: _d, ...b }) => ({ ...b, box: { ...b.box } }));
      return { set, boxes: live, groundTruth, reviewed: live.filter((b) => b.status !== 'pending').length, total: live.length };
    },
    'review.edit': (req) => {
      const e = req as ReviewEdit & { box?: string; expectedVersion?: number };
      if (e.op === 'draw') {
        const b = { id: e.box!, imageId: e.image, label: e.label, box: e.rect, score: null, status: 'accepted' as const, origin: 'drawn' as const, version: 1 };
        boxes.set(b.id, b);
        return { box: b, seq: 1 };
      }
      const b = boxes.get(e.box!)!;
      if (conflictNext || b.version !== e.expectedVersion) {
        conflictNext = false;
        b.version++; // someone else's edit
        throw new Error(`box ${b.id} changed since version ${e.expectedVersion} (now ${b.version})`);
      }
      const next = { ...b, version: b.version + 1 };
      if (e.op === 'accept') next.status = 'accepted';
      if (e.op === 'reject') next.status = 'rejected';
      if (e.op === 'reset') next.status = 'pending';
      if (e.op === 'relabel') next.label = e.label;
      if (e.op === 'move') next.box = e.rect;
      if (e.op === 'delete') next.deleted = true;
      if (e.op === 'restore') Object.assign(next, { label: e.state.label, box: e.state.rect, status: e.state.status, deleted: e.state.deleted });
      boxes.set(b.id, next);
      return { box: next, seq: 2 };
    },
    'review.image': () => ({ width: 96, height: 96, dataUrl: PNG }),
    'review.metrics': () => ({
      mAP50: 0.5,
      perClass: [
        { name: 'zero', ap: 0.5, recall: [0.5], precision: [1] },
        { name: 'one', ap: null, recall: [], precision: [] },
      ],
      confusion: [
        [1, 0, 1],
        [0, 0, 0],
        [0, 2, 0],
      ],
    }),
    'review.export': (req) => ({ path: (req as { out: string }).out, images: 3, boxes: 4 }),
  });
  return { fake, boxes, conflict: () => (conflictNext = true) };
}

const key = (k: string, mods: Partial<KeyboardEventInit> = {}) => window.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true, ...mods }));
const editCalls = (calls: { method: string; req: unknown }[]) => calls.filter((c) => c.method === 'review.edit').map((c) => c.req as Record<string, unknown>);

afterEach(() => localStorage.clear());

async function opened() {
  const b = backend();
  setApi(b.fake.client);
  const w = mount(ReviewView, opts());
  await flushPromises();
  await w.get('[data-testid=review-data]').setValue('/data/digits');
  await w.get('[data-testid=review-detections]').setValue('/runs/det.json');
  await w.get('form.open-form').trigger('submit');
  await flushPromises();
  return { ...b, w, rv: useReviewStore() };
}

describe('ReviewView', () => {
  it('opens a set: grid of images with box counts, TP/FP/FN against ground truth, counts follow the confidence slider', async () => {
    const { w, fake } = await opened();
    expect(fake.calls.find((c) => c.method === 'review.open')?.req).toMatchObject({ data: '/data/digits', detections: '/runs/det.json', split: 'test' });
    // default threshold 0.05: every box shows
    expect(w.findAll('[data-testid=grid-cell]').map((c) => c.attributes('data-image'))).toEqual(['img-a', 'img-b', 'img-c']);
    expect(w.get('[data-testid=kept-count]').text()).toBe('4');
    // d1 TP; d2, d3, d4 FP (wrong class or no ground truth there); img-b's zero is missed
    expect(w.get('[data-testid=tpfpfn]').text()).toBe('1 / 3 / 1');
    expect(w.get('[data-testid=reviewed-count]').text()).toBe('0 / 4 reviewed');
    await w.get('[data-testid=score-slider]').setValue('0.5');
    expect(w.get('[data-testid=kept-count]').text()).toBe('2');
    expect(w.findAll('[data-testid=grid-cell]').map((c) => c.attributes('data-image'))).toEqual(['img-a', 'img-b']);
    expect(w.findAll('[data-testid=cell-count]').map((c) => c.text())).toEqual(['1', '1']);
    // the first image is open in the detail pane with its boxes and the picture
    const detail = w.get('[data-testid=review-detail]');
    expect(detail.findAll('[data-testid=box-row]').map((r) => r.attributes('data-box'))).toEqual(['d1']);
    expect(detail.find('img').attributes('src')).toBe(PNG);
    // the metrics were loaded with the threshold; PR chart and confusion with the diagonal hidden
    expect(w.find('[data-testid=pr-chart] svg').exists()).toBe(true);
    expect(w.get('[data-testid=map50]').text()).toBe('0.5');
    expect((w.get('[data-testid=hide-diagonal]').element as HTMLInputElement).checked).toBe(true);
    w.unmount();
  });

  it('accept, reject, move and resize by keyboard, each edit naming the version it saw; undo and redo restore', async () => {
    const { w, fake, boxes } = await opened();
    await w.get('[data-testid=box-row][data-box=d1]').trigger('click');
    key('a');
    await flushPromises();
    expect(editCalls(fake.calls).at(-1)).toEqual({ op: 'accept', set: 's1', box: 'd1', expectedVersion: 1 });
    expect(w.get('[data-testid=box-row][data-box=d1]').attributes('data-status')).toBe('accepted');
    expect(w.get('[data-testid=reviewed-count]').text()).toBe('1 / 4 reviewed');
    key('ArrowRight');
    await flushPromises();
    expect(editCalls(fake.calls).at(-1)).toEqual({ op: 'move', set: 's1', box: 'd1', expectedVersion: 2, rect: R(11, 10, 41, 40) });
    key('ArrowDown', { shiftKey: true });
    await flushPromises();
    expect(boxes.get('d1')!.box).toEqual(R(11, 10, 41, 41));
    expect(w.get('[data-testid=box-rect]').text()).toBe('11,10 – 41,41');
    // N selects the next box of the image (d2, by score), R rejects it
    key('n');
    await w.vm.$nextTick();
    key('r');
    await flushPromises();
    expect(boxes.get('d2')!.status).toBe('rejected');
    // undo: d2 back to pending, then d1's resize undone
    key('z', { ctrlKey: true });
    await flushPromises();
    expect(editCalls(fake.calls).at(-1)).toMatchObject({ op: 'restore', box: 'd2', state: { status: 'pending', deleted: false } });
    expect(boxes.get('d2')!.status).toBe('pending');
    key('z', { ctrlKey: true });
    await flushPromises();
    expect(boxes.get('d1')!.box).toEqual(R(11, 10, 41, 40));
    key('z', { ctrlKey: true, shiftKey: true });
    await flushPromises();
    expect(boxes.get('d1')!.box).toEqual(R(11, 10, 41, 41));
    // relabel with a digit key
    await w.get('[data-testid=box-row][data-box=d1]').trigger('click');
    key('1');
    await flushPromises();
    expect(boxes.get('d1')!.label).toBe(1);
    w.unmount();
  });

  it('a refused edit (version conflict) is shown and the boxes are reloaded', async () => {
    const { w, fake, conflict } = await opened();
    await w.get('[data-testid=box-row][data-box=d1]').trigger('click');
    conflict();
    const before = fake.calls.filter((c) => c.method === 'review.items').length;
    await w.get('[data-testid=act-accept]').trigger('click');
    await flushPromises();
    expect(w.get('[data-testid=edit-error]').text()).toMatch(/^Edit refused: box d1 changed since version 1 \(now 2\)/);
    expect(fake.calls.filter((c) => c.method === 'review.items').length).toBe(before + 1);
    // the reload brought the stored version: the next edit names it and succeeds
    await w.get('[data-testid=act-accept]').trigger('click');
    await flushPromises();
    expect(editCalls(fake.calls).at(-1)).toMatchObject({ op: 'accept', expectedVersion: 2 });
    expect(w.find('[data-testid=edit-error]').exists()).toBe(false);
    w.unmount();
  });

  it('a box drawn in the detail pane is stored as drawn; undo deletes it again; export goes to the chosen file', async () => {
    const { w, fake, boxes } = await opened();
    const img = w.findAllComponents(ImageBoxes).find((c) => c.props('editable'))!;
    img.vm.$emit('draw', R(60, 10, 90, 30));
    await flushPromises();
    const drawn = editCalls(fake.calls).at(-1)!;
    expect(drawn).toMatchObject({ op: 'draw', set: 's1', image: 'img-a', label: 0, rect: R(60, 10, 90, 30) });
    expect(boxes.get(drawn.box as string)?.origin).toBe('drawn');
    expect(w.findAll('[data-testid=box-row]').map((r) => r.attributes('data-box'))).toContain(drawn.box);
    key('z', { ctrlKey: true });
    await flushPromises();
    expect(editCalls(fake.calls).at(-1)).toMatchObject({ op: 'restore', box: drawn.box, state: { deleted: true } });
    expect(w.findAll('[data-testid=box-row]').map((r) => r.attributes('data-box'))).not.toContain(drawn.box);
    await w.get('[data-testid=export-out]').setValue('/tmp/out.json');
    await w.get('[data-testid=review-export] form').trigger('submit');
    await flushPromises();
    expect(fake.calls.find((c) => c.method === 'review.export')?.req).toEqual({ set: 's1', format: 'coco', out: '/tmp/out.json', include: 'kept' });
    expect(w.get('[data-testid=export-result]').text()).toContain('/tmp/out.json');
    w.unmount();
  });

  it('after a reload the window reopens the set it had open', async () => {
    await opened().then(({ w }) => w.unmount());
    expect(localStorage.getItem('layerlens.review.set')).toBe('s1');
    const b = backend();
    setApi(b.fake.client);
    useReviewStore().$reset();
    const w = mount(ReviewView, opts());
    await flushPromises();
    expect(b.fake.calls.map((c) => c.method)).toContain('review.items');
    expect(w.findAll('[data-testid=grid-cell]')).toHaveLength(3);
    w.unmount();
  });
});

describe('ImageBoxes', () => {
  it('draws boxes (missed ones dashed), handles on the selected box when editable, and the heat overlay', () => {
    const w = mount(ImageBoxes, {
      props: {
        src: PNG,
        width: 100,
        height: 50,
        size: 200,
        editable: true,
        selected: 'a',
        boxes: [
          { id: 'a', rect: R(0, 0, 10, 10), color: '#3fb950', label: 'zero 0.9' },
          { id: 'gt', rect: R(20, 20, 40, 40), color: '#e3b341', dashed: true },
        ],
        heat: { gridW: 2, gridH: 1, values: [0, 1] },
        heatOpacity: 0.3,
      },
    });
    expect(w.get('[data-testid=image-boxes]').attributes('style')).toContain('width: 200px; height: 100px');
    expect(w.findAll('[data-testid=overlay-box]')).toHaveLength(2);
    expect(w.findAll('[data-testid=overlay-box]')[1].get('rect').attributes('stroke-dasharray')).toBe('4 3');
    expect(w.findAll('.handle')).toHaveLength(4);
    // the map is painted into a grid-sized canvas stretched over the image
    const heat = w.get('[data-testid=heat-overlay]');
    expect([heat.attributes('width'), heat.attributes('height')]).toEqual(['2', '1']);
    expect(heat.attributes('style')).toContain('opacity: 0.3');
    w.unmount();
  });
  it('a press on a box selects it and a drag moves it (emitted once, on release)', async () => {
    const w = mount(ImageBoxes, { props: { src: null, width: 100, height: 100, size: 100, editable: true, boxes: [{ id: 'a', rect: R(10, 10, 20, 20), color: 'red' }] } });
    const rect = w.get('[data-box=a] rect');
    await rect.trigger('pointerdown', { button: 0, clientX: 15, clientY: 15, pointerId: 1 });
    await w.get('svg').trigger('pointermove', { clientX: 20, clientY: 18, pointerId: 1 });
    await w.get('svg').trigger('pointerup', { clientX: 20, clientY: 18, pointerId: 1 });
    expect(w.emitted('select')).toEqual([['a']]);
    expect(w.emitted('change')).toEqual([['a', R(15, 13, 25, 23)]]);
    // a drag on empty image draws
    await w.get('svg').trigger('pointerdown', { button: 0, clientX: 50, clientY: 50, pointerId: 1 });
    await w.get('svg').trigger('pointerup', { clientX: 70, clientY: 60, pointerId: 1 });
    expect(w.emitted('draw')).toEqual([[R(50, 50, 70, 60)]]);
    w.unmount();
  });
});
