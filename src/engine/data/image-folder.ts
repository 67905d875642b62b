/**
 * A folder of images, one sub-folder per class:  root/<class>/<image>.png|.jpg|.jpeg
 * - classes: sub-folder names sorted by code unit (hidden ones ignored); ids follow that order
 * - images: files sorted by name; other extensions are ignored
 * - size: `opts.size` ([h, w]) or the first image's (first class, first file); every image is resized to it
 *   with antialiased bilinear resampling (see resize.ts)
 * - channels: 1 if every image is grayscale (R=G=B everywhere), else 3; alpha is composited over black
 * - split: per class, a seeded 20% (rounded, at least 1 when the class has 2+ images) goes to test;
 *   then train and test are each shuffled with the same seed so any prefix mixes classes; val is then carved
 *   from train (opts.valFraction, default 10 %, seeded by opts.valSeed), as for every dataset
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { UserError } from '../core/errors';
import { seededPermutation } from '../core/random';
import { resizeBilinear } from './resize';
import { carveVal, checkValFraction, DEFAULT_VAL_FRACTION, DEFAULT_VAL_SEED, gather, toFloatSplit } from './split';
import type { ClassificationDataset, LoadOptions } from './types';

const IMAGE_FOLDER_SPLIT_SEED = 1234;
const TEST_FRACTION = 0.2;
const MAX_CLASSES = 256; // labels are Uint8

interface Rgba {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Pixels an image may claim: a decoder allocates width × height × 4 bytes before it reads any pixel. */
const MAX_PIXELS = 100e6;

/** The bytes of one image file; a FIFO or device would block the read forever, a dangling link throws ENOENT. */
async function readImageFile(file: string): Promise<Buffer> {
  try {
    if (!(await stat(file)).isFile()) throw new UserError('not a regular file (expected a PNG or JPEG image)', file);
    return await readFile(file);
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`cannot read image (${(e as NodeJS.ErrnoException).code ?? flatMessage(e)})`, file);
  }
}
const flatMessage = (e: unknown) => String(e instanceof Error ? e.message : e).split('\n')[0];

function decode(file: string, buf: Buffer): Rgba {
  const ext = extname(file).toLowerCase();
  // PNG: width and height are the first IHDR fields (big-endian, at bytes 16 and 20)
  if (ext === '.png' && buf.byteLength >= 24 && buf.readUInt32BE(12) === 0x49484452 && buf.readUInt32BE(16) * buf.readUInt32BE(20) > MAX_PIXELS) {
    throw new UserError(`PNG image claims ${buf.readUInt32BE(16)}×${buf.readUInt32BE(20)} pixels, more than the ${MAX_PIXELS / 1e6} million this tool decodes`, file);
  }
  try {
    if (ext === '.png') {
      const png = PNG.sync.read(buf);
      return { width: png.width, height: png.height, data: png.data };
    }
    const img = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_PIXELS / 1e6 });
    return { width: img.width, height: img.height, data: img.data };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new UserError(`cannot decode ${ext === '.png' ? 'PNG' : 'JPEG'} image (${msg.split('\n')[0]})`, file);
  }
}

/** RGBA -> RGB over black; reports whether every pixel is gray. */
function toRgb(img: Rgba): { rgb: Uint8Array; gray: boolean } {
  const n = img.width * img.height;
  const src = img.data;
  const rgb = new Uint8Array(n * 3);
  let gray = true;
  for (let i = 0; i < n; i++) {
    const a = src[i * 4 + 3];
    let r = src[i * 4];
    let g = src[i * 4 + 1];
    let b = src[i * 4 + 2];
    if (a !== 255) {
      r = Math.round((r * a) / 255);
      g = Math.round((g * a) / 255);
      b = Math.round((b * a) / 255);
    }
    if (r !== g || g !== b) gray = false;
    rgb[i * 3] = r;
    rgb[i * 3 + 1] = g;
    rgb[i * 3 + 2] = b;
  }
  return { rgb, gray };
}

const IMAGE_EXT = new Set(['.png', '.jpg', '.jpeg']);
const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

function checkSize(size: [number, number]): void {
  if (!Array.isArray(size) || size.length !== 2 || !size.every((v) => Number.isInteger(v) && v > 0 && v <= 4096)) {
    throw new UserError(`image size must be two integers in 1..4096 (height, width), got ${JSON.stringify(size)}`);
  }
}

/** `root` is the folder path as the user gave it (used in messages); `ref` is recorded on the dataset. */
export async function loadImageFolder(ref: string, root: string, opts: LoadOptions = {}): Promise<ClassificationDataset> {
  if (opts.size) checkSize(opts.size);
  const valFraction = opts.valFraction ?? DEFAULT_VAL_FRACTION;
  const valSeed = opts.valSeed ?? DEFAULT_VAL_SEED;
  checkValFraction(valFraction);
  let st;
  try {
    st = await stat(root);
  } catch {
    throw new UserError('image folder not found', root);
  }
  if (!st.isDirectory()) throw new UserError('not a folder (expected a folder with one sub-folder per class)', root);

  const entries = await readdir(root, { withFileTypes: true });
  const classNames: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    if (e.isDirectory() || (e.isSymbolicLink() && (await isDir(join(root, e.name))))) classNames.push(e.name);
  }
  classNames.sort(byCodeUnit);
  if (classNames.length === 0) {
    throw new UserError('no class sub-folders (expected one sub-folder of PNG/JPEG images per class)', root);
  }
  if (classNames.length > MAX_CLASSES) throw new UserError(`too many classes (${classNames.length}, at most ${MAX_CLASSES})`, root);

  let h = opts.size?.[0] ?? 0;
  let w = opts.size?.[1] ?? 0;
  const images: Uint8Array[] = [];
  const labels: number[] = [];
  let allGray = true;
  for (let c = 0; c < classNames.length; c++) {
    const dir = join(root, classNames[c]);
    const files = (await readdir(dir, { withFileTypes: true }))
      .filter((e) => !e.name.startsWith('.') && !e.isDirectory() && IMAGE_EXT.has(extname(e.name).toLowerCase()))
      .map((e) => e.name)
      .sort(byCodeUnit);
    if (files.length === 0) throw new UserError('class folder has no PNG or JPEG images', dir);
    for (const name of files) {
      const file = join(dir, name);
      const img = decode(file, await readImageFile(file));
      if (img.width <= 0 || img.height <= 0) throw new UserError('image has no pixels', file);
      if (h === 0) {
        h = img.height;
        w = img.width;
      }
      const { rgb, gray } = toRgb(img);
      allGray &&= gray;
      images.push(resizeBilinear(rgb, img.width, img.height, 3, w, h));
      labels.push(c);
    }
  }

  const channels = allGray ? 1 : 3;
  const stride = h * w * channels;
  const x = new Uint8Array(images.length * stride);
  images.forEach((rgb, i) => {
    if (channels === 3) x.set(rgb, i * stride);
    else for (let p = 0; p < stride; p++) x[i * stride + p] = rgb[p * 3];
  });
  const y = Uint8Array.from(labels);

  const seed = IMAGE_FOLDER_SPLIT_SEED;
  const trainIdx: number[] = [];
  const testIdx: number[] = [];
  let first = 0;
  for (let c = 0; c < classNames.length; c++) {
    let count = 0;
    while (first + count < labels.length && labels[first + count] === c) count++;
    let nTest = Math.round(count * TEST_FRACTION);
    if (nTest === 0 && count >= 2) nTest = 1;
    const perm = seededPermutation(count, seed + c);
    for (let k = 0; k < count; k++) (k < nTest ? testIdx : trainIdx).push(first + perm[k]);
    first += count;
  }
  const shuffle = (idx: number[]) => Array.from(seededPermutation(idx.length, seed), (k) => idx[k]);
  const parts = carveVal(gather(x, y, stride, shuffle(trainIdx)), valFraction, valSeed);

  return {
    task: 'classification',
    ref,
    name: basename(root.replace(/[\\/]+$/, '')) || root,
    shape: [h, w, channels],
    classes: classNames.length,
    classNames,
    train: toFloatSplit(parts.train),
    val: toFloatSplit(parts.val),
    test: toFloatSplit(gather(x, y, stride, shuffle(testIdx))),
    splitSeed: seed,
    valFraction,
    valSeed,
  };
}
