/**
 * The engine's process under the Electron studio. It runs in plain Node (not Electron's), so native modules
 * built for Node (better-sqlite3) load without an Electron rebuild, and an engine crash cannot take the window
 * down. Started by engine-client.ts with `node --import tsx`; talks over the fork IPC channel.
 */
import { validateRequest, type Method } from '../shared/api';
import { oneLine } from '../engine/core/errors';
import type { HostToMain, MainToHost } from './engine-protocol';

const send = (m: HostToMain) => process.send?.(m);

async function main() {
  const workspaceDir = process.env.LAYERLENS_WORKSPACE_DIR;
  if (!workspaceDir || !process.send) throw new Error('engine-host: run me through engine-client (LAYERLENS_WORKSPACE_DIR and an IPC channel)');
  const { createService } = await import('../engine/service');
  // LAYERLENS_REDIS sends the studio's jobs to queue workers
  const service = await createService({ workspaceDir, host: 'electron', redis: (await import('../engine/distributed/connection')).redisFromEnv() });
  service.onJob((event) => send({ type: 'job', event }));

  let closing: Promise<void> | undefined;
  const shutdown = () => (closing ??= service.close().finally(() => process.exit(0)));

  process.on('message', async (m: MainToHost) => {
    if (m.type === 'close') return void shutdown();
    try {
      const { method, req } = validateRequest<Method>(m.method, m.req);
      const value = await (service.handlers[method] as (r: unknown) => Promise<unknown>)(req);
      send({ type: 'result', id: m.id, ok: true, value });
    } catch (e) {
      send({ type: 'result', id: m.id, ok: false, error: oneLine(e) });
    }
  });
  // the window went away without saying goodbye
  process.on('disconnect', () => void shutdown());
  send({ type: 'ready' });
}

main().catch((e) => {
  send({ type: 'fatal', error: oneLine(e) });
  process.exitCode = 1;
  setTimeout(() => process.exit(1), 100);
});
