import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createService, type Service } from '../../src/engine/service';
import type { JobStart } from '../../src/shared/api';
import { startServer, type StartedServer } from '../../src/server';

export const repoRoot = join(import.meta.dirname, '..', '..');
export const rendererDir = join(repoRoot, 'out', 'renderer');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Build main, preload and renderer exactly as shipped (~3 s): the tests drive the real bundle. */
export function buildStudio(): void {
  const r = spawnSync('npx', ['electron-vite', 'build'], { cwd: repoRoot, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`electron-vite build failed:\n${r.stdout}\n${r.stderr}`);
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

/** A studio session for an E2E file: real engine service, browser shell, Chromium page, page errors collected. */
export interface StudioSession {
  workspaceDir: string;
  service: Service;
  server: StartedServer;
  browser: Browser;
  page: Page;
  /** page errors and CSP refusals seen so far */
  problems: string[];
  close(): Promise<void>;
}

export async function openStudio(name: string, viewport = { width: 1440, height: 900 }): Promise<StudioSession> {
  buildStudio();
  const workspaceDir = mkdtempSync(join(tmpdir(), `ll-e2e-${name}-`));
  const service = await createService({ workspaceDir, host: 'browser' });
  const server = await startServer({ workspaceDir, rendererDir, service });
  const browser = await launchChromium();
  const page = await (await browser.newContext({ viewport })).newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text())) problems.push(m.text());
  });
  return {
    workspaceDir,
    service,
    server,
    browser,
    page,
    problems,
    async close() {
      await browser.close();
      await server.close();
      await service.close();
      rmSync(workspaceDir, { recursive: true, force: true });
    },
  };
}

/** Start a job through the contract and wait for it (the engine's worker, as the studio would run it). */
export async function runJob(studio: StudioSession, job: JobStart, timeoutMs: number): Promise<unknown> {
  const h = studio.service.handlers;
  const { id } = await h['jobs.start'](job as never);
  const until = Date.now() + timeoutMs;
  for (;;) {
    const j = await h['jobs.get']({ id });
    if (j.status === 'done') return j.result;
    if (j.status === 'failed' || j.status === 'cancelled') throw new Error(`${job.kind} ${j.status}: ${j.error ?? ''}`);
    if (Date.now() > until) throw new Error(`${job.kind} still ${j.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
