/**
 * Optical flow of a clip with OpenCV's Farnebäck (frame t → t+1, on gray frames), cached per clip on disk as int8
 * in steps of FLOW_STEP pixels: (frames − 1) × H × W × 2 (dx, dy). The motion stream stacks consecutive fields.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UserError } from '../core/errors';
import type { Clip } from '../data/types';
import { opencv } from '../data/video/opencv';

/** pixels per int8 step of the cached flow (±12.7 px range) */
export const FLOW_STEP = 0.1;
/** Farnebäck settings for small frames: pyramid scale, levels, window, iterations, polyN, polySigma */
const FARNEBACK = { pyrScale: 0.5, levels: 2, winsize: 7, iterations: 3, polyN: 5, polySigma: 1.1 } as const;
/** cache folder inside a frame folder; the name changes when the settings above do */
export const FLOW_CACHE_DIR = '.flow-farneback-v1';

/** The flow fields of one clip: (frames − 1) × H × W × 2 int8 in FLOW_STEP pixels. */
export async function computeFlow(clip: Clip): Promise<Int8Array> {
  if (!clip.pixels) throw new UserError('clip has no pixels loaded', clip.id);
  const { cv } = await opencv();
  const [h, w, c] = clip.shape;
  const px = h * w * c;
  const out = new Int8Array(Math.max(0, clip.frames - 1) * h * w * 2);
  const gray = (t: number) => {
    const m = new cv.Mat(h, w, c === 1 ? cv.CV_8UC1 : c === 3 ? cv.CV_8UC3 : cv.CV_8UC4);
    m.data.set(clip.pixels!.subarray(t * px, (t + 1) * px));
    if (c === 1) return m;
    const g = new cv.Mat();
    cv.cvtColor(m, g, c === 3 ? cv.COLOR_RGB2GRAY : cv.COLOR_RGBA2GRAY);
    m.delete();
    return g;
  };
  const flow = new cv.Mat();
  let prev = gray(0);
  try {
    for (let t = 0; t + 1 < clip.frames; t++) {
      const next = gray(t + 1);
      const f = FARNEBACK;
      cv.calcOpticalFlowFarneback(prev, next, flow, f.pyrScale, f.levels, f.winsize, f.iterations, f.polyN, f.polySigma, 0);
      const field = flow.data32F;
      const base = t * h * w * 2;
      for (let k = 0; k < h * w * 2; k++) out[base + k] = Math.max(-127, Math.min(127, Math.round(field[k] / FLOW_STEP)));
      prev.delete();
      prev = next;
    }
  } finally {
    prev.delete();
    flow.delete();
  }
  return out;
}

const memory = new Map<string, Int8Array>();

function cacheFile(cacheRoot: string, id: string): string {
  return join(cacheRoot, FLOW_CACHE_DIR, ...id.split('/')) + '.i8';
}

export interface FlowStats {
  clips: number;
  computed: number;
  cached: number;
  /** wall milliseconds per computed clip (null when every clip came from the cache) */
  msPerClip: number | null;
}

/**
 * Flow of every clip, from the cache when there (on disk under `cacheRoot`, else in memory), computed otherwise.
 * `onClip` is told after each clip (for progress and cancellation).
 */
export async function flowsOf(clips: readonly Clip[], cacheRoot: string | null, onClip?: (done: number, total: number) => void): Promise<{ flows: Int8Array[]; stats: FlowStats }> {
  const flows: Int8Array[] = [];
  let computed = 0;
  let computeMs = 0;
  for (const clip of clips) {
    const [h, w] = clip.shape;
    const size = Math.max(0, clip.frames - 1) * h * w * 2;
    const key = `${cacheRoot ?? ''}\0${clip.id}`;
    let f = memory.get(key);
    const file = cacheRoot ? cacheFile(cacheRoot, clip.id) : null;
    if (!f && file && existsSync(file)) {
      const buf = readFileSync(file);
      if (buf.byteLength === size) f = new Int8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    }
    if (!f) {
      const t0 = performance.now();
      f = await computeFlow(clip);
      computeMs += performance.now() - t0;
      computed++;
      if (file) {
        mkdirSync(dirname(file), { recursive: true });
        const tmp = `${file}.tmp-${process.pid}`;
        writeFileSync(tmp, f);
        renameSync(tmp, file);
      }
    }
    memory.set(key, f);
    flows.push(f);
    onClip?.(flows.length, clips.length);
  }
  return { flows, stats: { clips: clips.length, computed, cached: clips.length - computed, msPerClip: computed ? computeMs / computed : null } };
}

/** Drops the in-memory flow cache (tests). */
export function forgetFlows(): void {
  memory.clear();
}

/**
 * Flow field → RGB on the usual colour wheel (hue = direction, saturation = speed relative to `maxPx`), for views.
 * One frame: H × W × 2 int8 in, H × W × 3 bytes out.
 */
export function flowToRgb(field: Int8Array, maxPx = 3): Uint8Array {
  const n = field.length / 2;
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    const dx = field[2 * i] * FLOW_STEP;
    const dy = field[2 * i + 1] * FLOW_STEP;
    const hue = ((Math.atan2(-dy, -dx) / Math.PI + 1) * 180) % 360;
    const sat = Math.min(1, Math.hypot(dx, dy) / maxPx);
    const [r, g, b] = hsvToRgb(hue, sat, 1);
    out[3 * i] = r;
    out[3 * i + 1] = g;
    out[3 * i + 2] = b;
  }
  return out;
}

function hsvToRgb(h: number, s: number, v: number): [number, number, number] {
  const f = (k: number) => {
    const x = (k + h / 60) % 6;
    return Math.round(255 * (v - v * s * Math.max(0, Math.min(x, 4 - x, 1))));
  };
  return [f(5), f(3), f(1)];
}
