// The Results view in real Chromium, through the browser shell, on the real engine: the report's tables come
// from a workspace's results/ folder (a copy of the fixture records), and a figure opens its record.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { openStudio, repoRoot, type StudioSession } from './helpers';

let studio: StudioSession;
let page: Page;
let problems: string[];

beforeAll(async () => {
  studio = await openStudio('results');
  ({ page, problems } = studio);
  cpSync(join(repoRoot, 'tests/fixtures/report/records'), join(studio.workspaceDir, 'results'), { recursive: true });
});
afterAll(async () => {
  await studio?.close();
});

describe('Results view (Chromium, real engine)', () => {
  it('shows the fixture table with measured and paper figures, and follows a figure to its record', async () => {
    await page.goto(studio.server.url);
    await page.click('[data-testid=nav-results]');
    const table = page.locator('[data-testid=results-table][data-table=slq-lenet]');
    await table.waitFor({ timeout: 60_000 });
    const slq = table.locator('[data-testid=results-row][data-row="SLQ 4-bit (k-means, cluster-loss order)"]');
    const top1 = slq.locator('[data-testid=figure][data-kind=measured][data-key="test.top1"]');
    expect((await top1.textContent())?.trim()).toBe('98.00 ± 0.50 %');
    expect(await table.locator('[data-testid=figure][data-kind=paper]').count()).toBeGreaterThan(0);
    expect(await table.locator('[data-testid=results-chart] img').count()).toBe(2);
    expect(await table.locator('[data-testid=results-claims]').textContent()).toContain('SLQ beats INQ at 4 bits');

    await top1.click();
    const detail = page.locator('[data-testid=record-detail]');
    await detail.waitFor();
    expect(await detail.getAttribute('data-record')).toBe('ablation-lenet/slq-lenet/slq-4-bit-k-means-cluster-loss-order.s1');
    expect(await page.locator('[data-testid=record-link]').count()).toBe(3);
    expect(await page.locator('[data-testid=record-seed]').textContent()).toBe('1');
    expect(await page.locator('[data-testid=record-splits]').textContent()).toContain('7200 train / 800 val / 2000 test');
    expect(await page.locator('[data-testid=record-metrics]').textContent()).toContain('0.98');

    await page.click('[data-testid=record-link][data-record$=".s3"]');
    await page.locator('[data-testid=record-detail][data-record$=".s3"]').waitFor();
    expect(await page.locator('[data-testid=record-seed]').textContent()).toBe('3');
    expect(await page.locator('[data-testid=record-metrics]').textContent()).toContain('0.975');

    await table.locator('[data-testid=figure][data-kind=paper]').first().click();
    expect(await page.locator('[data-testid=paper-source]').textContent()).toContain('methods.md');
    expect(problems).toEqual([]);
  });
});
