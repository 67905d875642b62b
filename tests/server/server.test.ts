// The browser shell's HTTP/WebSocket host, against a scripted service (the real engine runs in tests/e2e).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startServer, type ServiceLike, type StartedServer } from '../../src/server';
import type { Handlers, JobEvent } from '../../src/shared/api';

class UserError extends Error {
  override name = 'UserError';
}

function scriptedService() {
  const listeners = new Set<(e: JobEvent) => void>();
  const handlers = {
    'app.info': async () => ({ version: '0', backend: 'cpu', workspaceDir: '/ws', host: 'browser', defaultModel: 'builtin:m', defaultDataset: 'mnist' }),
    'model.inspect': async ({ model }: { model: string }) => {
      if (model === 'bad') throw new UserError('bad/model.json: invalid JSON (Unexpected token)\n    at JSON.parse');
      if (model === 'bug') throw new TypeError("Cannot read properties of undefined (reading 'shape')\n    at x.ts:1");
      return { model: { name: model, format: 'builtin', inputShape: [], params: 0, flops: 0 }, layers: [] };
    },
    'jobs.cancel': async ({ id }: { id: string }) => ({ ok: id === 'known' }),
  } as unknown as Handlers;
  const service: ServiceLike & { emit(e: JobEvent): void; closed: boolean } = {
    handlers,
    onJob: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    emit: (e) => listeners.forEach((l) => l(e)),
    closed: false,
    async close() {
      this.closed = true;
    },
  };
  return service;
}

interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}
function http(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Res> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (data += c));
      res.on('end', () => ok({ status: res.statusCode!, headers: res.headers, body: data }));
    });
    req.on('error', fail);
    req.end(body);
  });
}

let server: StartedServer;
let service: ReturnType<typeof scriptedService>;
let origin: string;
let api: (method: string, body: unknown, extra?: Record<string, string>) => Promise<Res>;

beforeAll(async () => {
  const rendererDir = mkdtempSync(join(tmpdir(), 'll-renderer-'));
  mkdirSync(join(rendererDir, 'assets'));
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>t</title>');
  writeFileSync(join(rendererDir, 'assets', 'app.js'), 'console.log(1)');
  service = scriptedService();
  server = await startServer({ workspaceDir: '/unused', rendererDir, service });
  origin = `http://127.0.0.1:${server.port}`;
  api = (method, body, extra = {}) =>
    http(server.port, 'POST', `/api/${method}`, { 'content-type': 'application/json', origin, 'x-layerlens-token': server.token, ...extra }, JSON.stringify(body));
});
afterAll(() => server.close());

describe('browser shell: access control', () => {
  it('listens on 127.0.0.1 with a long random token in its URL', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{48}$/);
  });

  it('refuses the page without the token, or with a wrong one (403)', async () => {
    expect((await http(server.port, 'GET', '/')).status).toBe(403);
    expect((await http(server.port, 'GET', '/?token=' + 'f'.repeat(48))).status).toBe(403);
    expect((await http(server.port, 'GET', '/assets/app.js')).status).toBe(403);
  });

  it('serves the page with the token, a strict CSP and a cookie for its own assets', async () => {
    const r = await http(server.port, 'GET', `/?token=${server.token}`);
    expect(r.status).toBe(200);
    const csp = String(r.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe/);
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['referrer-policy']).toBe('no-referrer');
    const cookie = String(r.headers['set-cookie']);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    const asset = await http(server.port, 'GET', '/assets/app.js', { cookie: cookie.split(';')[0] });
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toMatch(/javascript/);
  });

  it('refuses a foreign Host header (DNS rebinding)', async () => {
    const r = await http(server.port, 'GET', `/?token=${server.token}`, { host: `evil.example:${server.port}` });
    expect(r.status).toBe(403);
  });

  it('API: 403 without the token, with a bad Origin, or with none', async () => {
    const noToken = await http(server.port, 'POST', '/api/app.info', { origin }, '{}');
    expect(noToken.status).toBe(403);
    expect(JSON.parse(noToken.body)).toEqual({ error: 'forbidden: missing or wrong token' });
    expect((await api('app.info', {}, { origin: 'http://evil.example' })).status).toBe(403);
    expect((await api('app.info', {}, { origin: `http://127.0.0.1:${server.port + 1}` })).status).toBe(403);
    const none = await http(server.port, 'POST', '/api/app.info', { 'x-layerlens-token': server.token }, '{}');
    expect(none.status).toBe(403);
    expect(JSON.parse(none.body).error).toMatch(/Origin/);
  });

  it('does not serve files outside the renderer folder', async () => {
    const r = await http(server.port, 'GET', `/%2e%2e/%2e%2e/etc/passwd?token=${server.token}`);
    expect(r.status).toBe(404);
  });
});

describe('browser shell: API', () => {
  it('answers a valid call with JSON', async () => {
    const r = await api('app.info', {});
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).defaultModel).toBe('builtin:m');
    expect((await api('jobs.cancel', { id: 'known' })).body).toBe('{"ok":true}');
  });

  it('rejects an invalid request with 400 and a one-line message naming the argument', async () => {
    const r = await api('model.inspect', { modle: 'x' });
    expect(r.status).toBe(400);
    const { error } = JSON.parse(r.body);
    expect(error).toMatch(/^invalid request for model.inspect: /);
    expect(error).not.toContain('\n');
    const bad = await api('jobs.start', { kind: 'train', config: { arch: 'lenet5', data: 'mnist', epochs: 0 } });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error).toContain('config.epochs');
  });

  it('404 for an unknown method, 400 for a body that is not JSON, 405 for GET', async () => {
    const unknown = await api('nope.nothing', {});
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body).error).toBe('unknown API method: nope.nothing');
    const notJson = await http(server.port, 'POST', '/api/app.info', { origin, 'x-layerlens-token': server.token }, '{oops');
    expect(notJson.status).toBe(400);
    expect(JSON.parse(notJson.body).error).toBe('request body is not valid JSON');
    expect((await http(server.port, 'GET', '/api/app.info', { 'x-layerlens-token': server.token })).status).toBe(405);
  });

  it("maps the engine's errors to one line: user errors 400, bugs 500", async () => {
    const user = await api('model.inspect', { model: 'bad' });
    expect(user.status).toBe(400);
    expect(JSON.parse(user.body)).toEqual({ error: 'bad/model.json: invalid JSON (Unexpected token)' });
    const bug = await api('model.inspect', { model: 'bug' });
    expect(bug.status).toBe(500);
    expect(JSON.parse(bug.body)).toEqual({ error: "internal error: Cannot read properties of undefined (reading 'shape')" });
  });
});

describe('browser shell: job events over WebSocket', () => {
  const connect = (query: string, headers: Record<string, string>) =>
    new Promise<WebSocket>((ok, fail) => {
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws${query}`, { headers });
      ws.once('open', () => ok(ws));
      ws.once('unexpected-response', (_req, res) => fail(new Error(`HTTP ${res.statusCode}`)));
      ws.once('error', fail);
    });

  it('pushes every job event to connected clients', async () => {
    const ws = await connect(`?token=${server.token}`, { origin });
    const got = new Promise<unknown>((ok) => ws.once('message', (m) => ok(JSON.parse(String(m)))));
    const e: JobEvent = { id: 'j', status: 'running', fraction: 0.5, stage: 'epoch 1/2', metrics: { t: 1, loss: 2 } };
    service.emit(e);
    expect(await got).toEqual({ type: 'job', event: e });
    ws.close();
  });

  it('refuses an upgrade without the token or from another origin', async () => {
    await expect(connect('', { origin })).rejects.toThrow('HTTP 403');
    await expect(connect(`?token=${server.token}`, { origin: 'http://evil.example' })).rejects.toThrow('HTTP 403');
    await expect(connect(`?token=${server.token}`, {})).rejects.toThrow('HTTP 403');
  });
});

describe('browser shell: lifecycle', () => {
  it('says the renderer is not built instead of a blank page, and closes cleanly', async () => {
    const s = scriptedService();
    const empty = mkdtempSync(join(tmpdir(), 'll-empty-'));
    const srv = await startServer({ workspaceDir: '/unused', rendererDir: empty, service: s });
    const r = await http(srv.port, 'GET', `/?token=${srv.token}`);
    expect(r.status).toBe(503);
    expect(r.body).toMatch(/renderer not built.*electron-vite build/);
    await srv.close();
    // a service the caller passed in stays the caller's to close
    expect(s.closed).toBe(false);
    await expect(http(srv.port, 'GET', '/')).rejects.toThrow();
  });
});
