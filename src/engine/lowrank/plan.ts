// Per-layer ranks for a whole model: one energy e for every layer (the paper), the value threshold (the authors'
// final cut), or a FLOPs budget ("2× fewer MACs") spread over the layers where it costs the least energy.
// The budget rule and the ramp are this project's additions (docs/lowrank-experiments.md, "Rank rules"); the
// paper fixes one e per run.
import { costAt, maxUsefulRank, type Candidate } from './decompose';
import { selectRank, type RankRule } from './rank';
import { budgetRanks as allocate } from '../../shared/rank-budget';
import type { Scheme } from './reshape';

export type RankPlanRule = RankRule | { kind: 'speedup'; speedup: number };

export interface PlanInput {
  candidate: Candidate;
  /** singular values, descending */
  s: ArrayLike<number>;
}

/** The budget allocator (src/shared/rank-budget.ts) over the layers' geometry under a scheme. */
export function budgetRanks(layers: PlanInput[], scheme: Scheme, modelFlops: number, speedup: number): Record<string, number> {
  return allocate(
    layers.map(({ candidate: c, s }) => {
      const usefulRank = maxUsefulRank(c, scheme);
      return {
        name: c.name,
        s,
        flopsAtRank: Array.from({ length: usefulRank }, (_, i) => costAt(c, scheme, i + 1).flops),
        usefulRank,
        flops: c.flops,
        fullRank: c.fullRank,
      };
    }),
    modelFlops,
    speedup,
  );
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
