/**
 * mEAS (mean Energy Accumulation Score), the Zigzag difficulty measure, as pure functions (reconstruction, see
 * NOTES.md): the energy map of class c is E_c(p) = Σ_{r ∋ p} s_rc over the proposals r covering pixel p, divided
 * by its maximum; EAS_τ = Σ_{p ∈ B*} E·1[E ≥ τ] / Σ_p E·1[E ≥ τ] with B* the top proposal; mEAS = mean over τ.
 * High mEAS: the energy sits in one box (easy); low: scattered over clutter or several instances (hard).
 */

/** A box in pixels, x2/y2 exclusive. */
export interface PixelBox {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

export const DEFAULT_TAUS: readonly number[] = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

/** The cells [from, to) of a `grid`-cell axis over `size` pixels that the span [lo, hi) covers (by cell centre). */
function cellRange(lo: number, hi: number, size: number, grid: number): [number, number] {
  const cell = size / grid;
  // a cell belongs to the box when its centre (i + 0.5)·cell lies in [lo, hi)
  const from = Math.max(0, Math.ceil(lo / cell - 0.5));
  const to = Math.min(grid, Math.ceil(hi / cell - 0.5));
  return [from, to];
}

/**
 * E_c on a gridW × gridH grid (row-major), normalised by its maximum (all zeros stay zeros). A 2-D difference
 * array makes it O(R + cells) whatever the box sizes.
 */
export function energyMap(boxes: readonly PixelBox[], scores: ArrayLike<number>, width: number, height: number, gridW = width, gridH = height): Float32Array {
  const diff = new Float64Array((gridW + 1) * (gridH + 1));
  boxes.forEach((b, r) => {
    const s = scores[r];
    if (!(s > 0)) return;
    const [x0, x1] = cellRange(b.x1, b.x2, width, gridW);
    const [y0, y1] = cellRange(b.y1, b.y2, height, gridH);
    if (x1 <= x0 || y1 <= y0) return;
    const w = gridW + 1;
    diff[y0 * w + x0] += s;
    diff[y0 * w + x1] -= s;
    diff[y1 * w + x0] -= s;
    diff[y1 * w + x1] += s;
  });
  const e = new Float32Array(gridW * gridH);
  const w = gridW + 1;
  // prefix sums over rows then columns turn the corner marks into per-cell sums
  for (let y = 0; y <= gridH; y++) for (let x = 1; x <= gridW; x++) diff[y * w + x] += diff[y * w + x - 1];
  for (let y = 1; y <= gridH; y++) for (let x = 0; x <= gridW; x++) diff[y * w + x] += diff[(y - 1) * w + x];
  let max = 0;
  for (let y = 0; y < gridH; y++) for (let x = 0; x < gridW; x++) {
    const v = Math.max(0, diff[y * w + x]); // rounding can leave -1e-17 where nothing covers
    e[y * gridW + x] = v;
    if (v > max) max = v;
  }
  if (max > 0) for (let i = 0; i < e.length; i++) e[i] /= max;
  return e;
}

/** EAS at each τ: the share of the thresholded energy that falls inside `top` (grid over width × height). */
export function easCurve(energy: ArrayLike<number>, gridW: number, gridH: number, width: number, height: number, top: PixelBox, taus: readonly number[] = DEFAULT_TAUS): number[] {
  const [x0, x1] = cellRange(top.x1, top.x2, width, gridW);
  const [y0, y1] = cellRange(top.y1, top.y2, height, gridH);
  return taus.map((tau) => {
    let inside = 0;
    let all = 0;
    for (let y = 0; y < gridH; y++) for (let x = 0; x < gridW; x++) {
      const v = energy[y * gridW + x];
      if (v < tau) continue;
      all += v;
      if (x >= x0 && x < x1 && y >= y0 && y < y1) inside += v;
    }
    return all > 0 ? inside / all : 0;
  });
}

function mean(xs: readonly number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0;
}

/** mEAS of one (image, class): the energy from the proposal scores of that class, EAS over τ, and their mean. */
export function measOf(boxes: readonly PixelBox[], scores: ArrayLike<number>, width: number, height: number, grid: number, taus: readonly number[] = DEFAULT_TAUS): { meas: number; eas: number[]; top: number } {
  let top = 0;
  for (let r = 1; r < boxes.length; r++) if (scores[r] > scores[top]) top = r;
  const e = energyMap(boxes, scores, width, height, grid, grid);
  const eas = easCurve(e, grid, grid, width, height, boxes[top], taus);
  return { meas: mean(eas), eas, top };
}

/**
 * Rank and group one class's items by mEAS, descending (rank 0 = easiest); groups are K equal-count quantiles
 * (group 0 = easiest). Ties keep input order.
 */
export function rankIntoGroups(meas: readonly number[], groups: number): { rank: number[]; group: number[] } {
  const order = meas.map((m, i) => ({ m, i })).sort((a, b) => b.m - a.m || a.i - b.i);
  const rank = new Array<number>(meas.length);
  const group = new Array<number>(meas.length);
  const n = meas.length;
  order.forEach(({ i }, pos) => {
    rank[i] = pos;
    group[i] = Math.min(groups - 1, Math.floor((pos * groups) / Math.max(1, n)));
  });
  return { rank, group };
}

/** Average ranks (1-based), ties sharing the mean of their positions. */
function averageRanks(xs: readonly number[]): number[] {
  const order = xs.map((v, i) => ({ v, i })).sort((a, b) => a.v - b.v);
  const ranks = new Array<number>(xs.length);
  for (let s = 0; s < order.length; ) {
    let e = s;
    while (e + 1 < order.length && order[e + 1].v === order[s].v) e++;
    const r = (s + e) / 2 + 1;
    for (let k = s; k <= e; k++) ranks[order[k].i] = r;
    s = e + 1;
  }
  return ranks;
}

/** Spearman's rank correlation (Pearson on average ranks); NaN when fewer than 2 pairs or a side is constant. */
export function spearman(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new Error(`spearman needs pairs: ${a.length} vs ${b.length}`);
  if (a.length < 2) return NaN;
  const ra = averageRanks(a);
  const rb = averageRanks(b);
  const ma = mean(ra);
  const mb = mean(rb);
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < ra.length; i++) {
    num += (ra[i] - ma) * (rb[i] - mb);
    da += (ra[i] - ma) ** 2;
    db += (rb[i] - mb) ** 2;
  }
  return da > 0 && db > 0 ? num / Math.sqrt(da * db) : NaN;
}
