/**
 * Clips as frame folders in the UCF101 layout: `<dir>/<Class>/<clip>/<frame>.png|jpg`, frames in name order.
 * Optional beside the class folders: `classInd.txt` ("1 ClassName" per line; else class folders in name order),
 * `splits/trainlist01.txt` + `splits/testlist01.txt` ("Class/clip[.ext] [label]" per line; else a seeded 80/20
 * split), `hierarchy.json` ({ coarseNames, coarseOf: { fineName: coarseName } }) and `action.json` (the
 * generator's per-clip truth, read by the views only).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { UserError } from '../../core/errors';
import { seededPermutation } from '../../core/random';
import { encodePng, readImagePixels } from '../detection/images';
import { videoDataset } from '../memory';
import type { Clip, LoadOptions, VideoDataset } from '../types';
import type { ActionClipTruth, GeneratedActions } from './generate';

const IMAGE_EXT = new Set(['.png', '.jpg', '.jpeg']);
/** seed of the split drawn when the folder has no split lists */
const FOLDER_SPLIT_SEED = 0;
const TRAIN_LIST = join('splits', 'trainlist01.txt');
const TEST_LIST = join('splits', 'testlist01.txt');

const isDir = (p: string): boolean => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};
const subdirs = (p: string): string[] =>
  readdirSync(p)
    .filter((n) => !n.startsWith('.') && isDir(join(p, n)))
    .sort();
const framesIn = (p: string): string[] =>
  readdirSync(p)
    .filter((n) => IMAGE_EXT.has(extname(n).toLowerCase()))
    .sort();

/** Whether a folder looks like UCF101 frame folders: a class folder whose first sub-folder holds images. */
export function isFrameFolder(dir: string): boolean {
  if (!isDir(dir)) return false;
  if (existsSync(join(dir, 'classInd.txt'))) return true;
  for (const cls of subdirs(dir).slice(0, 3)) {
    const clips = subdirs(join(dir, cls));
    if (clips.length && framesIn(join(dir, cls, clips[0])).length) return true;
  }
  return false;
}

function classNamesOf(dir: string): string[] {
  const ind = join(dir, 'classInd.txt');
  if (!existsSync(ind)) return subdirs(dir).filter((c) => subdirs(join(dir, c)).length > 0);
  const rows = readFileSync(ind, 'utf8')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l, i) => {
      const m = /^(\d+)\s+(\S+)$/.exec(l);
      if (!m) throw new UserError(`line ${i + 1} is not "<index> <ClassName>"`, ind);
      return { index: Number(m[1]), name: m[2] };
    });
  rows.sort((a, b) => a.index - b.index);
  return rows.map((r) => r.name);
}

/** "Class/clip.avi 3" → "Class/clip" */
function listIds(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .map((l) => l.trim().split(/\s+/)[0])
    .filter(Boolean)
    .map((p) => p.replace(/\\/g, '/').replace(/\.(avi|mp4|mov|mkv|webm)$/i, ''));
}

async function readClip(dir: string, id: string, label: number): Promise<Clip> {
  const folder = join(dir, ...id.split('/'));
  if (!isDir(folder)) throw new UserError('clip folder is missing', folder);
  const files = framesIn(folder);
  if (!files.length) throw new UserError('clip folder has no PNG/JPEG frames', folder);
  const frames = await Promise.all(files.map((f) => readImagePixels(join(folder, f))));
  const { width, height, channels } = frames[0];
  const pixels = new Uint8Array(frames.length * width * height * channels);
  frames.forEach((fr, i) => {
    if (fr.width !== width || fr.height !== height || fr.channels !== channels) {
      throw new UserError(`frame is ${fr.width}×${fr.height}×${fr.channels}, the clip's first frame ${width}×${height}×${channels}`, join(folder, files[i]));
    }
    pixels.set(fr.data, i * width * height * channels);
  });
  return { id, frames: frames.length, shape: [height, width, channels], pixels, label };
}

function readHierarchy(dir: string, classNames: string[]): VideoDataset['hierarchy'] {
  const file = join(dir, 'hierarchy.json');
  if (!existsSync(file)) return undefined;
  let raw: { coarseNames?: unknown; coarseOf?: unknown };
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new UserError('is not valid JSON', file);
  }
  const coarseNames = raw.coarseNames;
  const map = raw.coarseOf;
  if (!Array.isArray(coarseNames) || !coarseNames.every((n) => typeof n === 'string') || typeof map !== 'object' || map === null) {
    throw new UserError('needs { "coarseNames": [...], "coarseOf": { "<fine class>": "<coarse class>" } }', file);
  }
  const coarseOf = classNames.map((n) => {
    const c = (coarseNames as string[]).indexOf(String((map as Record<string, unknown>)[n]));
    if (c < 0) throw new UserError(`class "${n}" has no coarse class among ${coarseNames.join(', ')}`, file);
    return c;
  });
  return { coarseNames: coarseNames as string[], coarseOf };
}

/** Loads a frame-folder dataset: every clip's frames decoded into memory. */
export async function loadFrameFolder(ref: string, dir: string, opts: LoadOptions = {}): Promise<VideoDataset> {
  if (!isFrameFolder(dir)) throw new UserError('is not a frame folder (<Class>/<clip>/<frame>.png)', dir);
  const classNames = classNamesOf(dir);
  const labelOf = (id: string): number => {
    const c = classNames.indexOf(id.split('/')[0]);
    if (c < 0) throw new UserError(`clip "${id}" is in no known class folder`, dir);
    return c;
  };
  let trainIds: string[];
  let testIds: string[];
  let splitSeed = FOLDER_SPLIT_SEED;
  if (existsSync(join(dir, TRAIN_LIST)) && existsSync(join(dir, TEST_LIST))) {
    trainIds = listIds(join(dir, TRAIN_LIST));
    testIds = listIds(join(dir, TEST_LIST));
  } else {
    const all = classNames.flatMap((c) => subdirs(join(dir, c)).map((clip) => `${c}/${clip}`));
    const order = seededPermutation(all.length, splitSeed);
    const nTest = Math.round(all.length * 0.2);
    testIds = Array.from(order.subarray(0, nTest), (i) => all[i]).sort();
    trainIds = Array.from(order.subarray(nTest), (i) => all[i]).sort();
    splitSeed = FOLDER_SPLIT_SEED;
  }
  const read = (ids: string[]) => Promise.all(ids.map((id) => readClip(dir, id, labelOf(id))));
  const [train, test] = [await read(trainIds), await read(testIds)];
  const shapes = new Set([...train, ...test].map((c) => c.shape.join('×')));
  if (shapes.size > 1) throw new UserError(`clips have different frame sizes (${[...shapes].slice(0, 3).join(', ')}); resize them to one size`, dir);
  return videoDataset({
    ref,
    name: basename(dir),
    classNames,
    train,
    test,
    splitSeed,
    valFraction: opts.valFraction,
    valSeed: opts.valSeed,
    hierarchy: readHierarchy(dir, classNames),
  });
}

/** The generator's per-clip truth of a folder it wrote, by clip id (null for other folders). */
export function readClipTruth(dir: string): Map<string, ActionClipTruth> | null {
  const file = join(dir, 'action.json');
  if (!existsSync(file)) return null;
  const raw = JSON.parse(readFileSync(file, 'utf8')) as { clips: ActionClipTruth[] };
  return new Map(raw.clips.map((c) => [c.id, c]));
}

/** Writes generated clips in the layout loadFrameFolder reads, with the generator's settings and truth. */
export async function writeFrameFolder(dir: string, data: GeneratedActions, settings: Record<string, unknown>, onClip?: (done: number, total: number) => void): Promise<void> {
  await mkdir(join(dir, 'splits'), { recursive: true });
  const all = [...data.train, ...data.test];
  let done = 0;
  for (const clip of all) {
    const folder = join(dir, ...clip.id.split('/'));
    await mkdir(folder, { recursive: true });
    const px = data.size * data.size;
    for (let t = 0; t < data.frames; t++) {
      const png = encodePng({ width: data.size, height: data.size, channels: 1, data: clip.pixels.subarray(t * px, (t + 1) * px) });
      await writeFile(join(folder, `frame_${String(t).padStart(3, '0')}.png`), png);
    }
    onClip?.(++done, all.length);
  }
  await writeFile(join(dir, 'classInd.txt'), data.classNames.map((n, i) => `${i + 1} ${n}`).join('\n') + '\n');
  await writeFile(join(dir, TRAIN_LIST), data.train.map((c) => `${c.id} ${c.label + 1}`).join('\n') + '\n');
  await writeFile(join(dir, TEST_LIST), data.test.map((c) => c.id).join('\n') + '\n');
  const coarseOf = Object.fromEntries(data.classNames.map((n, i) => [n, data.coarseNames[data.coarseOf[i]]]));
  await writeFile(join(dir, 'hierarchy.json'), JSON.stringify({ coarseNames: data.coarseNames, coarseOf }, null, 1));
  const truth = all.map(({ pixels: _p, ...t }) => t);
  await writeFile(join(dir, 'action.json'), JSON.stringify({ generator: 'moving-digits-v1', settings, clips: truth }));
}
