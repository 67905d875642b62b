import { UserError } from '../core/errors';
import { seededPermutation } from '../core/random';
import type { RawSplit, Split } from './types';

/** val is carved from train: this share of it, chosen by this seed, unless the caller asks otherwise. */
export const DEFAULT_VAL_FRACTION = 0.1;
export const DEFAULT_VAL_SEED = 4321;


const TO_UNIT = new Float32Array(256);
for (let i = 0; i < 256; i++) TO_UNIT[i] = i / 255;

export function toFloatSplit(raw: RawSplit): Split {
  const x = new Float32Array(raw.x.length);
  const src = raw.x;
  for (let i = 0; i < src.length; i++) x[i] = TO_UNIT[src[i]];
  return { x, y: raw.y, n: raw.n };
}

/** Copies the examples at `order` (indices into x/y with `stride` values each) into a new raw split. */
export function gather(x: Uint8Array, y: Uint8Array, stride: number, order: ArrayLike<number>): RawSplit {
  const n = order.length;
  const ox = new Uint8Array(n * stride);
  const oy = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const j = order[i];
    ox.set(x.subarray(j * stride, (j + 1) * stride), i * stride);
    oy[i] = y[j];
  }
  return { x: ox, y: oy, n };
}

/** Assembles a minibatch (a copy) from the examples at `indices`. */
export function batch(
  split: Split,
  indices: ArrayLike<number>,
  shape: readonly [number, number, number],
): { x: Float32Array; y: Uint8Array } {
  const stride = shape[0] * shape[1] * shape[2];
  if (split.x.length !== split.n * stride) {
    throw new RangeError(`batch: split holds ${split.x.length} values, not ${split.n} x ${shape.join('x')}`);
  }
  const m = indices.length;
  const x = new Float32Array(m * stride);
  const y = new Uint8Array(m);
  for (let i = 0; i < m; i++) {
    const j = indices[i];
    if (!Number.isInteger(j) || j < 0 || j >= split.n) throw new RangeError(`batch: index ${j} out of range 0..${split.n - 1}`);
    x.set(split.x.subarray(j * stride, (j + 1) * stride), i * stride);
    y[i] = split.y[j];
  }
  return { x, y };
}

/** The first `n` examples (clamped to the split's size), as views that share memory with `split`. */
export function subset(split: Split, n: number): Split {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`subset: n must be a non-negative integer, got ${n}`);
  const m = Math.min(n, split.n);
  const stride = split.n > 0 ? split.x.length / split.n : 0;
  return { x: split.x.subarray(0, m * stride), y: split.y.subarray(0, m), n: m };
}

/** Number of val examples carved from `n` train examples: round(n·f), at least 1 when n ≥ 2 (train keeps ≥ 1). */
export function valCount(n: number, fraction: number): number {
  if (n < 2) return 0;
  return Math.min(n - 1, Math.max(1, Math.round(n * fraction)));
}

export function checkValFraction(f: number): void {
  if (!(typeof f === 'number' && f > 0 && f <= 0.5)) throw new UserError(`val fraction must be in (0, 0.5], got ${f}`);
}

/**
 * Which of `n` train examples go to val: one seeded draw of `valCount` of them. Both index lists are ascending,
 * so train and val keep the train set's order (already shuffled) and any prefix still mixes classes.
 */
export function carveIndices(n: number, fraction: number, seed: number): { trainIdx: number[]; valIdx: number[] } {
  checkValFraction(fraction);
  const nVal = valCount(n, fraction);
  const inVal = new Uint8Array(n);
  const perm = seededPermutation(n, seed);
  for (let k = 0; k < nVal; k++) inVal[perm[k]] = 1;
  const valIdx: number[] = [];
  const trainIdx: number[] = [];
  for (let i = 0; i < n; i++) (inVal[i] ? valIdx : trainIdx).push(i);
  return { trainIdx, valIdx };
}

/** Splits a train set into train and val (see carveIndices); test is never touched. */
export function carveVal(train: RawSplit, fraction: number, seed: number): { train: RawSplit; val: RawSplit } {
  const { trainIdx, valIdx } = carveIndices(train.n, fraction, seed);
  const stride = train.n > 0 ? train.x.length / train.n : 0;
  return { train: gather(train.x, train.y, stride, trainIdx), val: gather(train.x, train.y, stride, valIdx) };
}
