// Trained Rank Pruning (methods.md §2.3(c), (d)) as hooks on the ordinary training loop:
//  - every `period` steps (t mod m == 0) each selected layer's weight is overwritten by its rank-r(e)
//    reconstruction before the forward/backward pass of that step;
//  - on those same steps the truncated nuclear sub-gradient λ·U_r V_rᵀ (reshaped back to the kernel) is added to
//    the gradient. It enters as the loss term λ·Σ⟨W, G⟩ with G held constant, whose gradient is exactly λ·G.
// Choices the digest leaves open, configurable here: the sub-gradient uses the truncated factors (the code;
// `fullSubgradient` uses U Vᵀ of all non-zero σ, the theory); strided convs are projected only when selected.
import * as tf from '../backend/tf';
import type { TrainHooks } from '../analyses/train';
import { energyRank } from './rank';
import { kernelToMatrix, matrixToKernel, type Scheme } from './reshape';
import { reconstruct, svd, truncatedSign, type SvdMethod } from './svd';

export interface TrpOptions {
  scheme: Scheme;
  /** energy e of r(e) at each projection */
  energy: number;
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
    for (const name of this.opts.layers) {
      const layer = model.getLayer(name);
      const kernelVar = layer.weights[0];
      const shape = kernelVar.shape as number[];
      const d = svd(kernelToMatrix(kernelVar.read().dataSync(), shape, this.opts.scheme), { vectors: true, method: this.opts.svdMethod });
      const r = energyRank(d.s, this.opts.energy);
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
