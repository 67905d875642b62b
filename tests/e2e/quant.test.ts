// The Bit-widths search from the studio in real Chromium, through the browser shell, on the real engine.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openStudio, type StudioSession } from './helpers';

let studio: StudioSession;
let page: Page;
let server: StudioSession['server'];
let problems: string[];

beforeAll(async () => {
  studio = await openStudio('quant');
  ({ page, server, problems } = studio);
});
afterAll(async () => {
  await studio?.close();
});

const episodes = async () => Number(/(\d+) episodes/.exec((await page.locator('[data-testid=quant-episode-count]').textContent()) ?? '')?.[1] ?? 0);

describe('quantization lab in Chromium', () => {
  it('starts a DNQ search, the episode charts update live, cancel stops it', async () => {
    await page.goto(server.url);
    await page.click('[data-testid=nav-bitwidths]');
    await expect.poll(() => page.locator('[data-testid=policy-row]').count(), { timeout: 60_000 }).toBe(5);
    await page.fill('[data-testid=quant-episodes]', '5000');
    await page.click('[data-testid=quant-start]');
    await expect.poll(() => page.locator('[data-testid=quant-status]').textContent(), { timeout: 60_000 }).toBe('running');
    await expect.poll(episodes, { timeout: 120_000 }).toBeGreaterThanOrEqual(4);
    const first = await episodes();
    // the same chart keeps growing while the job runs
    await expect.poll(episodes, { timeout: 60_000 }).toBeGreaterThan(first);
    await page.locator('[data-testid=quant-reward-chart] canvas').first().waitFor({ state: 'visible' });
    await page.click('[data-testid=quant-cancel]');
    await expect.poll(() => page.locator('[data-testid=quant-status]').textContent(), { timeout: 60_000 }).toBe('cancelled');
    const stopped = await episodes();
    await page.waitForTimeout(1500);
    expect(await episodes()).toBe(stopped);
    expect(problems).toEqual([]);
  });
});
