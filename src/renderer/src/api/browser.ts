import type { ApiClient, ApiError, JobEvent, Method, Request, Response } from '@shared/api';

/** Header the browser shell reads the per-run token from (see src/server/server.ts). */
export const TOKEN_HEADER = 'x-layerlens-token';

/**
 * The browser shell's client: POST /api/<method> for calls, one WebSocket /ws for job events.
 * The token comes from the page's own URL (`?token=`), as printed by `layerlens serve`.
 */
export function createBrowserClient(loc: Pick<Location, 'href'> = window.location): ApiClient {
  const url = new URL(loc.href);
  const token = url.searchParams.get('token') ?? '';
  const listeners = new Set<(e: JobEvent) => void>();
  const reconnectListeners = new Set<() => void>();
  let dropped = false;
  let socket: WebSocket | null = null;
  let retry = 500;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;

  const connect = () => {
    const wsUrl = new URL('/ws', url);
    wsUrl.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    wsUrl.search = `?token=${encodeURIComponent(token)}`;
    const ws = new WebSocket(wsUrl.href);
    socket = ws;
    ws.onopen = () => {
      retry = 500;
      if (dropped) for (const l of reconnectListeners) l();
      dropped = false;
    };
    ws.onmessage = (m) => {
      try {
        const msg = JSON.parse(String(m.data)) as { type: string; event: JobEvent };
        if (msg.type === 'job') for (const l of listeners) l(msg.event);
      } catch {
        /* not ours */
      }
    };
    ws.onclose = () => {
      socket = null;
      dropped = true;
      // the shell restarts or the laptop sleeps: reconnect while anyone listens
      if (listeners.size) retryTimer = setTimeout(connect, (retry = Math.min(retry * 2, 10_000)));
    };
  };

  return {
    async call<M extends Method>(method: M, req: Request<M>): Promise<Response<M>> {
      let res: globalThis.Response;
      try {
        res = await fetch(new URL(`/api/${method}`, url), {
          method: 'POST',
          headers: { 'content-type': 'application/json', [TOKEN_HEADER]: token },
          body: JSON.stringify(req ?? {}),
        });
      } catch {
        throw new Error(`cannot reach the LayerLens shell at ${url.host} (is \`layerlens serve\` still running?)`);
      }
      const body = (await res.json().catch(() => null)) as Response<M> | ApiError | null;
      if (!res.ok) throw new Error((body as ApiError | null)?.error ?? `${method} failed: HTTP ${res.status}`);
      return body as Response<M>;
    },
    onReconnect(listener) {
      reconnectListeners.add(listener);
      return () => reconnectListeners.delete(listener);
    },
    onJob(listener) {
      listeners.add(listener);
      if (!socket) connect();
      return () => {
        listeners.delete(listener);
        if (!listeners.size) {
          clearTimeout(retryTimer);
          socket?.close();
          socket = null;
        }
      };
    },
  };
}
