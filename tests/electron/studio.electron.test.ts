// The Electron studio end to end (Playwright's _electron). Needs the Electron binary, which cannot be
// downloaded on every machine (offline CI): without it the spec is skipped and says why.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { _electron, type ElectronApplication, type Page } from 'playwright-core';
import { buildStudio, repoRoot } from '../e2e/helpers';

function electronBinary(): { path?: string; why?: string } {
  try {
    const p = createRequire(join(repoRoot, 'package.json'))('electron') as unknown;
    if (typeof p === 'string' && existsSync(p)) return { path: p };
    return { why: `the electron package points at a missing binary (${String(p)})` };
  } catch (e) {
    return { why: `the electron package is not installed (${(e as Error).message.split('\n')[0]}); its binary download needs internet (npm start fetches it where possible)` };
  }
}

const electron = electronBinary();
if (!electron.path) console.warn(`[skipped] Electron studio spec: ${electron.why}`);

describe.skipIf(!electron.path)('Electron studio (needs the Electron binary)', () => {
  let app: ElectronApplication;
  let page: Page;
  let workspaceDir: string;

  beforeAll(async () => {
    buildStudio();
    workspaceDir = mkdtempSync(join(tmpdir(), 'll-electron-'));
    app = await _electron.launch({
      executablePath: electron.path,
      // Chromium refuses to run as root with its OS sandbox (CI containers)
      args: [repoRoot, ...(process.getuid?.() === 0 ? ['--no-sandbox'] : [])],
      cwd: repoRoot,
      env: { ...(process.env as Record<string, string>), LAYERLENS_WORKSPACE: workspaceDir, LAYERLENS_NODE: process.execPath },
    });
    page = await app.firstWindow();
  });
  afterAll(async () => {
    await app?.close();
    if (workspaceDir) rmSync(workspaceDir, { recursive: true, force: true });
  });

  it('opens on the default model with ≥ 5 layer rows', async () => {
    await expect.poll(() => page.locator('[data-testid=layer-row]').count(), { timeout: 120_000 }).toBeGreaterThanOrEqual(5);
    const box = await page.locator('[data-testid=layer-histogram] canvas').first().boundingBox();
    expect(box!.width).toBeGreaterThan(100);
  });

  it('is hardened: only the contract client in the page, no Node, windows sandboxed', async () => {
    // runs in the page (this file is type-checked without DOM types)
    const exposed = await page.evaluate(() => {
      const w = globalThis as { layerlens?: object; require?: unknown; process?: unknown };
      return { keys: Object.keys(w.layerlens ?? {}).sort(), require: typeof w.require, process: typeof w.process };
    });
    expect(exposed).toEqual({ keys: ['call', 'onHost', 'onJob'], require: 'undefined', process: 'undefined' });
    const prefs = await app.evaluate(({ BrowserWindow }) => {
      const w = BrowserWindow.getAllWindows()[0];
      const p = (w.webContents as unknown as { getLastWebPreferences(): Record<string, unknown> }).getLastWebPreferences();
      return { contextIsolation: p.contextIsolation, sandbox: p.sandbox, nodeIntegration: p.nodeIntegration };
    });
    expect(prefs).toEqual({ contextIsolation: true, sandbox: true, nodeIntegration: false });
    // navigation away is blocked
    await page.evaluate(() => ((globalThis as unknown as { location: { href: string } }).location.href = 'https://example.com/'));
    await page.waitForTimeout(500);
    expect(page.url()).not.toContain('example.com');
  });

  it('runs a job over IPC and cancels it', async () => {
    await page.click('[data-testid=nav-train]');
    await page.fill('[data-testid=train-epochs]', '2');
    await page.fill('[data-testid=train-limit]', '512');
    await page.fill('[data-testid=train-batch]', '16');
    await page.click('[data-testid=start-job]');
    await expect
      .poll(async () => Number(await page.getAttribute('[data-testid=job-detail] [data-testid=job-progress]', 'aria-valuenow')), { timeout: 120_000, interval: 50 })
      .toBeGreaterThan(0);
    await page.click('[data-testid=cancel-job]');
    await expect.poll(() => page.locator('[data-testid=job-detail] [data-testid=job-status]').textContent(), { timeout: 60_000 }).toBe('cancelled');
  });
});

// a skipped test whose title is the reason, so every reporter shows why
if (!electron.path) it.skip(`Electron studio: ${electron.why}`, () => {});
