import type { RawSplit, Split } from './types';

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
