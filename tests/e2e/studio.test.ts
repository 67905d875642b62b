// The studio in real Chromium, through the browser shell, on the real engine (createService).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createService, type Service } from '../../src/engine/service';
import { startServer, type StartedServer } from '../../src/server';
import { buildStudio, launchChromium, rendererDir } from './helpers';

let workspaceDir: string;
let service: Service;
let server: StartedServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const problems: string[] = [];

beforeAll(async () => {
  buildStudio();
  workspaceDir = mkdtempSync(join(tmpdir(), 'll-e2e-'));
  service = await createService({ workspaceDir, host: 'browser' });
  server = await startServer({ workspaceDir, rendererDir, service });
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  page = await context.newPage();
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // a blocked script or style would show up here as a CSP violation
    if (m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text())) problems.push(m.text());
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await service?.close();
  if (workspaceDir) rmSync(workspaceDir, { recursive: true, force: true });
});

const progressOf = async (p: Page) => Number(await p.getAttribute('[data-testid=job-detail] [data-testid=job-progress]', 'aria-valuenow'));

describe('studio in Chromium (browser shell, real engine)', () => {
  it('opens on the default model: ≥ 5 layer rows and a drawn histogram', async () => {
    await page.goto(server.url);
    await expect.poll(() => page.locator('[data-testid=layer-row]').count(), { timeout: 60_000 }).toBeGreaterThanOrEqual(5);
    expect(await page.locator('[data-testid=model-ref]').textContent()).toBe('builtin:lenet5-mnist');
    expect(await page.locator('[data-testid=layer-row]').count()).toBeGreaterThanOrEqual(5);
    await expect.poll(() => page.locator('[data-testid=layer-totals]').textContent()).toMatch(/total · \d+ layers/);

    const canvas = page.locator('[data-testid=layer-histogram] canvas').first();
    await canvas.waitFor({ state: 'visible', timeout: 10_000 });
    const box = await canvas.boundingBox();
    expect(box!.width).toBeGreaterThan(100);
    expect(box!.height).toBeGreaterThan(100);
    // something is drawn on it, not just an empty surface
    // runs in the page (this file is type-checked without DOM types)
    const inked = await canvas.evaluate((c: any) => {
      const d: Uint8ClampedArray = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
      return n;
    });
    expect(inked).toBeGreaterThan(500);

    // selecting another row swaps the panel
    const second = page.locator('[data-testid=layer-row]').nth(1);
    const name = await second.getAttribute('data-layer');
    await second.click();
    await expect.poll(() => page.locator('[data-testid=layer-panel] h2').textContent()).toContain(name!);
    expect(problems).toEqual([]);
  });

  it('trains lenet5 on mnist: progress advances live, cancel marks it cancelled', async () => {
    await page.click('[data-testid=nav-train]');
    await page.selectOption('[data-testid=train-arch]', 'lenet5');
    await page.selectOption('[data-testid=train-data]', 'mnist');
    await page.fill('[data-testid=train-epochs]', '2');
    await page.fill('[data-testid=train-limit]', '512');
    // small batches: more steps, so the run lasts long enough to watch and cancel
    await page.fill('[data-testid=train-batch]', '16');
    await page.click('[data-testid=start-job]');

    const detail = page.locator('[data-testid=job-detail]');
    await detail.waitFor({ timeout: 30_000 });
    const jobId = (await detail.getAttribute('data-job-id'))!;
    // progress moves at least twice while we watch
    await expect.poll(() => progressOf(page), { timeout: 120_000, interval: 50 }).toBeGreaterThan(0);
    const first = await progressOf(page);
    await expect.poll(() => progressOf(page), { timeout: 120_000, interval: 50 }).toBeGreaterThan(first);
    expect(await page.locator('[data-testid=job-detail] [data-testid=job-status]').textContent()).toBe('running');
    // the loss/accuracy chart is drawn live
    await page.locator('[data-testid=job-detail] [data-testid=chart] canvas').first().waitFor({ state: 'visible', timeout: 60_000 });

    await page.click('[data-testid=cancel-job]');
    await expect
      .poll(() => page.locator('[data-testid=job-detail] [data-testid=job-status]').textContent(), { timeout: 60_000 })
      .toBe('cancelled');
    expect((await service.handlers['jobs.get']({ id: jobId })).status).toBe('cancelled');

    // the Jobs view lists it as finished and cancelled
    await page.click('[data-testid=nav-jobs]');
    const row = page.locator(`[data-testid=job-row][data-job-id="${jobId}"]`);
    await expect.poll(() => row.textContent()).toContain('cancelled');
    expect(problems).toEqual([]);
  });

  it('evaluates the default model on val: the split, its metrics, per-class accuracy and a drawn confusion heatmap', async () => {
    await page.click('[data-testid=nav-train]');
    await page.click('[data-testid=mode-eval]');
    await page.selectOption('[data-testid=eval-split-select]', 'val');
    await page.click('[data-testid=start-job]');
    const result = page.locator('[data-testid=job-detail] [data-testid=eval-result]');
    await result.waitFor({ timeout: 120_000 });
    // the default limit (1,000) is more than mnist's 800 val images
    expect(await result.locator('[data-testid=eval-split]').textContent()).toBe('val · 800 images');
    expect(await result.locator('[data-testid=eval-metric-top1]').textContent()).toMatch(/^\d+\.\d\d %$/);
    expect(await result.locator('[data-testid=eval-metric-top5]').textContent()).toMatch(/^\d+\.\d\d %$/);
    expect(await result.locator('[data-testid=eval-per-class] tbody tr').count()).toBe(10);
    const canvas = result.locator('[data-testid=eval-confusion] canvas').first();
    await canvas.waitFor({ state: 'visible', timeout: 10_000 });
    const inked = await canvas.evaluate((c: any) => {
      const d: Uint8ClampedArray = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
      return n;
    });
    expect(inked).toBeGreaterThan(1000);
    expect(problems).toEqual([]);
  });

  it('a corrupt model shows its one-line error, not a blank page', async () => {
    const dir = join(workspaceDir, 'corrupt');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'model.json');
    writeFileSync(file, '{"modelTopology": {"class_name": "Sequential", "config": {"layers": [');
    await page.click('[data-testid=nav-workspace]');
    await page.fill('[data-testid=model-path-input]', file);
    await page.click('[data-testid=open-model]');
    const error = page.locator('[data-testid=error]');
    await error.waitFor({ timeout: 30_000 });
    const text = (await error.textContent())!.trim();
    expect(text).toContain('model.json');
    expect(text).not.toContain('\n');
    expect(text.length).toBeLessThan(400);
    expect(await page.locator('[data-testid=layer-row]').count()).toBe(0);
    // the rest of the studio still works
    await page.click('[data-testid=nav-workspace]');
    expect(await page.locator('[data-testid=dataset-entry]').count()).toBeGreaterThanOrEqual(1);
  });

  it('refuses requests without the token', async () => {
    const origin = `http://127.0.0.1:${server.port}`;
    const api = await fetch(`${origin}/api/app.info`, { method: 'POST', headers: { origin, 'content-type': 'application/json' }, body: '{}' });
    expect(api.status).toBe(403);
    expect(await api.json()).toEqual({ error: 'forbidden: missing or wrong token' });
    // a fresh browser (no cookie from the tokened URL) gets nothing either
    const stranger = await browser.newContext();
    const p = await stranger.newPage();
    const res = await p.goto(`${origin}/`);
    expect(res!.status()).toBe(403);
    expect(await p.textContent('body')).toContain('forbidden');
    await stranger.close();
  });
});
