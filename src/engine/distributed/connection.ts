// How a host names its Redis: a URL (password inside it, rediss:// for TLS) plus optional TLS files. Imports no Redis
// client, so hosts can read it without loading one.
import { readFileSync } from 'node:fs';
import { UserError } from '../core/errors';

export interface RedisTarget {
  url: string;
  /** PEM files for rediss://: the CA to trust, and a client certificate + key when the server asks for one */
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
}

/** The options ioredis (through BullMQ) connects with; BullMQ's blocking calls need maxRetriesPerRequest null. */
export interface RedisConnection {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db?: number;
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer; servername: string };
  maxRetriesPerRequest: null;
}

/** The Redis target the environment asks for (LAYERLENS_REDIS and LAYERLENS_REDIS_TLS_*), or none: local threads. */
export function redisFromEnv(env: NodeJS.ProcessEnv = process.env): RedisTarget | undefined {
  const url = env.LAYERLENS_REDIS?.trim();
  if (!url) return undefined;
  return { url, tlsCa: env.LAYERLENS_REDIS_TLS_CA, tlsCert: env.LAYERLENS_REDIS_TLS_CERT, tlsKey: env.LAYERLENS_REDIS_TLS_KEY };
}

/** The URL with its password replaced, for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/^(rediss?:\/\/[^:@/]*:)[^@/]*@/, '$1***@');
}

function readPem(what: string, file: string | undefined): Buffer | undefined {
  if (!file) return undefined;
  try {
    return readFileSync(file);
  } catch (e) {
    throw new UserError(`cannot read the Redis TLS ${what} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, file);
  }
}

export function connectionOf(target: RedisTarget): RedisConnection {
  let u: URL;
  try {
    u = new URL(target.url);
  } catch {
    throw new UserError(`--redis: not a URL: "${redactUrl(target.url)}" (expected redis://[:password@]host:port[/db] or rediss://…)`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new UserError(`--redis: the URL must start with redis:// or rediss://, got "${u.protocol}//"`);
  }
  const tlsFiles = target.tlsCa || target.tlsCert || target.tlsKey;
  if (tlsFiles && u.protocol !== 'rediss:') throw new UserError('--redis-tls-* needs a rediss:// URL');
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : undefined;
  if (db !== undefined && !(Number.isInteger(db) && db >= 0 && db < 16)) throw new UserError(`--redis: database must be 0..15, got "${u.pathname.slice(1)}"`);
  const host = u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
  return {
    host,
    port: u.port ? Number(u.port) : 6379,
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db,
    tls:
      u.protocol === 'rediss:'
        ? { ca: readPem('CA', target.tlsCa), cert: readPem('certificate', target.tlsCert), key: readPem('key', target.tlsKey), servername: host }
        : undefined,
    maxRetriesPerRequest: null,
  };
}
