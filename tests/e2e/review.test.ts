// The Review and Difficulty views in real Chromium, through the browser shell, on the real engine: a tiny
// cluttered-digit benchmark and a 1-epoch WSDDN detector made by the engine's own jobs, its test detections opened
// in Review, filtered by score, boxes accepted / rejected / resized by keyboard and mouse, persisted across a page
// reload, exported as COCO and re-imported identically; then the Difficulty view's ranked gallery with overlays.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { ReviewBox } from '../../src/shared/api-review';
import { openStudio, runJob, type StudioSession } from './helpers';

let studio: StudioSession;
let page: Page;
let server: StudioSession['server'];
let problems: string[];
let data: string;
let runDir: string;
const SIZE = 48;
/** the detail pane draws the image 400 px wide */
const SCREEN_PER_PX = 400 / SIZE;

beforeAll(async () => {
  studio = await openStudio('review', { width: 1440, height: 1000 });
  ({ page, server, problems } = studio);
  data = join(studio.workspaceDir, 'digits');
  runDir = join(studio.workspaceDir, 'run');
  // the CLI end-to-end test's sizes: seconds of training, enough boxes to review
  await runJob(studio, { kind: 'wsod-data', config: { out: data, images: 40, testImages: 12, classes: 3, size: SIZE, maxObjects: 2, seed: 2 } }, 120_000);
  await runJob(studio, { kind: 'wsod-train', config: { data, out: runDir, epochs: 1, pretrainEpochs: 0, proposals: 16, seed: 1 } }, 400_000);
});
afterAll(async () => {
  await studio?.close();
});

const items = async () => {
  const sets = await studio.service.handlers['review.sets']({});
  const set = sets.find((s) => s.detections.startsWith(runDir));
  return studio.service.handlers['review.items']({ set: set!.id });
};
const rowOf = (id: string) => page.locator(`[data-testid=box-row][data-box="${id}"]`);
const statusOf = (id: string) => rowOf(id).getAttribute('data-status');
const rectText = (b: Pick<ReviewBox, 'box'>) => `${Math.round(b.box.x1)},${Math.round(b.box.y1)} – ${Math.round(b.box.x2)},${Math.round(b.box.y2)}`;
// runs in the page (this file is type-checked without DOM types)
const inkOf = (p: Page, sel: string) =>
  p.locator(sel).first().evaluate((c: any) => {
    const d: Uint8ClampedArray = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
    return n;
  });

describe('Review and Difficulty in Chromium (real engine, a trained detector)', () => {
  let picked: { image: string; boxes: ReviewBox[] };

  it("opens the detector's test detections, filters by score, edits boxes by keyboard and mouse", async () => {
    await page.goto(`${server.url}#/review`);
    await page.fill('[data-testid=review-data]', data);
    await page.fill('[data-testid=review-detections]', runDir);
    await page.click('[data-testid=review-open-btn]');
    await page.locator('[data-testid=grid-cell]').first().waitFor({ timeout: 60_000 });
    const all = (await items()).boxes;
    expect(all.length).toBeGreaterThan(0);
    expect(Number(await page.locator('[data-testid=kept-count]').textContent())).toBe(all.filter((b) => (b.score ?? 1) >= 0.05).length);

    // a threshold between the detector's scores: the grid shows only what passes it
    const scores = all.map((b) => b.score ?? 1).sort((a, b) => a - b);
    const cut = Math.round(scores[Math.floor(scores.length / 2)] * 100) / 100;
    await page.locator('[data-testid=score-slider]').fill(String(cut));
    const passing = all.filter((b) => (b.score ?? 1) >= cut);
    await expect.poll(async () => Number(await page.locator('[data-testid=kept-count]').textContent())).toBe(passing.length);
    const perImage = new Map<string, ReviewBox[]>();
    for (const b of passing) perImage.set(b.imageId, [...(perImage.get(b.imageId) ?? []), b]);
    const cells = await page.locator('[data-testid=grid-cell]').evaluateAll((els: any[]) => els.map((e) => e.getAttribute('data-image')));
    expect(new Set(cells)).toEqual(new Set(perImage.keys())); // 12 test images: one page

    // the image with the most boxes that pass, in the detail pane
    const [image, boxes] = [...perImage.entries()].sort((a, b) => b[1].length - a[1].length)[0];
    expect(boxes.length).toBeGreaterThanOrEqual(2);
    picked = { image, boxes: [...boxes].sort((a, b) => (b.score ?? 1) - (a.score ?? 1)) };
    await page.click(`[data-testid=grid-cell][data-image="${image}"]`);
    const shown = await page.locator('[data-testid=box-row]').evaluateAll((els: any[]) => els.map((e) => e.getAttribute('data-box')));
    expect(shown).toEqual(picked.boxes.map((b) => b.id));

    // keyboard: select the first box, A accepts it, Shift+→ twice widens it by 2 px
    const first = picked.boxes[0];
    await rowOf(first.id).click();
    await page.keyboard.press('a');
    await expect.poll(() => statusOf(first.id)).toBe('accepted');
    const w = Math.round(first.box.x2) < SIZE - 2 ? 2 : 0;
    for (let k = 0; k < w; k++) {
      await page.keyboard.press('Shift+ArrowRight');
      await expect.poll(async () => (await rowOf(first.id).locator('[data-testid=box-rect]').textContent())?.split(' – ')[1].split(',')[0]).toBe(String(Math.round(first.box.x2) + k + 1));
    }
    // mouse: drag the selected box's bottom-right handle 2 image px up and left
    const handle = page.locator('[data-testid=review-detail] [data-testid=handle-se]');
    const hb = (await handle.boundingBox())!;
    const [hx, hy] = [hb.x + hb.width / 2, hb.y + hb.height / 2];
    await page.mouse.move(hx, hy);
    await page.mouse.down();
    await page.mouse.move(hx - SCREEN_PER_PX, hy - SCREEN_PER_PX, { steps: 3 });
    await page.mouse.move(hx - 2 * SCREEN_PER_PX, hy - 2 * SCREEN_PER_PX, { steps: 3 });
    await page.mouse.up();
    await expect.poll(async () => (await items()).boxes.find((b) => b.id === first.id)!.version, { timeout: 10_000 }).toBe(first.version + 2 + w);
    const resized = (await items()).boxes.find((b) => b.id === first.id)!;
    expect(resized.box.x2).toBeCloseTo(first.box.x2 + w - 2, 0);
    expect(resized.box.y2).toBeCloseTo(first.box.y2 - 2, 0);
    expect(resized.box.x1).toBe(first.box.x1);
    // the engine has it; the row re-renders on the next tick (a slow machine sees the old text for a moment)
    await expect.poll(() => rowOf(first.id).locator('[data-testid=box-rect]').textContent()).toBe(rectText(resized));

    // the next box (N), rejected with the mouse on the Reject button; undo / redo through the keyboard
    {
      const second = picked.boxes[1];
      await page.keyboard.press('n');
      await expect.poll(async () => rowOf(second.id).getAttribute('class')).toContain('on');
      await page.click('[data-testid=act-reject]');
      await expect.poll(() => statusOf(second.id)).toBe('rejected');
      await page.keyboard.press('Control+z');
      await expect.poll(() => statusOf(second.id)).toBe('pending');
      await page.keyboard.press('Control+Shift+Z');
      await expect.poll(() => statusOf(second.id)).toBe('rejected');
    }
    await expect.poll(() => page.locator('[data-testid=reviewed-count]').textContent()).toBe(`2 / ${all.length} reviewed`);
    expect(problems).toEqual([]);
  });

  it('finds the edits after a page reload, exports COCO and re-imports it identically', async () => {
    const before = (await items()).boxes;
    await page.reload();
    await page.locator('[data-testid=grid-cell]').first().waitFor({ timeout: 60_000 });
    await page.locator('[data-testid=score-slider]').fill('0');
    await page.click(`[data-testid=grid-cell][data-image="${picked.image}"]`);
    const first = before.find((b) => b.id === picked.boxes[0].id)!;
    expect(first.status).toBe('accepted');
    await expect.poll(() => statusOf(first.id)).toBe('accepted');
    await expect.poll(() => rowOf(first.id).locator('[data-testid=box-rect]').textContent()).toBe(rectText(first));
    await expect.poll(() => statusOf(picked.boxes[1].id)).toBe('rejected');
    await expect.poll(() => page.locator('[data-testid=reviewed-count]').textContent()).toBe(`2 / ${before.length} reviewed`);

    // export what was kept (not rejected) as COCO, from the view
    const out = join(studio.workspaceDir, 'reviewed.json');
    await page.fill('[data-testid=export-out]', out);
    await page.click('[data-testid=export-btn]');
    await expect.poll(() => page.locator('[data-testid=export-result]').textContent(), { timeout: 30_000 }).toContain(out);
    const kept = before.filter((b) => b.status !== 'rejected');
    expect(await page.locator('[data-testid=export-result]').textContent()).toContain(`wrote ${kept.length} boxes`);

    // re-import through the engine: the same boxes on the same images
    const imported = await studio.service.handlers['annotations.import']({ data, format: 'coco', file: out, split: 'test' });
    expect(imported.boxes).toBe(kept.length);
    const back = (await studio.service.handlers['review.items']({ set: imported.set })).boxes;
    const key = (b: ReviewBox) => `${b.imageId}|${b.label}|${[b.box.x1, b.box.y1, b.box.x2, b.box.y2].map((v) => v.toFixed(4)).join(',')}`;
    expect(back.map(key).sort()).toEqual(kept.map(key).sort());
    expect(problems).toEqual([]);
  });

  it('an edit made elsewhere first (another window) is refused with a clear message and the boxes reloaded', async () => {
    const now = (await items()).boxes.find((b) => b.id === picked.boxes[0].id)!;
    // the page still holds version `now.version`; another window rejects the box first
    const other = await studio.service.handlers['review.edit']({ op: 'reject', set: (await items()).set.id, box: now.id, expectedVersion: now.version });
    expect(other.box.version).toBe(now.version + 1);
    await rowOf(now.id).click();
    await page.keyboard.press('u');
    await expect.poll(() => page.locator('[data-testid=edit-error]').textContent()).toMatch(/^Edit refused: .+ — reloaded the current boxes\.$/);
    // reloaded: the page shows the other window's edit, and the next edit names the new version and goes through
    await expect.poll(() => statusOf(now.id)).toBe('rejected');
    await rowOf(now.id).click();
    await page.keyboard.press('a');
    await expect.poll(() => statusOf(now.id)).toBe('accepted');
    expect((await items()).boxes.find((b) => b.id === now.id)!.version).toBe(now.version + 2);
    expect(await page.locator('[data-testid=edit-error]').count()).toBe(0);
    expect(problems).toEqual([]);
  });

  it('Difficulty: the ranked gallery per class with group breaks and energy overlays', async () => {
    await page.click('[data-testid=nav-difficulty]');
    await page.fill('[data-testid=difficulty-model]', runDir);
    await page.fill('[data-testid=difficulty-data]', data);
    await page.click('[data-testid=difficulty-load]');
    await page.locator('[data-testid=gallery-item]').first().waitFor({ timeout: 120_000 });
    const r = await studio.service.handlers['wsod.rankings']({ model: runDir, data, split: 'train' });
    const cls0 = r.items.filter((i) => i.class === 0).sort((a, b) => a.rank - b.rank);
    const shown = await page.locator('[data-testid=gallery-item]').evaluateAll((els: any[]) => els.map((e) => e.getAttribute('data-image')));
    expect(shown).toEqual(cls0.slice(0, 40).map((i) => i.image));
    expect(await page.locator('[data-testid=group-break]').count()).toBe(new Set(cls0.slice(0, 40).map((i) => i.group)).size);
    // the overlays are painted energy maps, and the image under them is there
    await expect.poll(() => inkOf(page, '[data-testid=gallery-item] [data-testid=heat-overlay]'), { timeout: 60_000 }).toBeGreaterThan(0);
    await expect.poll(() => page.locator('[data-testid=gallery-item] img').count(), { timeout: 60_000 }).toBeGreaterThan(0);
    await page.fill('[data-testid=overlay-opacity]', '0.8');
    expect(await page.locator('[data-testid=gallery-item] [data-testid=heat-overlay]').first().getAttribute('style')).toContain('opacity: 0.8');
    await page.click('[data-testid=gallery-item] >> nth=0');
    await page.locator('[data-testid=eas-chart] canvas').first().waitFor({ timeout: 10_000 });
    expect(await page.locator('[data-testid=spearman]').textContent()).toContain(r.spearmanIoU.toFixed(3));
    expect(problems).toEqual([]);
  });
});
