// The Spectra / Low-rank view in real Chromium, through the browser shell, on the real engine: spectra of the
// default model, the rank picker (FLOPs, accuracy on demand), then a TRP run with live spectra and the
// layer × epoch rank map, cancelled from the studio.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openStudio, type StudioSession } from './helpers';

let studio: StudioSession;
let page: Page;
let server: StudioSession['server'];
let problems: string[];

beforeAll(async () => {
  studio = await openStudio('lowrank', { width: 1440, height: 1000 });
  ({ page, server, problems } = studio);
});
afterAll(async () => {
  await studio?.close();
});

// runs in the page (this file is type-checked without DOM types)
const inkOf = (p: Page, sel: string) =>
  p.locator(`${sel} canvas`).first().evaluate((c: any) => {
    const d: Uint8ClampedArray = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
    return n;
  });

describe('Spectra / Low-rank view in Chromium (real engine)', () => {
  it('shows every conv/dense spectrum of the default model; the rank picker updates FLOPs and measures accuracy', async () => {
    await page.goto(`${server.url}#/spectra`);
    await expect.poll(() => page.locator('[data-testid=spectra-row]').count(), { timeout: 60_000 }).toBe(5);
    await expect.poll(() => inkOf(page, '[data-testid=spectrum-chart]'), { timeout: 10_000 }).toBeGreaterThan(500);
    // the default selection is the layer with the most MACs (conv2), at r(0.9)
    await page.click('[data-testid=spectra-row][data-layer=conv2]');
    await page.fill('[data-testid=rank-input]', '4');
    await expect.poll(() => page.locator('[data-testid=layer-flops-at-rank]').textContent()).toContain('66.4 k');
    await page.click('[data-testid=measure-accuracy]');
    await expect.poll(() => page.locator('[data-testid=accuracy-result]').textContent(), { timeout: 60_000 }).toMatch(/top-1 \d+\.\d+ % on 800 val/);
    // the Layers table shows the picked rank and the FLOPs after
    await page.click('[data-testid=nav-layers]');
    await expect.poll(() => page.locator('[data-testid=layer-row][data-layer=conv2] [data-testid=layer-rank]').textContent()).toBe('4/16');
    expect(await page.locator('[data-testid=layer-row][data-layer=conv2] [data-testid=layer-flops-after]').textContent()).toBe('66.4 k');
    // one click fits every layer's rank to a 2× FLOPs budget
    await page.click('[data-testid=nav-spectra]');
    await page.fill('[data-testid=fit-speedup]', '2');
    await page.click('[data-testid=fit-ranks]');
    await expect.poll(async () => Number((await page.locator('[data-testid=model-flops-after]').textContent())?.match(/\(([\d.]+)×\)/)?.[1])).toBeGreaterThanOrEqual(2);
    expect(problems).toEqual([]);
  });

  it('starts a TRP run: live spectra and the rank map appear while it trains; cancel stops it', async () => {
    await page.click('[data-testid=nav-spectra]');
    await page.selectOption('[data-testid=trp-model]', 'builtin:lenet5-mnist');
    await page.selectOption('[data-testid=trp-data]', 'mnist');
    await page.fill('[data-testid=trp-epochs]', '4');
    await page.fill('[data-testid=trp-limit]', '2048');
    await page.fill('[data-testid=trp-period]', '1');
    // ranks from a FLOPs budget, ramped in over the first 30 % of training
    await page.selectOption('[data-testid=trp-rank-by]', 'speedup');
    await page.fill('[data-testid=trp-speedup]', '2');
    await page.fill('[data-testid=trp-ramp]', '0.3');
    await page.click('[data-testid=start-trp]');
    await expect.poll(() => page.locator('[data-testid=trp-status]').textContent(), { timeout: 30_000 }).toBe('running');
    // the baseline trains first; spectra stream in once TRP training starts
    await page.locator('[data-testid=live-spectrum] canvas').first().waitFor({ state: 'visible', timeout: 240_000 });
    await expect.poll(() => inkOf(page, '[data-testid=live-spectrum]'), { timeout: 10_000 }).toBeGreaterThan(500);
    await page.locator('[data-testid=rank-map] canvas').first().waitFor({ state: 'visible', timeout: 240_000 });
    expect(await page.locator('[data-testid=trp-status]').textContent()).toBe('running');
    await page.click('[data-testid=cancel-trp]');
    await expect.poll(() => page.locator('[data-testid=trp-status]').textContent(), { timeout: 60_000 }).toBe('cancelled');
    const jobs = await studio.service.handlers['jobs.list']({});
    const job = jobs.find((j) => j.kind === 'lowrank');
    expect(job?.status).toBe('cancelled');
    expect(job?.config).toMatchObject({ speedup: 2, ramp: 0.3, period: 1, epochs: 4 });
    expect(problems).toEqual([]);
  });
});
