import { afterEach, describe, expect, it, vi } from 'vitest';
import { api, setApi } from '@renderer/api';
import { createBrowserClient, TOKEN_HEADER } from '@renderer/api/browser';
import type { ApiClient, JobEvent } from '@shared/api';

afterEach(() => {
  setApi(null);
  delete window.layerlens;
  vi.unstubAllGlobals();
});

describe('host seam', () => {
  it('uses the preload client when Electron provides one', () => {
    const preload: ApiClient = { call: vi.fn(), onJob: vi.fn() };
    window.layerlens = preload;
    expect(api()).toBe(preload);
  });

  it('falls back to the browser shell client', () => {
    expect(api()).not.toBe(undefined);
    expect(typeof api().call).toBe('function');
  });
});

describe('browser shell client', () => {
  it('POSTs /api/<method> with the token from the page URL', async () => {
    const fetchMock = vi.fn(async () => new Response(JSON.stringify({ ok: true }), { status: 200 }));
    vi.stubGlobal('fetch', fetchMock);
    const c = createBrowserClient({ href: 'http://127.0.0.1:4321/?token=abc#/layers' });
    await expect(c.call('jobs.cancel', { id: 'x' })).resolves.toEqual({ ok: true });
    const [url, init] = fetchMock.mock.calls[0] as unknown as [URL, RequestInit];
    expect(String(url)).toBe('http://127.0.0.1:4321/api/jobs.cancel');
    expect(init.method).toBe('POST');
    expect((init.headers as Record<string, string>)[TOKEN_HEADER]).toBe('abc');
    expect(init.body).toBe('{"id":"x"}');
  });

  it("throws the server's one-line error", async () => {
    vi.stubGlobal('fetch', async () => new Response(JSON.stringify({ error: 'invalid request for model.inspect: model: Required' }), { status: 400 }));
    const c = createBrowserClient({ href: 'http://127.0.0.1:1/?token=t' });
    await expect(c.call('model.inspect', {} as never)).rejects.toThrow('invalid request for model.inspect: model: Required');
  });

  it('says so when the shell is gone', async () => {
    vi.stubGlobal('fetch', async () => Promise.reject(new TypeError('Failed to fetch')));
    const c = createBrowserClient({ href: 'http://127.0.0.1:1/?token=t' });
    await expect(c.call('app.info', {})).rejects.toThrow(/cannot reach the LayerLens shell/);
  });

  it('receives job events over one WebSocket with the token in its URL', () => {
    const sockets: FakeSocket[] = [];
    class FakeSocket {
      onopen: (() => void) | null = null;
      onmessage: ((m: { data: string }) => void) | null = null;
      onclose: (() => void) | null = null;
      closed = false;
      constructor(readonly url: string) {
        sockets.push(this);
      }
      close() {
        this.closed = true;
      }
    }
    vi.stubGlobal('WebSocket', FakeSocket);
    const c = createBrowserClient({ href: 'http://127.0.0.1:4321/?token=s3cret' });
    const seen: JobEvent[] = [];
    const off = c.onJob((e) => seen.push(e));
    c.onJob(() => {});
    expect(sockets).toHaveLength(1);
    expect(sockets[0].url).toBe('ws://127.0.0.1:4321/ws?token=s3cret');
    const e: JobEvent = { id: 'a', status: 'running', fraction: 0.5, stage: 'x' };
    sockets[0].onmessage!({ data: JSON.stringify({ type: 'job', event: e }) });
    sockets[0].onmessage!({ data: 'not json' });
    expect(seen).toEqual([e]);
    off();
    expect(sockets[0].closed).toBe(false);
  });

  it('after a dropped WebSocket comes back, says so (not on the first connection) so the job list can be reloaded', async () => {
    vi.useFakeTimers();
    const sockets: { onopen: (() => void) | null; onclose: (() => void) | null }[] = [];
    class FakeSocket {
      onopen: (() => void) | null = null;
      onmessage: ((m: { data: string }) => void) | null = null;
      onclose: (() => void) | null = null;
      constructor(readonly url: string) {
        sockets.push(this);
      }
      close() {}
    }
    vi.stubGlobal('WebSocket', FakeSocket);
    try {
      const c = createBrowserClient({ href: 'http://127.0.0.1:4321/?token=t' });
      let reconnects = 0;
      c.onReconnect!(() => reconnects++);
      c.onJob(() => {});
      sockets[0].onopen!();
      expect(reconnects).toBe(0);
      sockets[0].onclose!();
      await vi.advanceTimersByTimeAsync(1_100);
      expect(sockets).toHaveLength(2);
      sockets[1].onopen!();
      expect(reconnects).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });
});
