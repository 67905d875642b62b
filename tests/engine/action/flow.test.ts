// Farnebäck through OpenCV's wasm build: a square moved 2 px right reads as ≈ +2 px of dx where it is, the field
// is cached per clip on disk and read back, and the colour wheel shows motion as colour and stillness as white.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { computeFlow, flowsOf, flowToRgb, forgetFlows, FLOW_CACHE_DIR, FLOW_STEP } from '../../../src/engine/action/flow';
import type { Clip } from '../../../src/engine/data/types';

const S = 32;
function movingSquare(id: string, dx: number): Clip {
  const frames = 4;
  const pixels = new Uint8Array(frames * S * S);
  for (let t = 0; t < frames; t++) {
    for (let y = 10; y < 20; y++) for (let x = 8 + t * dx; x < 18 + t * dx; x++) pixels[t * S * S + y * S + x] = 255;
  }
  return { id, frames, shape: [S, S, 1], pixels, label: 0 };
}
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('optical flow', () => {
  it('measures a 2 px move to the right inside the square and ~0 far from it', async () => {
    const f = await computeFlow(movingSquare('sq', 2));
    expect(f.length).toBe(3 * S * S * 2);
    const at = (t: number, y: number, x: number, c: 0 | 1) => f[((t * S + y) * S + x) * 2 + c] * FLOW_STEP;
    expect(at(0, 15, 13, 0)).toBeGreaterThan(1.5);
    expect(at(0, 15, 13, 0)).toBeLessThan(2.5);
    expect(Math.abs(at(0, 15, 13, 1))).toBeLessThan(0.5);
    expect(Math.abs(at(0, 2, 30, 0))).toBeLessThan(0.2);
  });

  it('caches each clip on disk and reads it back instead of recomputing', async () => {
    const root = mkdtempSync(join(tmpdir(), 'll-flow-'));
    dirs.push(root);
    const clips = [movingSquare('a/one', 1), movingSquare('b/two', 2)];
    const first = await flowsOf(clips, root);
    expect(first.stats).toMatchObject({ clips: 2, computed: 2, cached: 0 });
    expect(first.stats.msPerClip).toBeGreaterThan(0);
    expect(existsSync(join(root, FLOW_CACHE_DIR, 'b', 'two.i8'))).toBe(true);
    forgetFlows();
    const second = await flowsOf(clips, root);
    expect(second.stats).toMatchObject({ computed: 0, cached: 2, msPerClip: null });
    expect(Array.from(second.flows[1])).toEqual(Array.from(first.flows[1]));
  });

  it('colours motion on the wheel and leaves stillness white', () => {
    const field = new Int8Array([0, 0, 30, 0]);
    const rgb = flowToRgb(field, 3);
    expect(Array.from(rgb.subarray(0, 3))).toEqual([255, 255, 255]);
    const [r, g, b] = rgb.subarray(3, 6);
    expect(Math.max(r, g, b) - Math.min(r, g, b)).toBeGreaterThan(200);
  });
});
