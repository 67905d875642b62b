import { describe, expect, it } from 'vitest';
import { backgroundStats, dot, ldaDetector, softmaxScores, trainLogistic, trainSoftmax, type Linear } from '../../../src/engine/parts/linear';
import { makeRng } from '../../../src/engine/core/random';

const rng = makeRng(5);
const gauss = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());

describe('linear models', () => {
  it('exemplar-LDA scores its exemplar +1 and the background mean −1, and whitening discounts a high-variance direction', () => {
    const dim = 3;
    const rows = new Float32Array(600 * dim);
    // background: direction 0 varies a lot, 1 and 2 little
    for (let i = 0; i < 600; i++) {
      rows[i * dim] = 3 * gauss();
      rows[i * dim + 1] = 0.3 * gauss();
      rows[i * dim + 2] = 0.3 * gauss();
    }
    const bg = backgroundStats(rows, dim, 0.01);
    const m = [2, 1, 0];
    const d = ldaDetector(bg, m);
    expect(dot(d.w, Float32Array.from(m)) + d.b).toBeCloseTo(1, 4);
    expect(dot(d.w, Float32Array.from(bg.mean)) + d.b).toBeCloseTo(-1, 4);
    // the same offset along the noisy direction counts far less than along the quiet one
    expect(Math.abs(d.w[1])).toBeGreaterThan(20 * Math.abs(d.w[0]));
  });

  it('weighted logistic regression separates, and a zero-weight positive does not count', () => {
    const dim = 2;
    const x = new Float32Array([1, 0, 0.9, 0.1, 1.1, -0.1, -1, 0, -0.9, 0.2, -1.2, 0.1, -1, 0.05]);
    const y = new Int8Array([1, 1, 1, -1, -1, -1, 1]);
    const w = (last: number) => new Float32Array([1, 1, 1, 1, 1, 1, last]);
    const init: Linear = { w: new Float32Array(dim), b: 0 };
    const o = { lambda: 1e-3, iterations: 200, lr: 0.1 };
    const ignoring = trainLogistic({ x, y, c: w(0) }, dim, init, o);
    const counting = trainLogistic({ x, y, c: w(5) }, dim, init, o);
    // the mislabelled point on the negative side pulls the boundary only when it has weight
    const at = (l: typeof init) => dot(l.w, new Float32Array([-1, 0.05])) + l.b;
    expect(at(ignoring)).toBeLessThan(0);
    expect(at(counting)).toBeGreaterThan(at(ignoring));
    expect(dot(ignoring.w, new Float32Array([1, 0])) + ignoring.b).toBeGreaterThan(0);
  });

  it('softmax regression learns three separable classes', () => {
    const dim = 2;
    const centres = [[3, 0], [0, 3], [-3, -3]];
    const n = 90;
    const x = new Float32Array(n * dim);
    const labels = Array.from({ length: n }, (_, i) => i % 3);
    labels.forEach((c, i) => {
      x[i * dim] = centres[c][0] + 0.5 * gauss();
      x[i * dim + 1] = centres[c][1] + 0.5 * gauss();
    });
    const s = trainSoftmax(x, labels, dim, 3, { lambda: 1e-3, iterations: 150, lr: 0.05 });
    const p = softmaxScores(s, x);
    let hits = 0;
    labels.forEach((c, i) => {
      const row = Array.from(p.subarray(i * 3, i * 3 + 3));
      if (row.indexOf(Math.max(...row)) === c) hits++;
    });
    expect(hits / n).toBeGreaterThan(0.95);
  });
});
