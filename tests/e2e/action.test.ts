// The Action view in real Chromium, through the browser shell, on the real engine: a tiny moving-digit benchmark
// and a 1-epoch asynchronous two-stream run made by the engine's own jobs; a clip is played (frames change, the
// flow canvas shows colour during the motion), then the fusion heatmap and the hierarchy are opened.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { ActionClipView } from '../../src/shared/api-action';
import { openStudio, runJob, type StudioSession } from './helpers';

let studio: StudioSession;
let page: Page;
let data: string;
let runDir: string;

beforeAll(async () => {
  studio = await openStudio('action', { width: 1440, height: 1100 });
  page = studio.page;
  data = join(studio.workspaceDir, 'clips');
  runDir = join(studio.workspaceDir, 'run');
  await runJob(studio, { kind: 'action-data', config: { out: data, clips: 16, testClips: 12, lag: 3, seed: 2 } }, 180_000);
  await runJob(studio, { kind: 'action-train', config: { data, out: runDir, epochs: 1, maxOffset: 3, valFraction: 0.25, seed: 1 } }, 400_000);
});
afterAll(async () => {
  await studio?.close();
});

// runs in the page (this file is type-checked without DOM types): mean colourfulness and a pixel digest
const canvasStats = (sel: string) =>
  page.locator(sel).evaluate((c: any) => {
    const d: Uint8ClampedArray = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let chroma = 0;
    let sum = 0;
    for (let i = 0; i < d.length; i += 4) {
      chroma += Math.max(d[i], d[i + 1], d[i + 2]) - Math.min(d[i], d[i + 1], d[i + 2]);
      sum += d[i] * ((i / 4) % 97);
    }
    return { chroma: chroma / (d.length / 4), digest: sum };
  });

describe('Action view', () => {
  it('plays a clip with its flow, then shows the fusion heatmap and the hierarchy', async () => {
    await page.goto(`${studio.server.url}#/action`);
    await page.fill('[data-testid=action-model]', runDir);
    await page.fill('[data-testid=action-data]', data);
    await page.click('[data-testid=action-load]');
    await page.locator('[data-testid=flow-canvas]').waitFor({ timeout: 120_000 });
    const clip: ActionClipView = await studio.service.handlers['action.clip']({ data, split: 'test', index: 0, valFraction: 0.25 } as never);
    expect(clip.truth).not.toBeNull();
    // the flow canvas follows the slider and is coloured (the wheel) during the motion
    await page.locator('[data-testid=clip-frame]').fill('0');
    await page.waitForTimeout(200);
    const first = await canvasStats('[data-testid=flow-canvas]');
    await page.locator('[data-testid=clip-frame]').fill(String(clip.truth!.motionAt + 1));
    await page.waitForTimeout(200);
    const moving = await canvasStats('[data-testid=flow-canvas]');
    expect(moving.digest).not.toBe(first.digest);
    expect(moving.chroma).toBeGreaterThan(20);
    // play: the frame number and the frame canvas advance
    const before = await canvasStats('[data-testid=clip-canvas]');
    const f0 = await page.textContent('[data-testid=clip-frame-no]');
    await page.click('[data-testid=clip-play]');
    await page.waitForTimeout(700);
    await page.click('[data-testid=clip-play]');
    expect(await page.textContent('[data-testid=clip-frame-no]')).not.toBe(f0);
    expect((await canvasStats('[data-testid=clip-canvas]')).digest).not.toBe(before.digest);
    await expect(page.locator('[data-testid=timeline-chart] canvas').count()).resolves.toBeGreaterThan(0);

    await page.click('[data-testid=tab-heatmap]');
    await page.locator('[data-testid=offset-heatmap] canvas').first().waitFor();
    await page.click('[data-testid=tab-hierarchy]');
    await expect(page.locator('[data-testid=hierarchy-node]').count()).resolves.toBe(3);
    expect(await page.locator('[data-testid=hierarchy]').textContent()).toMatch(/translate.*rotate.*zoom/s);
    expect(studio.problems).toEqual([]);
  }, 300_000);
});
