// Models reach workers without a shared disk: each file travels as a blob named by its sha256, through Redis or a
// folder both sides can read, and is checked against its name when it arrives.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Redis } from 'ioredis';
import { UserError } from '../core/errors';
import { blobKey, BlobFolder } from './protocol';

/** Where blobs are kept: Redis keys or a folder (`--blob-dir`). */
export interface BlobStore {
  put(sha256: string, bytes: Buffer): Promise<void>;
  get(sha256: string): Promise<Buffer | null>;
}


/** Blobs as Redis keys; they expire after a week unless a later job puts them again. */
export function redisBlobs(client: Redis, ttlSeconds = 7 * 24 * 3600): BlobStore {
  return {
    put: async (sha, bytes) => void (await client.set(blobKey(sha), bytes, 'EX', ttlSeconds)),
    get: (sha) => client.getBuffer(blobKey(sha)),
  };
}

export function folderBlobs(dir: string): BlobStore {
  return {
    async put(sha, bytes) {
      mkdirSync(dir, { recursive: true });
      const file = join(dir, sha);
      if (existsSync(file)) return;
      writeFileSync(`${file}.tmp-${process.pid}`, bytes);
      renameSync(`${file}.tmp-${process.pid}`, file);
    },
    get: async (sha) => (existsSync(join(dir, sha)) ? readFileSync(join(dir, sha)) : null),
  };
}

const sha256Of = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** The files a model reference needs: an .onnx file alone, or model.json and the weight shards its manifest names. */
function modelFiles(ref: string): { folder: string; entry: string; names: string[] } {
  let file = ref;
  if (existsSync(ref) && statSync(ref).isDirectory()) file = join(ref, 'model.json');
  if (!existsSync(file)) throw new UserError('no such model file', file);
  const folder = dirname(file);
  const entry = basename(file);
  if (!entry.endsWith('.json')) return { folder, entry, names: [entry] };
  let manifest: { weightsManifest?: { paths?: string[] }[] };
  try {
    manifest = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError(`not a JSON model file (${(e as Error).message})`, file);
  }
  const shards = (manifest.weightsManifest ?? []).flatMap((g) => g.paths ?? []);
  for (const s of shards) if (basename(s) !== s) throw new UserError(`weight file "${s}" is not beside model.json; only flat model folders travel to workers`, file);
  return { folder, entry, names: [entry, ...new Set(shards)] };
}

/** Put a model's files into the store; the returned folder description travels in the job payload. */
export async function putModel(store: BlobStore, ref: string): Promise<BlobFolder> {
  const { folder, entry, names } = modelFiles(ref);
  const files = [];
  for (const name of names) {
    const bytes = readFileSync(join(folder, name));
    const sha256 = sha256Of(bytes);
    await store.put(sha256, bytes);
    files.push({ name, sha256, size: bytes.length });
  }
  return BlobFolder.parse({ entry, files });
}

/**
 * Fetch a blob folder into `root/blobs/<digest of its listing>/`, each file checked against its sha256, and return
 * the local path of its entry file. A folder already fetched and complete is reused.
 */
export async function fetchFolder(stores: BlobStore[], folder: BlobFolder, root: string): Promise<string> {
  const id = sha256Of(Buffer.from(JSON.stringify(folder)));
  const dir = join(root, 'blobs', id);
  mkdirSync(dir, { recursive: true });
  for (const f of folder.files) {
    const target = join(dir, f.name);
    if (existsSync(target) && sha256Of(readFileSync(target)) === f.sha256) continue;
    let bytes: Buffer | null = null;
    for (const s of stores) if ((bytes = await s.get(f.sha256))) break;
    if (!bytes) throw new UserError(`blob ${f.sha256} (${f.name}) is in no blob store this worker reads`);
    if (bytes.length !== f.size || sha256Of(bytes) !== f.sha256) throw new UserError(`blob ${f.sha256} (${f.name}) arrived with other content than its name says`);
    writeFileSync(`${target}.tmp`, bytes);
    renameSync(`${target}.tmp`, target);
  }
  const names = new Set(readdirSync(dir));
  if (!names.has(folder.entry)) throw new UserError(`blob folder lacks its entry file ${folder.entry}`);
  return join(dir, folder.entry);
}
