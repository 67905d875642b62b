/**
 * The browser shell: serves the built renderer and the API contract over HTTP + WebSocket on 127.0.0.1.
 *
 * Security, in order of the checks:
 * - Host header must name this server (127.0.0.1:<port> or localhost:<port>): defeats DNS rebinding.
 * - A random per-run token on every request: `?token=` on the first page load (the server then sets an
 *   HttpOnly, SameSite=Strict cookie for the page's own assets), the `x-layerlens-token` header on API calls,
 *   and `?token=` on the WebSocket URL (browsers cannot set headers there). Anything else gets 403.
 * - POST /api/* and the WebSocket upgrade must carry `Origin: http://127.0.0.1:<port>` (or the localhost form).
 * - Static responses carry a strict CSP, nosniff, no-referrer (the token never leaks in a Referer).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { RequestError, validateRequest, type Handlers, type JobEvent, type Method } from '../shared/api';
import { oneLine, UserError } from '../engine/core/errors';
import { contentSecurityPolicy } from './csp';

/** What the shell needs from the engine: the same object `createService` returns. */
export interface ServiceLike {
  handlers: Handlers;
  onJob(listener: (e: JobEvent) => void): () => void;
  close(): Promise<void>;
}

export interface StartedServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

export const TOKEN_HEADER = 'x-layerlens-token';
const MAX_BODY = 1 << 20;

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

/** A refusal with its HTTP status; the message is for the user, like a UserError's. */
class HttpError extends UserError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = decodeURIComponent(part.slice(i + 1).trim());
  }
  return out;
}

export async function startServer(opts: {
  port?: number;
  workspaceDir: string;
  rendererDir: string;
  service?: ServiceLike;
}): Promise<StartedServer> {
  const token = randomBytes(24).toString('hex');
  const tokenBuf = Buffer.from(token);
  const rendererDir = resolve(opts.rendererDir);
  const ownService = !opts.service;
  const service: ServiceLike =
    opts.service ?? (await (await import('../engine/service')).createService({ workspaceDir: opts.workspaceDir, host: 'browser', redis: (await import('../engine/distributed/connection')).redisFromEnv() }));

  let port = 0;
  let cookieName = '';
  let origins: string[] = [];
  let hosts: string[] = [];
  let csp = '';

  const tokenOk = (candidate: string | null | undefined): boolean => {
    if (!candidate) return false;
    const b = Buffer.from(candidate);
    return b.length === tokenBuf.length && timingSafeEqual(b, tokenBuf);
  };
  const requestToken = (req: IncomingMessage, url: URL): boolean =>
    tokenOk(url.searchParams.get('token')) ||
    tokenOk(req.headers[TOKEN_HEADER] as string | undefined) ||
    tokenOk(parseCookies(req.headers.cookie)[cookieName]);
  const hostOk = (req: IncomingMessage) => hosts.includes(String(req.headers.host ?? '').toLowerCase());
  const originOk = (req: IncomingMessage) => origins.includes(String(req.headers.origin ?? '').toLowerCase());

  const securityHeaders = (res: ServerResponse) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  };
  const sendJson = (res: ServerResponse, status: number, body: unknown) => {
    const data = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(data);
  };

  async function readBody(req: IncomingMessage): Promise<unknown> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY) throw new HttpError(413, `request body over ${MAX_BODY} bytes`);
      chunks.push(chunk as Buffer);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    if (!text.trim()) return {};
    try {
      return JSON.parse(text);
    } catch {
      throw new HttpError(400, 'request body is not valid JSON');
    }
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, method: string) {
    if (req.method !== 'POST') throw new HttpError(405, 'API calls are POST requests');
    if (!originOk(req)) throw new HttpError(403, 'forbidden: bad or missing Origin');
    const body = await readBody(req);
    let parsed: { method: Method; req: unknown };
    try {
      parsed = validateRequest(method, body);
    } catch (e) {
      throw new HttpError(e instanceof RequestError && e.unknownMethod ? 404 : 400, oneLine(e));
    }
    try {
      const handler = service.handlers[parsed.method] as (r: unknown) => Promise<unknown>;
      sendJson(res, 200, await handler(parsed.req));
    } catch (e) {
      const line = oneLine(e);
      throw new HttpError(line.startsWith('internal error') ? 500 : 400, line);
    }
  }

  async function handleStatic(req: IncomingMessage, res: ServerResponse, url: URL) {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'method not allowed');
    let rel: string;
    try {
      rel = decodeURIComponent(url.pathname);
    } catch {
      throw new HttpError(400, 'bad path');
    }
    if (rel.endsWith('/')) rel += 'index.html';
    const file = resolve(join(rendererDir, rel));
    if (file !== rendererDir && !file.startsWith(rendererDir + sep)) throw new HttpError(404, 'not found');
    let data: Buffer;
    try {
      if (!(await stat(file)).isFile()) throw new Error('not a file');
      data = await readFile(file);
    } catch {
      if (rel === '/index.html') throw new HttpError(503, `renderer not built (no ${join(rendererDir, 'index.html')}): run npx electron-vite build`);
      throw new HttpError(404, 'not found');
    }
    const type = MIME[extname(file).toLowerCase()] ?? 'application/octet-stream';
    const headers: Record<string, string> = { 'Content-Type': type, 'Content-Length': String(data.length) };
    if (type.startsWith('text/html')) {
      headers['Content-Security-Policy'] = csp;
      headers['Cache-Control'] = 'no-store';
      // the page's own script, style and asset requests carry no query; the cookie authenticates them
      if (tokenOk(url.searchParams.get('token'))) headers['Set-Cookie'] = `${cookieName}=${token}; Path=/; HttpOnly; SameSite=Strict`;
    } else {
      headers['Cache-Control'] = 'no-cache';
    }
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : data);
  }

  const server = createServer((req, res) => {
    securityHeaders(res);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const isApi = url.pathname.startsWith('/api/');
    const fail = (e: unknown) => {
      const status = e instanceof HttpError ? e.status : 500;
      const message = oneLine(e);
      if (res.headersSent) return void res.destroy();
      if (isApi) sendJson(res, status, { error: message });
      else {
        res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
        res.end(message + '\n');
      }
    };
    try {
      if (!hostOk(req)) throw new HttpError(403, 'forbidden: unexpected Host header');
      if (!requestToken(req, url)) throw new HttpError(403, 'forbidden: missing or wrong token');
    } catch (e) {
      return fail(e);
    }
    (isApi ? handleApi(req, res, url.pathname.slice('/api/'.length)) : handleStatic(req, res, url)).catch(fail);
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const refuse = (status: number, text: string) => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (url.pathname !== '/ws') return refuse(404, 'Not Found');
    if (!hostOk(req) || !originOk(req) || !requestToken(req, url)) return refuse(403, 'Forbidden');
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });
  // the socket is push-only; clients that talk are ignored
  wss.on('connection', (ws: WebSocket) => ws.on('error', () => ws.terminate()));

  const unsubscribe = service.onJob((event) => {
    const msg = JSON.stringify({ type: 'job', event });
    for (const client of wss.clients) if (client.readyState === client.OPEN) client.send(msg);
  });

  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', fail);
      ok();
    });
  });
  port = (server.address() as { port: number }).port;
  cookieName = `layerlens_token_${port}`; // cookies ignore ports: one name per server
  origins = [`http://127.0.0.1:${port}`, `http://localhost:${port}`];
  hosts = [`127.0.0.1:${port}`, `localhost:${port}`];
  csp = contentSecurityPolicy({ connect: [`ws://127.0.0.1:${port}`, `ws://localhost:${port}`] });

  let closed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    close() {
      closed ??= (async () => {
        unsubscribe();
        for (const client of wss.clients) client.terminate();
        wss.close();
        await new Promise<void>((ok) => {
          server.close(() => ok());
          server.closeAllConnections();
        });
        if (ownService) await service.close();
      })();
      return closed;
    },
  };
}
