// `node --import tsx bench/profile.ts [net]`: where one training step's time goes, by tfjs kernel, on the
// backend initBackend() picks (LAYERLENS_BACKEND forces one). Wraps every registered kernel of that backend
// with a timer; a kernel's time includes the gradient bookkeeping tfjs does around it only in "total".
import * as tf from '../src/engine/backend/tf';
import { initBackend } from '../src/engine/backend';
import { buildModel } from '../src/engine/models/zoo';
import { makeRng } from '../src/engine/core/random';

const net = (process.argv[2] ?? 'resnet20') as 'resnet20' | 'lenet5' | 'resnet8';
const shape: [number, number, number] = net === 'resnet20' ? [32, 32, 3] : [28, 28, 1];
const BATCH = 64;
const backend = await initBackend();

const spent = new Map<string, { ms: number; calls: number }>();
let timing = false;
for (const k of tf.getKernelsForBackend(backend)) {
  const inner = k.kernelFunc;
  tf.unregisterKernel(k.kernelName, backend);
  tf.registerKernel({
    ...k,
    kernelFunc: (args) => {
      if (!timing) return inner(args);
      const t = performance.now();
      const out = inner(args);
      const e = spent.get(k.kernelName) ?? { ms: 0, calls: 0 };
      e.ms += performance.now() - t;
      e.calls++;
      spent.set(k.kernelName, e);
      return out;
    },
  });
}

const model = buildModel(net, { inputShape: shape, classes: 10, seed: 1 });
const rng = makeRng(7);
const x = tf.tensor4d(Float32Array.from({ length: BATCH * shape[0] * shape[1] * shape[2] }, rng), [BATCH, ...shape]);
const labels = tf.oneHot(tf.tensor1d(Array.from({ length: BATCH }, () => Math.floor(rng() * 10)), 'int32'), 10);
const opt = tf.train.adam(1e-3);
const vars = model.trainableWeights.map((v) => v.read() as tf.Variable);
const step = (): void =>
  tf.tidy(() => {
    const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, true, vars);
    loss!.dataSync();
  });
for (let i = 0; i < 3; i++) step();
const STEPS = 5;
timing = true;
const t0 = performance.now();
for (let i = 0; i < STEPS; i++) step();
const total = (performance.now() - t0) / STEPS;
timing = false;
const rows = [...spent.entries()].sort((a, b) => b[1].ms - a[1].ms);
const inKernels = rows.reduce((s, [, e]) => s + e.ms, 0) / STEPS;
console.log(`${net} train step, batch ${BATCH}, backend ${backend}: ${total.toFixed(1)} ms/step (${(BATCH / total * 1000).toFixed(0)} img/s), kernels ${inKernels.toFixed(1)} ms, outside kernels ${(total - inKernels).toFixed(1)} ms`);
for (const [name, e] of rows.slice(0, 25)) {
  console.log(`${name.padEnd(36)} ${(e.ms / STEPS).toFixed(2).padStart(8)} ms ${String(e.calls / STEPS).padStart(6)} calls  ${((100 * e.ms) / STEPS / total).toFixed(1).padStart(5)}%`);
}
