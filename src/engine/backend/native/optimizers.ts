// Optimizer updates on the native backend: tfjs's Adam and Momentum run about a dozen small tensor ops per
// variable per step (hundreds of kernel calls for a ResNet); here each variable is one pass in the addon.
// The optimizers' own classes and state (moments, accumulated betas, iterations) are used unchanged, so
// checkpoints and a later switch of backend keep working; on any other backend the stock code runs.
import * as tf from '../tf';
import type { NativeAddon } from './addon';
import { alloc, NATIVE, nativeCalls } from './kernels';

type NamedGrads = Parameters<tf.AdamOptimizer['applyGradients']>[0];
type Slot = { originalName: string; variable: tf.Variable };

interface AdamState {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: (Slot | undefined)[];
  accumulatedSecondMoment: (Slot | undefined)[];
  incrementIterations(): void;
}

interface MomentumState {
  learningRate: number;
  momentum: number;
  useNesterov: boolean;
  accumulations: (Slot | undefined)[];
  incrementIterations(): void;
}

/** Float32 storage of a tensor on the native backend (the cpu backend's data). */
function values(t: tf.Tensor): Float32Array | undefined {
  if (t.dtype !== 'float32') return undefined;
  const v = (tf.backend() as unknown as { data: { get(id: object): { values?: unknown } | undefined } }).data.get(t.dataId)?.values;
  return v instanceof Float32Array ? v : undefined;
}

function entries(g: NamedGrads): { name: string; grad: tf.Tensor | undefined }[] {
  return Array.isArray(g)
    ? g.map((e: { name: string; tensor: tf.Tensor }) => ({ name: e.name, grad: e.tensor }))
    : Object.keys(g).map((name) => ({ name, grad: (g as Record<string, tf.Tensor | undefined>)[name] }));
}

const slot = (name: string, value: tf.Variable): Slot => ({ originalName: name, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) });

const PATCHED = Symbol.for('layerlens.nativeOptimizers');

export function patchOptimizers(addon: NativeAddon): void {
  const g = globalThis as { [PATCHED]?: boolean };
  if (g[PATCHED]) return;
  g[PATCHED] = true;

  const adam = tf.AdamOptimizer.prototype;
  const stockAdam = adam.applyGradients;
  adam.applyGradients = function (this: tf.AdamOptimizer, grads: NamedGrads): void {
    if (tf.getBackend() !== NATIVE) return stockAdam.call(this, grads);
    const s = this as unknown as AdamState;
    tf.tidy(() => {
      const hyper = Float64Array.from([s.learningRate, s.beta1, s.beta2, s.epsilon, 1 - s.accBeta1.dataSync()[0], 1 - s.accBeta2.dataSync()[0]]);
      entries(grads).forEach(({ name, grad }, i) => {
        const value = tf.engine().registeredVariables[name];
        s.accumulatedFirstMoment[i] ??= slot(`${name}/m`, value);
        s.accumulatedSecondMoment[i] ??= slot(`${name}/v`, value);
        if (grad == null) return;
        const m = s.accumulatedFirstMoment[i]!.variable;
        const v = s.accumulatedSecondMoment[i]!.variable;
        const [pv, gv, mv, vv] = [values(value), values(grad), values(m), values(v)];
        if (!pv || !gv || !mv || !vv || gv.length !== pv.length) throw new Error(`Adam: variable ${name} is not a float32 tensor of the native backend`);
        const [np, nm, nv] = [alloc(pv.length), alloc(pv.length), alloc(pv.length)];
        addon.adam(pv, gv, mv, vv, np, nm, nv, hyper);
        nativeCalls.set('Adam', (nativeCalls.get('Adam') ?? 0) + 1);
        m.assign(tf.tensor(nm, m.shape, 'float32'));
        v.assign(tf.tensor(nv, v.shape, 'float32'));
        value.assign(tf.tensor(np, value.shape, 'float32'));
      });
      s.accBeta1.assign(tf.mul(s.accBeta1, s.beta1));
      s.accBeta2.assign(tf.mul(s.accBeta2, s.beta2));
    });
    s.incrementIterations();
  };

  const momentum = tf.MomentumOptimizer.prototype;
  const stockMomentum = momentum.applyGradients;
  momentum.applyGradients = function (this: tf.MomentumOptimizer, grads: NamedGrads): void {
    if (tf.getBackend() !== NATIVE) return stockMomentum.call(this, grads);
    const s = this as unknown as MomentumState;
    const hyper = Float64Array.from([s.learningRate, s.momentum, s.useNesterov ? 1 : 0]);
    entries(grads).forEach(({ name, grad }, i) => {
      const value = tf.engine().registeredVariables[name];
      s.accumulations[i] ??= slot(`${name}/momentum`, value);
      if (grad == null) return;
      const acc = s.accumulations[i]!.variable;
      const [pv, gv, av] = [values(value), values(grad), values(acc)];
      if (!pv || !gv || !av || gv.length !== pv.length) throw new Error(`Momentum: variable ${name} is not a float32 tensor of the native backend`);
      const [np, na] = [alloc(pv.length), alloc(pv.length)];
      addon.momentum(pv, gv, av, np, na, hyper);
      nativeCalls.set('Momentum', (nativeCalls.get('Momentum') ?? 0) + 1);
      tf.tidy(() => {
        acc.assign(tf.tensor(na, acc.shape, 'float32'));
        value.assign(tf.tensor(np, value.shape, 'float32'));
      });
    });
    s.incrementIterations();
  };
}
