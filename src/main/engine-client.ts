/**
 * Main-process side of the engine host: forks `node --import tsx src/main/engine-host.ts` and exposes the
 * contract's handlers and job events. No Electron imports, so it is tested under plain Node.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { JobEvent, Method, Request, Response } from '../shared/api';
import { firstLine, RelayedError, UserError } from '../engine/core/errors';
import type { HostToMain, MainToHost } from './engine-protocol';

export interface Engine {
  call<M extends Method>(method: M, req: Request<M>): Promise<Response<M>>;
  onJob(listener: (e: JobEvent) => void): () => void;
  close(): Promise<void>;
}

export async function startEngine(opts: {
  /** the repository / app root holding package.json and src/ */
  appRoot: string;
  workspaceDir: string;
  /** a Node.js ≥ 20.6 executable */
  node: string;
  onExit?: (reason: string) => void;
}): Promise<Engine> {
  const tsx = pathToFileURL(createRequire(join(opts.appRoot, 'package.json')).resolve('tsx')).href;
  const child: ChildProcess = fork(join(opts.appRoot, 'src', 'main', 'engine-host.ts'), [], {
    execPath: opts.node,
    execArgv: ['--import', tsx],
    cwd: opts.appRoot,
    env: { ...process.env, LAYERLENS_WORKSPACE_DIR: opts.workspaceDir, ELECTRON_RUN_AS_NODE: undefined },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'json',
  });

  const pending = new Map<number, { ok: (v: unknown) => void; fail: (e: Error) => void }>();
  const listeners = new Set<(e: JobEvent) => void>();
  let nextId = 1;
  let dead: string | null = null;
  let closing = false;

  const die = (reason: string) => {
    if (dead) return;
    dead = reason;
    for (const p of pending.values()) p.fail(new UserError(`engine unavailable: ${reason}`));
    pending.clear();
    if (!closing) opts.onExit?.(reason);
  };

  const ready = new Promise<void>((ok, fail) => {
    child.on('message', (m: HostToMain) => {
      switch (m.type) {
        case 'ready':
          return ok();
        case 'fatal':
          fail(new UserError(`engine failed to start: ${m.error}`));
          return die(m.error);
        case 'job':
          for (const l of listeners) l(m.event);
          return;
        case 'result': {
          const p = pending.get(m.id);
          pending.delete(m.id);
          if (!p) return;
          if (m.ok) p.ok(m.value);
          else p.fail(new RelayedError(m.error));
        }
      }
    });
    child.once('error', (e) => {
      const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? `Node.js not found at "${opts.node}"` : firstLine(e.message);
      fail(new UserError(`engine failed to start: ${reason}`));
      die(reason);
    });
    child.once('exit', (code, signal) => {
      const reason = `engine process exited (${signal ?? `code ${code}`})`;
      fail(new UserError(reason));
      die(reason);
    });
  });
  await ready;

  const post = (m: MainToHost) => child.send(m);
  return {
    call<M extends Method>(method: M, req: Request<M>): Promise<Response<M>> {
      if (dead) return Promise.reject(new UserError(`engine unavailable: ${dead}`));
      const id = nextId++;
      return new Promise((ok, fail) => {
        pending.set(id, { ok: ok as (v: unknown) => void, fail });
        post({ type: 'call', id, method, req });
      });
    },
    onJob(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      if (dead) return;
      closing = true;
      const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
      post({ type: 'close' });
      // running jobs get the runner's own cancel grace; then the process goes
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
