// The Parts view in real Chromium, through the browser shell, on the real engine: a small seeded part-scenes set,
// patterns mined and their detectors learned by the engine's own job, then the gallery (patches of the members),
// a response-map overlay, a change of detector (by the gallery and by the select) and of the opacity.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openStudio, runJob, type StudioSession } from './helpers';

let studio: StudioSession;
let page: Page;
let runDir: string;

beforeAll(async () => {
  studio = await openStudio('parts', { width: 1440, height: 1500 });
  page = studio.page;
  const data = join(studio.workspaceDir, 'scenes');
  runDir = join(studio.workspaceDir, 'run');
  await runJob(studio, { kind: 'parts-data', config: { out: data, images: 40, testImages: 12, classes: 2, seed: 2 } }, 120_000);
  await runJob(studio, { kind: 'parts-train', config: { data, out: runDir, seed: 1, seeds: 16, clusters: 4, patterns: 2, rounds: 2, proposals: 80, pretrainEpochs: 1, pretrainSamples: 200, valFraction: 0.25 } }, 400_000);
}, 600_000);
afterAll(async () => {
  await studio?.close();
});

// runs in the page (this file is type-checked without DOM types)
const loadedPatches = (p: Page) => p.locator('[data-testid=pattern-patch]').evaluateAll((els: any[]) => els.filter((e) => e.complete && e.naturalWidth > 0).length);

describe('Parts in Chromium (real engine, mined and trained detectors)', () => {
  it('opens the run: eigen-gap, affinity, the pattern gallery with member patches', async () => {
    await page.goto(`${studio.server.url}#/parts`);
    await page.fill('[data-testid=parts-model]', runDir);
    await page.click('[data-testid=parts-load]');
    await page.locator('[data-testid=pattern-gallery]').waitFor({ timeout: 60_000 });
    expect(await page.locator('[data-testid=pattern-card][data-kept=true]').count()).toBe(2);
    await expect.poll(() => loadedPatches(page), { timeout: 10_000 }).toBeGreaterThan(4);
    await page.locator('[data-testid=eigengap-chart] canvas').first().waitFor();
    await page.locator('[data-testid=affinity-chart] canvas').first().waitFor();
    await page.locator('[data-testid=response-matrix] canvas').first().waitFor();
  });

  it('shows a response map overlay with its top boxes; the gallery and the select change the detector; the opacity slider changes the overlay', async () => {
    const map = page.locator('[data-testid=response-map]');
    await map.waitFor({ timeout: 30_000 });
    expect(await map.getAttribute('data-detector')).toBe('0');
    await map.locator('[data-testid=heat-overlay]').waitFor();
    expect(await map.locator('svg rect').count()).toBeGreaterThan(0);

    // the second kept pattern of class 0 is detector 1
    await page.locator('[data-testid=pattern-card][data-kept=true]').nth(1).click();
    await expect.poll(() => map.getAttribute('data-detector')).toBe('1');
    // a detector of the other class, from the select
    await page.click('[data-testid=parts-class-1]');
    await page.selectOption('[data-testid=detector-select]', '3');
    await expect.poll(() => map.getAttribute('data-detector')).toBe('3');
    await page.locator('[data-testid=confidence-chart] canvas').first().waitFor();

    const overlay = map.locator('[data-testid=heat-overlay]');
    const before = await overlay.evaluate((c: any) => c.style.opacity);
    await page.locator('[data-testid=overlay-opacity]').fill('0.9');
    await expect.poll(() => overlay.evaluate((c: any) => c.style.opacity)).toBe('0.9');
    expect(before).not.toBe('0.9');
    if (process.env.PARTS_SHOT) await page.screenshot({ path: process.env.PARTS_SHOT, fullPage: true });
    expect(studio.problems).toEqual([]);
  });
});
