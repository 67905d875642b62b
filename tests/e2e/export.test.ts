// Export and Diff in real Chromium, through the browser shell, on the real engine.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { openStudio, type StudioSession } from './helpers';

let studio: StudioSession;
let page: Page;
let server: StudioSession['server'];
let problems: string[];
let dir: string;

beforeAll(async () => {
  studio = await openStudio('export');
  ({ page, server, problems } = studio);
  dir = studio.workspaceDir;
  writeFileSync(join(dir, 'policy.json'), JSON.stringify({ version: 1, layers: { conv2: { bits: 4 }, fc1: { bits: 4 }, fc2: { bits: 4 }, fc3: { bits: 8 } } }));
});
afterAll(async () => {
  await studio?.close();
});

describe('Export and Diff views (Chromium, real engine)', () => {
  it('exports LeNet-5 to ONNX and packed, shows verified bytes per layer, saves, and diffs the saved ONNX', async () => {
    await page.goto(server.url);
    await page.locator('[data-testid=layer-row]').first().waitFor({ timeout: 60_000 });
    await page.click('[data-testid=nav-export]');
    await page.fill('[data-testid=export-policy]', join(dir, 'policy.json'));
    await page.uncheck('[data-testid=export-format-tfjs]');
    await page.click('[data-testid=export-start]');
    await page.locator('[data-testid=export-summary]').waitFor({ timeout: 120_000 });
    const rows = page.locator('[data-testid=export-target-row]');
    expect(await rows.count()).toBe(2);
    const onnx = page.locator('[data-testid=export-target-row][data-format=onnx]');
    expect(await onnx.locator('[data-testid=export-max-err]').textContent()).toBe('0');
    const fc1 = await page.locator('[data-testid=export-layer-row][data-layer=fc1]').textContent();
    expect(fc1).toContain('25,020'); // 48,000 int4 codes in 24,000 bytes + scales, zero points, bias
    expect(fc1).toContain('int4');

    const to = join(dir, 'saved');
    await page.fill('[data-testid=export-save-to]', to);
    await page.click('[data-testid=export-save]');
    await page.locator('[data-testid=export-saved]').waitFor();
    expect(existsSync(join(to, 'onnx', 'model.onnx'))).toBe(true);
    expect(existsSync(join(to, 'packed', 'model.llpk'))).toBe(true);

    await page.click('[data-testid=nav-diff]');
    await page.fill('[data-testid=diff-b]', join(to, 'onnx', 'model.onnx'));
    await page.fill('[data-testid=diff-form] input[type=number]', '500');
    await page.click('[data-testid=diff-start]');
    await page.locator('[data-testid=diff-table]').waitFor({ timeout: 120_000 });
    expect(await page.locator('[data-testid=diff-row][data-layer=fc1]').textContent()).toContain('float → 4');
    expect(await page.locator('[data-testid=diff-top1-B]').textContent()).toMatch(/top-1 9\d\.\d\d/);
    expect(problems).toEqual([]);
  });
});
