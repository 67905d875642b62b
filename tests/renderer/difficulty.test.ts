import { describe, expect, it } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { setApi } from '@renderer/api';
import DifficultyView from '@renderer/views/DifficultyView.vue';
import type { RankedItem, WsodRankings } from '@shared/api-wsod';
import { classGallery, easSet, measIoUSets, rankMove, spearman } from '@renderer/views/review/difficulty';
import { fakeClient, freshPiniaPerTest } from './helpers';

const opts = freshPiniaPerTest();
const R = (x1: number, y1: number, x2: number, y2: number) => ({ x1, y1, x2, y2 });

function item(image: string, cls: number, rank: number, group: number, meas: number, extra: Partial<RankedItem> = {}): RankedItem {
  return { image, class: cls, meas, eas: [meas + 0.2, meas, meas - 0.2], group, rank, topBox: R(10, 10, 40, 40), topIoU: meas, difficulty: 1 - meas, ...extra };
}
function rankings(): WsodRankings {
  return {
    model: '/runs/wsod',
    split: 'train',
    classNames: ['zero', 'one'],
    taus: [0.25, 0.5, 0.75],
    groups: 2,
    items: [
      item('i3', 0, 2, 1, 0.3, { rankByStage: [0, 2] }),
      item('i1', 0, 0, 0, 0.9, { rankByStage: [2, 0] }),
      item('i2', 0, 1, 0, 0.6, { topIoU: null }),
      item('i1', 1, 0, 0, 0.5),
    ],
    spearmanIoU: 0.8,
    spearmanDifficulty: -0.7,
  };
}

describe('difficulty helpers', () => {
  it("a class's gallery is the engine's rank order with the start of each group", () => {
    const g = classGallery(rankings(), 0);
    expect(g.items.map((i) => i.image)).toEqual(['i1', 'i2', 'i3']);
    expect(g.groupStarts).toEqual([0, 2]);
  });
  it('rank movement between the first and last stage', () => {
    const [i3, i1, i2] = rankings().items;
    expect(rankMove(i1)).toBe(2);
    expect(rankMove(i3)).toBe(-2);
    expect(rankMove(i2)).toBeNull();
    expect(rankMove({ ...i2, rankByStage: [-1, 1] })).toBeNull();
  });
  it('EAS over τ and the mEAS–IoU scatter by group (no ground truth, no point)', () => {
    const r = rankings();
    expect(easSet(r.items[1], r.taus)[0].points).toEqual([{ x: 0.25, y: 1.1 }, { x: 0.5, y: 0.9 }, { x: 0.75, y: expect.closeTo(0.7) }]);
    const s = measIoUSets(classGallery(r, 0).items, 2);
    expect(s.map((x) => x.points.map((p) => p.label))).toEqual([['i1'], ['i3']]);
  });
  it("Spearman's ρ with ties", () => {
    expect(spearman([1, 2, 3, 4], [10, 20, 30, 40])).toBeCloseTo(1);
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(-1);
    expect(spearman([1, 2, 2, 3], [1, 2, 3, 4])).toBeCloseTo(0.9487, 3);
    expect(spearman([1, 2], [1, 2])).toBeNull();
    expect(spearman([1, 1, 1], [1, 2, 3])).toBeNull();
  });
});

describe('DifficultyView', () => {
  it('ranks a run: the gallery per class with group breaks, energy overlays, the selected image with EAS over τ', async () => {
    const fake = fakeClient({
      'wsod.rankings': () => rankings(),
      'wsod.energy': (req) => ({ image: req.image, class: req.class, width: 96, height: 96, gridW: 3, gridH: 3, values: [0, 0.1, 0.2, 0.3, 1, 0.3, 0.2, 0.1, 0], topBox: R(10, 10, 40, 40) }),
      'review.image': () => ({ width: 96, height: 96, dataUrl: 'data:image/png;base64,AA==' }),
    });
    setApi(fake.client);
    const w = mount(DifficultyView, opts());
    await w.get('[data-testid=difficulty-model]').setValue('/runs/wsod');
    await w.get('[data-testid=difficulty-data]').setValue('/data/digits');
    await w.get('form').trigger('submit');
    await flushPromises();
    expect(fake.calls[0]).toEqual({ method: 'wsod.rankings', req: { model: '/runs/wsod', data: '/data/digits', split: 'train' } });
    expect(w.get('[data-testid=spearman]').text()).toContain('0.800');
    expect(w.get('[data-testid=spearman]').text()).toContain('-0.700');
    const cards = w.findAll('[data-testid=gallery-item]');
    expect(cards.map((c) => c.attributes('data-image'))).toEqual(['i1', 'i2', 'i3']);
    expect(w.findAll('[data-testid=group-break]').map((g) => g.text())).toEqual(['group 1 / 2', 'group 2 / 2']);
    expect(cards[0].text()).toContain('↑2');
    expect(cards[2].text()).toContain('↓2');
    // energy maps fetched for the page and drawn over each image, at the chosen opacity
    expect(fake.calls.filter((c) => c.method === 'wsod.energy').map((c) => (c.req as { image: string }).image)).toEqual(['i1', 'i2', 'i3']);
    expect(cards[0].get('[data-testid=heat-overlay]').attributes('width')).toBe('3');
    await w.get('[data-testid=overlay-opacity]').setValue('0.8');
    expect(cards[0].get('[data-testid=heat-overlay]').attributes('style')).toContain('opacity: 0.8');
    await w.get('[data-testid=overlay-toggle]').setValue(false);
    expect(w.find('[data-testid=heat-overlay]').exists()).toBe(false);
    await cards[2].trigger('click');
    await flushPromises();
    expect(w.get('[data-testid=rank-by-stage]').text()).toBe('1 → 3');
    expect(w.find('[data-testid=eas-chart] svg').exists()).toBe(true);
    expect(w.find('[data-testid=meas-iou-chart] svg').exists()).toBe(true);
    // the other class
    await w.get('[data-testid=difficulty-class-1]').trigger('click');
    expect(w.findAll('[data-testid=gallery-item]').map((c) => c.attributes('data-image'))).toEqual(['i1']);
    w.unmount();
  });
  it('an engine error is shown in one line', async () => {
    setApi(fakeClient({ 'wsod.rankings': () => Promise.reject(new Error('/runs/x: no wsod run here (model.json missing)\n  at …')) }).client);
    const w = mount(DifficultyView, opts());
    await w.get('[data-testid=difficulty-model]').setValue('/runs/x');
    await w.get('[data-testid=difficulty-data]').setValue('/d');
    await w.get('form').trigger('submit');
    await flushPromises();
    expect(w.get('[data-testid=error]').text()).toBe('/runs/x: no wsod run here (model.json missing)');
    w.unmount();
  });
});
