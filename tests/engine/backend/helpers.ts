// Shared helpers for the backend gradient checks: seeded data, running the same computation on cpu and on
// wasm (tensors re-created from plain arrays on each), and the relative error between the two.
import { expect } from 'vitest';
import * as tf from '../../../src/engine/backend/tf';

export const TOLERANCE = 1e-4;

/** Deterministic normal-ish floats (mulberry32 + Box-Muller). */
export function seededArray(size: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0;
  const uniform = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const u = Math.max(uniform(), 1e-12);
    out[i] = scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
  }
  return out;
}

export function seeded(shape: number[], seed: number, scale = 1): tf.Tensor {
  return tf.tensor(seededArray(tf.util.sizeFromShape(shape), seed, scale), shape);
}

/** Runs f on the given backend inside tidy and copies its outputs out as plain arrays. */
export async function runOn(backend: 'cpu' | 'wasm' | 'native', f: () => tf.Tensor[]): Promise<Float32Array[]> {
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} unavailable`);
  const outs = tf.tidy(f);
  try {
    return outs.map((t) => Float32Array.from(t.dataSync()));
  } finally {
    tf.dispose(outs);
  }
}

/** ||a - b|| / ||a|| (a is the reference). */
export function relativeL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += a[i] ** 2;
  }
  return Math.sqrt(num / Math.max(den, 1e-30));
}

/** Same computation on cpu (reference) and wasm; every output must agree to TOLERANCE. */
export async function expectSameOnCpuAndWasm(f: () => tf.Tensor[], label: string): Promise<void> {
  const cpu = await runOn('cpu', f);
  const wasm = await runOn('wasm', f);
  expect(wasm.length).toBe(cpu.length);
  cpu.forEach((ref, i) => {
    const err = relativeL2(ref, wasm[i]);
    expect(err, `${label}: output ${i} relative L2 error`).toBeLessThanOrEqual(TOLERANCE);
    expect(Array.from(ref).some((v) => v !== 0), `${label}: output ${i} is all zeros`).toBe(true);
  });
}
