// Synthetic region features where a part decides the class: every image has body regions (a direction shared by
// all classes), one part region (its class's direction) and background regions; the part's region index is known.
import { makeRng } from '../../../src/engine/core/random';
import type { ImageRegions } from '../../../src/engine/parts/features';

export const DIM = 12;

export interface Synthetic {
  images: ImageRegions[];
  labels: number[][];
  /** region index of the part in each image */
  partAt: number[];
  kinds: string[][];
}

/** Directions: 0..classes-1 the parts, 8 the body, 9–11 background noise. */
export function synthetic(n: number, classes: number, seed: number, regions = 8): Synthetic {
  const rng = makeRng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  const out: Synthetic = { images: [], labels: [], partAt: [], kinds: [] };
  for (let i = 0; i < n; i++) {
    const c = i % classes;
    const part = Math.floor(rng() * regions);
    const x = new Float32Array(regions * DIM);
    const kinds: string[] = [];
    const boxes = [];
    for (let r = 0; r < regions; r++) {
      const kind = r === part ? 'part' : r % 2 === 0 ? 'body' : 'background';
      kinds.push(kind);
      for (let k = 0; k < DIM; k++) x[r * DIM + k] = 0.15 * gauss();
      if (kind === 'part') x[r * DIM + c] += 1;
      if (kind === 'body') x[r * DIM + 8] += 1.2;
      if (kind === 'background') x[r * DIM + 9 + (r % 3)] += 0.8;
      boxes.push({ x1: r * 8, y1: 0, x2: r * 8 + 8, y2: 8 });
    }
    const global = new Float32Array(4).map(() => gauss());
    out.images.push({ boxes, x, global });
    out.labels.push([c]);
    out.partAt.push(part);
    out.kinds.push(kinds);
  }
  return out;
}
