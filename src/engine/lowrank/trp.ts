// Trained Rank Pruning (methods.md §2.3(c), (d)) as hooks on the ordinary training loop:
//  - every `period` steps (t mod m == 0) each selected layer's weight is overwritten by its rank-r(e)
//    reconstruction before the forward/backward pass of that step;
//  - on those same steps the truncated nuclear sub-gradient λ·U_r V_rᵀ (reshaped back to the kernel) is added to
//    the gradient. It enters as the loss term λ·Σ⟨W, G⟩ with G held constant, whose gradient is exactly λ·G.
// Choices the digest leaves open, configurable here: the sub-gradient uses the truncated factors (the code;
// `fullSubgradient` uses U Vᵀ of all non-zero σ, the theory); strided convs are projected only when selected.
// Added here (off by default): the ranks of each projection may come from a FLOPs budget over all layers (`rule`,
// plan.ts) instead of one e, and the rule may ramp in over the first part of training (`ramp`).
import * as tf from '../backend/tf';
import type { TrainHooks } from '../analyses/train';
import { candidates, modelFlops, type Candidate } from './decompose';
import { planRanks, rampedRule, type RankPlanRule } from './plan';
import { kernelToMatrix, matrixToKernel, type Scheme } from './reshape';
import { reconstruct, svd, truncatedSign, type Svd, type SvdMethod } from './svd';

export interface TrpOptions {
  scheme: Scheme;
  /** energy e of r(e) at each projection */
  energy: number;
  /** the rank rule of each projection instead of r(e): e.g. a FLOPs budget (plan.ts) */
  rule?: RankPlanRule;
  /** ramp the rule in over this fraction of `totalSteps` (0: from the first step, as in the paper) */
  ramp?: number;
  totalSteps?: number;
  /** project every `period` steps (m) */
  period: number;
  /** nuclear-norm weight λ (0: TRP without the regulariser) */
  nuclear: number;
  layers: string[];
  svdMethod?: SvdMethod;
  /** U Vᵀ over every non-zero singular value instead of the truncated U_r V_rᵀ */
  fullSubgradient?: boolean;
}

export class TrpProjector {
  /** rank of each layer at the last projection */
  readonly ranks: Record<string, number> = {};
  private grads = new Map<string, tf.Tensor>();
  private gradStep = -1;
  projections = 0;
  projectMs = 0;

  constructor(private readonly opts: TrpOptions) {}

  /** Overwrite the selected kernels by their rank-r(e) reconstructions; keep the sub-gradients for this step. */
  project(model: tf.LayersModel, step: number): void {
    const t0 = performance.now();
    this.clearGrads();
    const geometry = this.geometry(model);
    const svds = new Map<string, Svd>();
    for (const name of this.opts.layers) {
      const kernelVar = model.getLayer(name).weights[0];
      svds.set(name, svd(kernelToMatrix(kernelVar.read().dataSync(), kernelVar.shape as number[], this.opts.scheme), { vectors: true, method: this.opts.svdMethod }));
    }
    const ranks = planRanks(
      this.opts.layers.map((name) => ({ candidate: geometry.cands.get(name)!, s: svds.get(name)!.s })),
      this.ruleAt(step),
      this.opts.scheme,
      geometry.flops,
    );
    for (const name of this.opts.layers) {
      const kernelVar = model.getLayer(name).weights[0];
      const shape = kernelVar.shape as number[];
      const d = svds.get(name)!;
      const r = ranks[name];
      this.ranks[name] = r;
      const low = tf.tensor(matrixToKernel(reconstruct(d, r), shape, this.opts.scheme), shape);
      kernelVar.write(low);
      low.dispose();
      if (this.opts.nuclear > 0) {
        const nz = d.s.filter((x) => x > (d.s[0] || 0) * 1e-7).length;
        const g = truncatedSign(d, this.opts.fullSubgradient ? nz : r);
        this.grads.set(name, tf.tensor(matrixToKernel(g, shape, this.opts.scheme), shape));
      }
    }
    this.gradStep = step;
    this.projections++;
    this.projectMs += performance.now() - t0;
  }

  /** Projection steps of the whole schedule (t mod m == 0), also for a run resumed part-way. */
  projectionsPlanned(): number {
    return this.opts.totalSteps ? Math.ceil(this.opts.totalSteps / this.opts.period) : this.projections;
  }

  /** The rule in force at a training step (the ramp moves it from "keep everything" to the final rule). */
  ruleAt(step: number): RankPlanRule {
    const rule: RankPlanRule = this.opts.rule ?? { kind: 'energy', energy: this.opts.energy };
    const total = this.opts.totalSteps ?? 0;
    return total > 0 ? rampedRule(rule, step / total, this.opts.ramp ?? 0) : rule;
  }

  private geo: { model: tf.LayersModel; cands: Map<string, Candidate>; flops: number } | null = null;
  /** the layers' geometry and the model's MACs (fixed while training: computed once per model) */
  private geometry(model: tf.LayersModel) {
    if (this.geo?.model !== model) {
      const cands = new Map(candidates(model, this.opts.scheme).map((c) => [c.name, c]));
      for (const n of this.opts.layers) if (!cands.has(n)) throw new Error(`TRP layer "${n}" is not factorisable`);
      this.geo = { model, cands, flops: modelFlops(model) };
    }
    return this.geo;
  }

  /** λ·Σ⟨W, G⟩ on projection steps (gradient λ·G), null otherwise. */
  nuclearLoss(model: tf.LayersModel, step: number): tf.Scalar | null {
    if (this.opts.nuclear <= 0 || step !== this.gradStep || this.grads.size === 0) return null;
    let acc: tf.Tensor | null = null;
    for (const [name, g] of this.grads) {
      const w = model.getLayer(name).weights[0].read();
      const term = tf.sum(tf.mul(w, g));
      acc = acc ? tf.add(acc, term) : term;
    }
    return tf.mul(acc!, this.opts.nuclear) as tf.Scalar;
  }

  hooks(): Pick<TrainHooks, 'beforeStep' | 'extraLoss'> {
    return {
      beforeStep: (step, model) => {
        if (step % this.opts.period === 0) this.project(model, step);
      },
      extraLoss: (step, model) => this.nuclearLoss(model, step),
    };
  }

  clearGrads(): void {
    for (const g of this.grads.values()) g.dispose();
    this.grads.clear();
  }

  dispose(): void {
    this.clearGrads();
  }
}
