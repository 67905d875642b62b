/**
 * Binary cache for the built-in datasets: one file per dataset, written once, read on every later load.
 *
 * Layout (little endian): 72-byte header, then train pixels, train labels, test pixels, test labels.
 *   0 "LLDS"  4 format version  8 h  12 w  16 c  20 classes  24 nTrain  28 nTest  32 splitSeed
 *   36 reserved (0)  40 sha256 of everything after the header (32 bytes)
 * Anything that does not match exactly (size, header, digest, a label >= classes) reads as "no cache".
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { RawSplit } from './types';

const CACHE_FORMAT_VERSION = 1;
const MAGIC = 0x53444c4c; // "LLDS" read as a little-endian u32
const HEADER_BYTES = 72;

export interface CacheMeta {
  shape: [number, number, number];
  classes: number;
  nTrain: number;
  nTest: number;
  splitSeed: number;
}

export interface CachedData {
  train: RawSplit;
  test: RawSplit;
}

export function defaultCacheDir(): string {
  return process.env.LAYERLENS_CACHE || join(homedir(), '.cache', 'layerlens');
}

/** File name carries everything the contents depend on, so a change of source or seed never reads stale data. */
export function cacheFile(cacheDir: string, key: string): string {
  return join(cacheDir, `${key}.v${CACHE_FORMAT_VERSION}.bin`);
}

function payloadBytes(m: CacheMeta): number {
  const stride = m.shape[0] * m.shape[1] * m.shape[2];
  return (m.nTrain + m.nTest) * (stride + 1);
}

function encodeCache(meta: CacheMeta, data: CachedData): Buffer {
  const buf = Buffer.alloc(HEADER_BYTES + payloadBytes(meta));
  const fields = [MAGIC, CACHE_FORMAT_VERSION, ...meta.shape, meta.classes, meta.nTrain, meta.nTest, meta.splitSeed, 0];
  fields.forEach((v, k) => buf.writeUInt32LE(v >>> 0, k * 4));
  let o = HEADER_BYTES;
  for (const part of [data.train.x, data.train.y, data.test.x, data.test.y]) {
    buf.set(part, o);
    o += part.length;
  }
  createHash('sha256').update(buf.subarray(HEADER_BYTES)).digest().copy(buf, 40);
  return buf;
}

/** Returns null for anything that is not a complete, intact cache of exactly `meta`. */
function decodeCache(buf: Buffer, meta: CacheMeta): CachedData | null {
  const total = HEADER_BYTES + payloadBytes(meta);
  if (buf.length !== total) return null;
  const want = [MAGIC, CACHE_FORMAT_VERSION, ...meta.shape, meta.classes, meta.nTrain, meta.nTest, meta.splitSeed];
  for (let k = 0; k < want.length; k++) if (buf.readUInt32LE(k * 4) !== want[k] >>> 0) return null;
  const digest = createHash('sha256').update(buf.subarray(HEADER_BYTES)).digest();
  if (!digest.equals(buf.subarray(40, 72))) return null;
  const stride = meta.shape[0] * meta.shape[1] * meta.shape[2];
  // pixels as views (only read once, to make floats); labels copied so they do not pin the whole file buffer
  let o = HEADER_BYTES;
  const take = (n: number, copy: boolean) => {
    const view = new Uint8Array(buf.buffer, buf.byteOffset + o, n);
    const part = copy ? view.slice() : view;
    o += n;
    return part;
  };
  const train: RawSplit = { x: take(meta.nTrain * stride, false), y: take(meta.nTrain, true), n: meta.nTrain };
  const test: RawSplit = { x: take(meta.nTest * stride, false), y: take(meta.nTest, true), n: meta.nTest };
  for (const y of [train.y, test.y]) for (let i = 0; i < y.length; i++) if (y[i] >= meta.classes) return null;
  return { train, test };
}

export async function readCache(file: string, meta: CacheMeta): Promise<CachedData | null> {
  let buf: Buffer;
  try {
    buf = await readFile(file);
  } catch {
    return null;
  }
  return decodeCache(buf, meta);
}

/**
 * Writes via a temp file and rename, so a reader (or a crash mid-write) never sees half a file.
 * Failing to write (read-only home, full disk) is not an error: the data is still returned, just not cached.
 */
export async function writeCache(file: string, meta: CacheMeta, data: CachedData): Promise<boolean> {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(tmp, encodeCache(meta, data));
    await rename(tmp, file);
    return true;
  } catch {
    await unlink(tmp).catch(() => undefined);
    return false;
  }
}

/** Reads the cache, or builds the data and caches it. */
export async function cached(file: string, meta: CacheMeta, build: () => Promise<CachedData>): Promise<CachedData> {
  const hit = await readCache(file, meta);
  if (hit) return hit;
  const data = await build();
  await writeCache(file, meta, data);
  return data;
}
