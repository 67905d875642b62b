// Per-layer ranks for a whole model: one energy e for every layer (the paper), the value threshold (the authors'
// final cut), or a FLOPs budget ("2× fewer MACs") spread over the layers where it costs the least energy.
// The budget rule and the ramp are this project's additions (docs/lowrank-experiments.md, "Rank rules"); the
// paper fixes one e per run.
import { costAt, maxUsefulRank, type Candidate } from './decompose';
import { cumulativeEnergy, selectRank, type RankRule } from './rank';
import type { Scheme } from './reshape';

export type RankPlanRule = RankRule | { kind: 'speedup'; speedup: number };

export interface PlanInput {
  candidate: Candidate;
  /** singular values, descending */
  s: ArrayLike<number>;
}

/**
 * Ranks that bring the model's MACs to at most `modelFlops / speedup`, minimising the summed fraction of Σσ²
 * dropped per layer. A layer's options are ranks 1…maxUsefulRank or staying whole (returned as its full rank).
 * Lagrangian relaxation (bisection on the price of a MAC), then a greedy fill of what budget is left.
 * When even rank 1 everywhere misses the budget, that is what comes back (the caller reports the real FLOPs).
 */
export function budgetRanks(layers: PlanInput[], scheme: Scheme, modelFlops: number, speedup: number): Record<string, number> {
  const selectedFlops = layers.reduce((a, l) => a + l.candidate.flops, 0);
  const budget = modelFlops / speedup - (modelFlops - selectedFlops);
  type Option = { rank: number; loss: number; cost: number };
  const options: Option[][] = layers.map(({ candidate: c, s }) => {
    const cum = cumulativeEnergy(s);
    const useful = Math.min(maxUsefulRank(c, scheme), s.length);
    const opts: Option[] = [];
    for (let r = 1; r <= useful; r++) opts.push({ rank: r, loss: 1 - cum[r - 1], cost: costAt(c, scheme, r).flops });
    opts.push({ rank: c.fullRank, loss: 0, cost: c.flops });
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
  return Object.fromEntries(layers.map((l, i) => [l.candidate.name, chosen[i].rank]));
}

/** The ranks a rule gives every layer. */
export function planRanks(layers: PlanInput[], rule: RankPlanRule, scheme: Scheme, modelFlops: number): Record<string, number> {
  if (rule.kind === 'speedup') return budgetRanks(layers, scheme, modelFlops, rule.speedup);
  return Object.fromEntries(layers.map((l) => [l.candidate.name, selectRank(l.s, rule)]));
}

/**
 * The rule at training progress p ∈ [0, 1] when the projections ramp in over the first `ramp` of training:
 * e(p) = e + (1 − e)(1 − q)³ and likewise the kept MAC fraction, q = min(1, p / ramp) (the cubic schedule of
 * gradual pruning). ramp = 0: the final rule from the first step (the paper).
 */
export function rampedRule(rule: RankPlanRule, p: number, ramp: number): RankPlanRule {
  if (!(ramp > 0) || rule.kind === 'threshold') return rule;
  const left = Math.pow(1 - Math.min(1, Math.max(0, p) / ramp), 3);
  if (rule.kind === 'energy') return { kind: 'energy', energy: Math.min(1, rule.energy + (1 - rule.energy) * left) };
  const kept = 1 / rule.speedup;
  return { kind: 'speedup', speedup: 1 / (kept + (1 - kept) * left) };
}
