// Ranks under a FLOPs budget, on plain numbers so the engine (TRP, final cut) and the studio's rank picker share
// one allocator. The rule is this project's addition to TRP (docs/lowrank-experiments.md, "Rank rules").

/** Cumulative fraction of Σσ² after each index (energy is the squared singular value, as in the authors' code). */
export function cumulativeEnergy(s: ArrayLike<number>): number[] {
  let total = 0;
  for (let i = 0; i < s.length; i++) total += s[i] * s[i];
  const out: number[] = [];
  let acc = 0;
  for (let i = 0; i < s.length; i++) {
    acc += s[i] * s[i];
    out.push(total > 0 ? acc / total : 1);
  }
  return out;
}

export interface BudgetLayer {
  name: string;
  /** singular values, descending */
  s: ArrayLike<number>;
  /** MACs of the factorised pair at rank r, at index r − 1, for r = 1…usefulRank */
  flopsAtRank: ArrayLike<number>;
  /** the largest rank whose factorisation costs fewer MACs than the layer */
  usefulRank: number;
  /** the layer's own MACs (kept whole) */
  flops: number;
  /** the rank that stands for "kept whole" in the answer */
  fullRank: number;
}

/**
 * Ranks that bring the model's MACs to at most `modelFlops / speedup`, minimising the summed fraction of Σσ²
 * dropped per layer. A layer's options are ranks 1…usefulRank or staying whole (answered as its full rank).
 * Lagrangian relaxation (bisection on the price of a MAC), then a greedy fill of what budget is left.
 * When even rank 1 everywhere misses the budget, that is what comes back (the caller reports the real FLOPs).
 */
export function budgetRanks(layers: BudgetLayer[], modelFlops: number, speedup: number): Record<string, number> {
  const selectedFlops = layers.reduce((a, l) => a + l.flops, 0);
  const budget = modelFlops / speedup - (modelFlops - selectedFlops);
  type Option = { rank: number; loss: number; cost: number };
  const options: Option[][] = layers.map((l) => {
    const cum = cumulativeEnergy(l.s);
    const useful = Math.min(l.usefulRank, l.s.length, l.flopsAtRank.length);
    const opts: Option[] = [];
    for (let r = 1; r <= useful; r++) opts.push({ rank: r, loss: 1 - cum[r - 1], cost: l.flopsAtRank[r - 1] });
    opts.push({ rank: l.fullRank, loss: 0, cost: l.flops });
    return opts;
  });
  const scale = selectedFlops > 0 ? selectedFlops : 1;
  const pick = (price: number) =>
    options.map((opts) => opts.reduce((best, o) => (o.loss + (price * o.cost) / scale < best.loss + (price * best.cost) / scale ? o : best)));
  const total = (chosen: Option[]) => chosen.reduce((a, o) => a + o.cost, 0);
  let lo = 0;
  let hi = 1;
  while (total(pick(hi)) > budget && hi < 1e12) hi *= 4;
  let chosen = pick(hi);
  if (total(chosen) > budget) {
    chosen = options.map((opts) => opts[0]);
  } else {
    for (let i = 0; i < 60; i++) {
      const mid = (lo + hi) / 2;
      if (total(pick(mid)) <= budget) hi = mid;
      else lo = mid;
    }
    chosen = pick(hi);
    // the relaxation skips steps between hull points: spend what is left where it buys the most energy per MAC
    for (;;) {
      const spare = budget - total(chosen);
      let best: { layer: number; option: Option; gain: number } | null = null;
      options.forEach((opts, li) => {
        const cur = chosen[li];
        for (const o of opts) {
          const extra = o.cost - cur.cost;
          if (o.loss >= cur.loss || extra > spare) continue;
          const gain = (cur.loss - o.loss) / Math.max(extra, 1e-9);
          if (!best || gain > best.gain) best = { layer: li, option: o, gain };
        }
      });
      if (!best) break;
      const b: { layer: number; option: Option } = best;
      chosen[b.layer] = b.option;
    }
  }
  return Object.fromEntries(layers.map((l, i) => [l.name, chosen[i].rank]));
}
