// Rank selection from a spectrum (methods.md §2.3(b), §2.3(f)).
import { UserError } from '../core/errors';
import { cumulativeEnergy } from '../../shared/rank-budget';

export { cumulativeEnergy };

/** r(e) = min { k : Σ_{i≤k} s_i² / Σ s_i² ≥ e }, at least 1. */
export function energyRank(s: ArrayLike<number>, e: number): number {
  if (!(e > 0 && e <= 1)) throw new UserError(`energy must be in (0, 1], got ${e}`);
  const cum = cumulativeEnergy(s);
  // a hair of tolerance: e = 1 must not fail on the last sum's rounding
  const k = cum.findIndex((c) => c >= e - 1e-12);
  return Math.max(1, k < 0 ? s.length : k + 1);
}

/**
 * The value-threshold cut of the authors' TRP code: keep s_i ≥ τ. Their helper returns the index of the last
 * value below τ (methods.md §2.3(f)); this is the rule its doc-string states, at least 1.
 */
export function thresholdRank(s: ArrayLike<number>, tau: number): number {
  if (!(tau >= 0)) throw new UserError(`threshold must be ≥ 0, got ${tau}`);
  let k = 0;
  while (k < s.length && s[k] >= tau) k++;
  return Math.max(1, k);
}

export type RankRule = { kind: 'energy'; energy: number } | { kind: 'threshold'; tau: number };

export function selectRank(s: ArrayLike<number>, rule: RankRule): number {
  return rule.kind === 'energy' ? energyRank(s, rule.energy) : thresholdRank(s, rule.tau);
}
