/**
 * DNQ Module A: a policy-gradient bit-width controller (REINFORCE with a moving-average baseline).
 *
 * Project reading of methods.md §1.3 A (all [INF] there, so every choice is an option):
 *  - policy: a 1-layer LSTM (NAS-style, autoregressive) or a per-step MLP; the input at step l is the one-hot of
 *    the action at l−1 (a start token at l = 1) joined with layer descriptors (log10 weight count / 6, conv/dense,
 *    position l/L);
 *  - reward: additive Acc + λ·CR/CR_ref, or multiplicative Acc·(CR/CR_target)^β;
 *  - M samples per update, baseline B ← g·B + (1−g)·mean R, Adam on the policy;
 *  - pinned layers take their fixed bits (fed to the next step, not sampled, no log-prob term).
 */
import * as tf from '../backend/tf';
import { makeRng } from '../core/random';

export interface ControllerConfig {
  policy: 'lstm' | 'mlp';
  hidden: number;
  bits: number[];
  reward: 'additive' | 'multiplicative';
  /** additive: weight of CR/CRref */
  lambda: number;
  /** multiplicative: exponent of CR/CRtarget */
  beta: number;
  /** CR_ref (additive) or CR_target (multiplicative) */
  crTarget: number;
  samplesPerUpdate: number;
  baselineDecay: number;
  learningRate: number;
  seed: number;
}

export interface LayerDescriptor {
  size: number;
  kind: string;
}

export function reward(cfg: Pick<ControllerConfig, 'reward' | 'lambda' | 'beta' | 'crTarget'>, acc: number, cr: number): number {
  return cfg.reward === 'additive' ? acc + (cfg.lambda * cr) / cfg.crTarget : acc * (cr / cfg.crTarget) ** cfg.beta;
}

export class Controller {
  private vars: tf.Variable[] = [];
  private opt: tf.Optimizer;
  private rng: () => number;
  private feats: number[][];
  baseline: number | null = null;
  private readonly A: number;

  constructor(
    private cfg: ControllerConfig,
    private layers: LayerDescriptor[],
    /** bits per layer index, for pinned layers */
    private pinned: (number | null)[],
  ) {
    this.A = cfg.bits.length;
    this.rng = makeRng(cfg.seed);
    const L = layers.length;
    this.feats = layers.map((l, i) => [Math.log10(Math.max(1, l.size)) / 6, /conv/i.test(l.kind) ? 1 : 0, (i + 1) / L]);
    const inDim = this.A + 1 + 3;
    const H = cfg.hidden;
    const init = (shape: number[], scale: number, name: string) => {
      const n = shape.reduce((a, b) => a * b, 1);
      const v = Float32Array.from({ length: n }, () => (this.rng() * 2 - 1) * scale);
      return tf.variable(tf.tensor(v, shape), true, `ctrl_${name}_${cfg.seed}_${Math.floor(this.rng() * 1e9)}`);
    };
    if (cfg.policy === 'lstm') {
      // [x, h] → 4H gates (i, f, g, o)
      this.vars.push(init([inDim + H, 4 * H], 1 / Math.sqrt(inDim + H), 'Wl'), tf.variable(tf.zeros([4 * H]), true));
    } else {
      this.vars.push(init([inDim, H], 1 / Math.sqrt(inDim), 'W1'), tf.variable(tf.zeros([H]), true));
    }
    // small output weights: the first policies are near uniform over the candidate bits
    this.vars.push(init([H, this.A], 0.01, 'Wo'), tf.variable(tf.zeros([this.A]), true));
    this.opt = tf.train.adam(cfg.learningRate);
  }

  private input(step: number, prev: number): tf.Tensor2D {
    const x = new Float32Array(this.A + 1 + 3);
    x[prev < 0 ? this.A : prev] = 1;
    x.set(this.feats[step], this.A + 1);
    return tf.tensor2d(x, [1, x.length]);
  }

  /** logits for every step given the action sequence (teacher-forced); a sampled sequence is built step by step */
  private logitsAt(actions: number[], upTo: number): tf.Tensor2D[] {
    const H = this.cfg.hidden;
    const out: tf.Tensor2D[] = [];
    let h: tf.Tensor2D = tf.zeros([1, H]);
    let c: tf.Tensor2D = tf.zeros([1, H]);
    for (let l = 0; l < upTo; l++) {
      const x = this.input(l, l === 0 ? -1 : actions[l - 1]);
      let hidden: tf.Tensor2D;
      if (this.cfg.policy === 'lstm') {
        const [W, b] = this.vars;
        const z = tf.add(tf.matMul(tf.concat([x, h], 1), W as tf.Tensor2D), b) as tf.Tensor2D;
        const [i, f, g, o] = tf.split(z, 4, 1) as tf.Tensor2D[];
        c = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g)));
        h = tf.mul(tf.sigmoid(o), tf.tanh(c));
        hidden = h;
      } else {
        const [W, b] = this.vars;
        hidden = tf.tanh(tf.add(tf.matMul(x, W as tf.Tensor2D), b)) as tf.Tensor2D;
      }
      const [Wo, bo] = this.vars.slice(2);
      out.push(tf.add(tf.matMul(hidden, Wo as tf.Tensor2D), bo) as tf.Tensor2D);
    }
    return out;
  }

  /** one sampled sequence of action indices (pinned layers get their fixed choice) */
  sample(): number[] {
    const actions: number[] = [];
    for (let l = 0; l < this.layers.length; l++) {
      const pin = this.pinned[l];
      if (pin !== null) {
        actions.push(Math.max(0, this.cfg.bits.indexOf(pin)));
        continue;
      }
      const probs = tf.tidy(() => {
        const logits = this.logitsAt(actions, l + 1)[l];
        return tf.softmax(logits).dataSync() as Float32Array;
      });
      let u = this.rng();
      let a = 0;
      for (; a < this.A - 1; a++) {
        u -= probs[a];
        if (u <= 0) break;
      }
      actions.push(a);
    }
    return actions;
  }

  /** the most probable sequence under the current policy */
  greedy(): number[] {
    const actions: number[] = [];
    for (let l = 0; l < this.layers.length; l++) {
      const pin = this.pinned[l];
      if (pin !== null) {
        actions.push(Math.max(0, this.cfg.bits.indexOf(pin)));
        continue;
      }
      const a = tf.tidy(() => this.logitsAt(actions, l + 1)[l].argMax(-1).dataSync()[0]);
      actions.push(a);
    }
    return actions;
  }

  /** one REINFORCE update from M sampled sequences and their rewards; returns the baseline used */
  update(samples: number[][], rewards: number[]): number {
    const mean = rewards.reduce((a, b) => a + b, 0) / rewards.length;
    const B = this.baseline ?? mean;
    tf.tidy(() => {
      const f = () => {
        let total = tf.scalar(0);
        samples.forEach((actions, k) => {
          const logits = this.logitsAt(actions, actions.length);
          const adv = rewards[k] - B;
          for (let l = 0; l < actions.length; l++) {
            if (this.pinned[l] !== null) continue;
            const lp = tf.logSoftmax(logits[l]).gather([actions[l]], 1).sum();
            total = tf.sub(total, tf.mul(lp, adv));
          }
        });
        return tf.div(total, samples.length) as tf.Scalar;
      };
      this.opt.minimize(f, false, this.vars);
    });
    this.baseline = this.baseline === null ? mean : this.cfg.baselineDecay * this.baseline + (1 - this.cfg.baselineDecay) * mean;
    return B;
  }

  dispose(): void {
    tf.dispose(this.vars);
    this.opt.dispose();
  }
}
