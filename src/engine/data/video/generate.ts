/**
 * The moving-digit action benchmark: short gray clips of an MNIST digit that moves once (a burst of a motion
 * pattern), plus an appearance cue (a Fashion-MNIST object shown in the digit's place for two frames) that comes
 * `lag` frames BEFORE the motion. A second flash at another time, not followed by motion at that lag, shows in
 * ambiguous clips the distractor, an object of the other kind, so the frames alone cannot tell which object counts
 * (in the others the cue object again). The class is
 * (motion pattern, object whose flash precedes the motion by the lag). Coarse class = motion family. Flashes are
 * posed on their own by default (see ActionGenOptions.flashPose), so only pairing a flash with the motion `lag`
 * frames later, across time, tells the class apart.
 * Warps go through OpenCV (warpAffine); every draw comes from one seeded RNG.
 */
import { UserError } from '../../core/errors';
import { makeRng } from '../../core/random';
import type { ClassificationDataset } from '../types';
import { opencv } from './opencv';

const MOTION_FAMILIES = ['translate', 'rotate', 'zoom'] as const;
/** pattern → its family and per-frame step (px, degrees or scale factor) */
const PATTERNS = [
  { name: 'translate-left', family: 0, dx: -2, angle: 0, zoom: 1 },
  { name: 'translate-right', family: 0, dx: 2, angle: 0, zoom: 1 },
  { name: 'rotate-cw', family: 1, dx: 0, angle: -15, zoom: 1 },
  { name: 'rotate-ccw', family: 1, dx: 0, angle: 15, zoom: 1 },
  { name: 'zoom-in', family: 2, dx: 0, angle: 0, zoom: 1.15 },
  { name: 'zoom-out', family: 2, dx: 0, angle: 0, zoom: 1 / 1.15 },
] as const;
/** the two appearance cues: Fashion-MNIST classes with clearly different silhouettes */
const OBJECTS = [
  { name: 'trouser', fashionClass: 1 },
  { name: 'bag', fashionClass: 8 },
] as const;
const DEFAULT_AMBIGUOUS_RATE = 0.5;
/** frames the motion lasts and frames a flash lasts */
export const BURST = 4;
const FLASH = 2;

export interface ActionGenOptions {
  /** clips of the train part (val is carved from it when loading) and of the test part */
  clips: number;
  testClips: number;
  frames: number;
  size: number;
  /** frames from the appearance cue to the start of the motion: lag ± lagJitter, never below 0 */
  lag: number;
  lagJitter: number;
  seed: number;
  /**
   * How a flashed object is posed. 'still' (default): at the canvas centre, upright, with a small jitter of its
   * own, whatever the digit's motion did, so a single frame of a flash tells the object and nothing about when it
   * came relative to the motion. 'follow' (the first version): the object takes the digit's current pose, so a
   * flash after the motion shows the moved pose and one RGB frame already hints which flash preceded the motion.
   */
  flashPose?: 'still' | 'follow';
  /**
   * Share of clips whose second flash is the OTHER object (ambiguous: only the pairing in time tells the class);
   * the rest flash the cue object twice, so the frames alone tell the object. 1 = the first version (every clip
   * ambiguous); default 0.5. With every clip ambiguous, "object X ∧ motion P" fires equally in class (P, X) and
   * (P, Y) clips until the fusion weights single out the lag, so nothing pulls either out of that saddle in a
   * CPU budget; unambiguous clips teach the object features, ambiguous ones then reward the right offset.
   */
  ambiguousRate?: number;
}

/** What the generator knows about one clip (the views and tests read it; training never does). */
export interface ActionClipTruth {
  id: string;
  label: number;
  pattern: string;
  object: string;
  lag: number;
  appearanceAt: number;
  /** the second flash: the other object when `ambiguous`, the cue object again otherwise */
  distractorAt: number;
  motionAt: number;
  ambiguous: boolean;
}

interface GeneratedClip extends ActionClipTruth {
  /** frames × size × size gray bytes */
  pixels: Uint8Array;
}

export interface GeneratedActions {
  classNames: string[];
  coarseNames: string[];
  coarseOf: number[];
  frames: number;
  size: number;
  train: GeneratedClip[];
  test: GeneratedClip[];
}

/** Fine class names: pattern × object, pattern-major so a family's classes sit together. */
function actionClassNames(): { classNames: string[]; coarseNames: string[]; coarseOf: number[] } {
  const classNames: string[] = [];
  const coarseOf: number[] = [];
  for (const p of PATTERNS) {
    for (const o of OBJECTS) {
      classNames.push(`${p.name}+${o.name}`);
      coarseOf.push(p.family);
    }
  }
  return { classNames, coarseNames: [...MOTION_FAMILIES], coarseOf };
}

/** Indices of one class of a classification split. */
function indicesOf(split: ClassificationDataset['train'], cls: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < split.n; i++) if (split.y[i] === cls) out.push(i);
  return out;
}

/** Bytes of example i of a 28×28×1 split. */
function sprite(split: ClassificationDataset['train'], i: number): Uint8Array {
  const px = 28 * 28;
  const out = new Uint8Array(px);
  for (let k = 0; k < px; k++) out[k] = Math.round(split.x[i * px + k] * 255);
  return out;
}

interface Timing {
  lag: number;
  appearanceAt: number;
  distractorAt: number;
  motionAt: number;
}

/** Cue times inside the clip; the distractor is neither near the cue nor `lag` frames before the motion. */
function drawTiming(rng: () => number, o: ActionGenOptions): Timing {
  const T = o.frames;
  for (let attempt = 0; attempt < 1000; attempt++) {
    const lo = Math.max(0, o.lag - o.lagJitter);
    const lag = lo + Math.floor(rng() * (o.lag + o.lagJitter - lo + 1));
    // the motion changes frames motionAt+1 .. motionAt+BURST, all inside the clip
    const lastA = T - 1 - BURST - lag;
    if (lastA < 0) continue;
    const appearanceAt = Math.floor(rng() * (lastA + 1));
    const motionAt = appearanceAt + lag;
    const slots: number[] = [];
    for (let t = 0; t + FLASH <= T; t++) {
      if (Math.abs(t - appearanceAt) < FLASH + 1) continue;
      if (Math.abs(t + lag - motionAt) <= 2) continue;
      slots.push(t);
    }
    if (!slots.length) continue;
    return { lag, appearanceAt, motionAt, distractorAt: slots[Math.floor(rng() * slots.length)] };
  }
  throw new UserError(`lag ${o.lag} ± ${o.lagJitter} does not fit a motion of ${BURST} frames and two cues into ${T} frames`);
}

export async function generateActions(opts: ActionGenOptions, digits: ClassificationDataset, fashion: ClassificationDataset): Promise<GeneratedActions> {
  const { cv } = await opencv();
  if (opts.lag + BURST >= opts.frames) throw new UserError(`lag ${opts.lag} leaves no room for a ${BURST}-frame motion in ${opts.frames} frames`);
  const rng = makeRng(opts.seed);
  const names = actionClassNames();
  const S = opts.size;
  const objectPools = OBJECTS.map((o) => ({ train: indicesOf(fashion.train, o.fashionClass), test: indicesOf(fashion.test, o.fashionClass) }));
  const src = new cv.Mat(28, 28, cv.CV_8UC1);
  const dst = new cv.Mat();
  const dsize = new cv.Size(S, S);

  const make = (part: 'train' | 'test', index: number): GeneratedClip => {
    const label = Math.floor(rng() * names.classNames.length);
    const pattern = PATTERNS[Math.floor(label / OBJECTS.length)];
    const objectIdx = label % OBJECTS.length;
    const split = part === 'train' ? digits.train : digits.test;
    const digit = sprite(split, Math.floor(rng() * split.n));
    const pool = (k: number) => objectPools[k][part];
    const cue = sprite(fashion[part], pool(objectIdx)[Math.floor(rng() * pool(objectIdx).length)]);
    const rate = opts.ambiguousRate ?? DEFAULT_AMBIGUOUS_RATE;
    // drawn only when it can go either way, so rate 1 replays the first version's clips draw for draw
    const ambiguous = rate >= 1 ? true : rate <= 0 ? false : rng() < rate;
    const other = ambiguous ? 1 - objectIdx : objectIdx;
    const distractor = sprite(fashion[part], pool(other)[Math.floor(rng() * pool(other).length)]);
    const timing = drawTiming(rng, opts);
    // start so that the motion ends inside the canvas
    let x = (rng() - 0.5) * 4 - (pattern.dx * BURST) / 2;
    const y = (rng() - 0.5) * 4;
    let angle = (rng() - 0.5) * 20 - (pattern.angle * BURST) / 2;
    let scale = 0.8 * (pattern.zoom > 1 ? 0.8 : pattern.zoom < 1 ? 1.25 : 1);
    const noise = 10 + rng() * 20;
    // a still flash's own pose, shared by both flashes of the clip (no pose difference between cue and distractor);
    // drawn only then, so 'follow' replays the first version's clips draw for draw
    const flashPose = (opts.flashPose ?? 'still') === 'still' ? { x: (rng() - 0.5) * 4, y: (rng() - 0.5) * 4, angle: (rng() - 0.5) * 20, scale: 0.8 } : null;
    const pixels = new Uint8Array(opts.frames * S * S);
    for (let t = 0; t < opts.frames; t++) {
      if (t > timing.motionAt && t <= timing.motionAt + BURST) {
        x += pattern.dx;
        angle += pattern.angle;
        scale *= pattern.zoom;
      }
      const inFlash = (at: number) => t >= at && t < at + FLASH;
      const img = inFlash(timing.appearanceAt) ? cue : inFlash(timing.distractorAt) ? distractor : digit;
      src.data.set(img);
      const pose = flashPose && img !== digit ? flashPose : { x, y, angle, scale };
      const m = cv.getRotationMatrix2D(new cv.Point(14, 14), pose.angle, (pose.scale * S) / 28);
      // move the sprite's centre to the canvas centre plus the offset
      m.data64F[2] += S / 2 + pose.x - 14;
      m.data64F[5] += S / 2 + pose.y - 14;
      cv.warpAffine(src, dst, m, dsize, cv.INTER_LINEAR, cv.BORDER_CONSTANT, new cv.Scalar(0));
      m.delete();
      const frame = pixels.subarray(t * S * S, (t + 1) * S * S);
      for (let k = 0; k < S * S; k++) frame[k] = Math.min(255, dst.data[k] + Math.floor(rng() * noise));
    }
    return {
      id: `${names.classNames[label]}/${part}_${String(index).padStart(4, '0')}`,
      label,
      pattern: pattern.name,
      object: OBJECTS[objectIdx].name,
      ...timing,
      ambiguous,
      pixels,
    };
  };
  try {
    const train = Array.from({ length: opts.clips }, (_, i) => make('train', i));
    const test = Array.from({ length: opts.testClips }, (_, i) => make('test', i));
    return { ...names, frames: opts.frames, size: S, train, test };
  } finally {
    src.delete();
    dst.delete();
  }
}
