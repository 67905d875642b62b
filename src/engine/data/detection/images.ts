/** PNG/JPEG bytes ↔ HWC pixels with 1 (gray) or 3 (RGB) channels, for detection folders. */
import { readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { UserError } from '../../core/errors';

export interface Pixels {
  width: number;
  height: number;
  channels: 1 | 3;
  data: Uint8Array;
}

/** Pixels a decoder may be asked to allocate (width × height × 4 bytes before it reads any pixel). */
const MAX_PIXELS = 100e6;

/** A PNG (gray for 1 channel, RGB for 3) of HWC pixels. */
export function encodePng(px: Pixels): Buffer {
  const colorType = px.channels === 1 ? 0 : 2;
  const png = new PNG({ width: px.width, height: px.height, colorType, inputColorType: colorType, inputHasAlpha: false });
  png.data = Buffer.from(px.data.buffer, px.data.byteOffset, px.data.byteLength);
  return PNG.sync.write(png, { colorType, inputColorType: colorType, inputHasAlpha: false });
}

/** RGBA → gray or RGB over black: gray when the file says so (PNG) or every pixel is (JPEG). */
function fromRgba(width: number, height: number, rgba: Uint8Array, storedGray: boolean | null): Pixels {
  const n = width * height;
  const rgb = new Uint8Array(n * 3);
  let gray = true;
  for (let i = 0; i < n; i++) {
    const a = rgba[i * 4 + 3];
    for (let c = 0; c < 3; c++) rgb[i * 3 + c] = a === 255 ? rgba[i * 4 + c] : Math.round((rgba[i * 4 + c] * a) / 255);
    if (gray && (rgb[i * 3] !== rgb[i * 3 + 1] || rgb[i * 3 + 1] !== rgb[i * 3 + 2])) gray = false;
  }
  if (!(storedGray ?? gray)) return { width, height, channels: 3, data: rgb };
  const g = new Uint8Array(n);
  for (let i = 0; i < n; i++) g[i] = rgb[i * 3];
  return { width, height, channels: 1, data: g };
}

/** Reads and decodes one image file; every failure is a one-line UserError naming the file. */
export async function readImagePixels(file: string): Promise<Pixels> {
  let buf: Buffer;
  try {
    if (!(await stat(file)).isFile()) throw new UserError('not a regular file (expected a PNG or JPEG image)', file);
    buf = await readFile(file);
  } catch (e) {
    if (e instanceof UserError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(code === 'ENOENT' ? 'image file is missing' : `cannot read image (${code ?? (e as Error).message})`, file);
  }
  const isPng = extname(file).toLowerCase() === '.png';
  try {
    if (isPng) {
      if (buf.byteLength >= 24 && buf.readUInt32BE(16) * buf.readUInt32BE(20) > MAX_PIXELS) throw new Error(`claims ${buf.readUInt32BE(16)}×${buf.readUInt32BE(20)} pixels`);
      const png = PNG.sync.read(buf) as PNG & { colorType?: number };
      return fromRgba(png.width, png.height, png.data, png.colorType === 0 || png.colorType === 4);
    }
    const img = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_PIXELS / 1e6 });
    return fromRgba(img.width, img.height, img.data, null);
  } catch (e) {
    const msg = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    throw new UserError(`cannot decode ${isPng ? 'PNG' : 'JPEG'} image (${msg})`, file);
  }
}
