// `node --import tsx bench/profile.ts [net] [--infer]`: where one training (or inference) step's time goes,
// by tfjs kernel, on the backend initBackend() picks (LAYERLENS_BACKEND forces one). Wraps every registered
// kernel of that backend with a timer: wall ms and CPU ms (all threads of the process; unlike wall time it
// stays meaningful when other work shares the machine). What is not inside a kernel is tfjs's own work
// (tape, tidy, layers) plus JS.
import * as tf from '../src/engine/backend/tf';
import { initBackend } from '../src/engine/backend';
import { buildModel } from '../src/engine/models/zoo';
import { makeRng } from '../src/engine/core/random';

const net = (process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 'resnet20') as 'resnet20' | 'lenet5' | 'resnet8';
const INFER = process.argv.includes('--infer');
const shape: [number, number, number] = net === 'resnet20' ? [32, 32, 3] : [28, 28, 1];
const BATCH = 64;
const backend = await initBackend();

const spent = new Map<string, { ms: number; cpu: number; calls: number }>();
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
let timing = false;
for (const k of tf.getKernelsForBackend(backend)) {
  const inner = k.kernelFunc;
  tf.unregisterKernel(k.kernelName, backend);
  tf.registerKernel({
    ...k,
    kernelFunc: (args) => {
      if (!timing) return inner(args);
      const t = performance.now();
      const c = cpuMs();
      const out = inner(args);
      const e = spent.get(k.kernelName) ?? { ms: 0, cpu: 0, calls: 0 };
      e.ms += performance.now() - t;
      e.cpu += cpuMs() - c;
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
    if (INFER) return void (model.predict(x) as tf.Tensor).dataSync();
    const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, true, vars);
    loss!.dataSync();
  });
for (let i = 0; i < 3; i++) step();
const STEPS = 5;
timing = true;
const t0 = performance.now();
const c0 = cpuMs();
for (let i = 0; i < STEPS; i++) step();
const total = (performance.now() - t0) / STEPS;
const totalCpu = (cpuMs() - c0) / STEPS;
timing = false;
const rows = [...spent.entries()].sort((a, b) => b[1].cpu - a[1].cpu);
const inKernels = rows.reduce((s, [, e]) => s + e.cpu, 0) / STEPS;
console.log(
  `${net} ${INFER ? 'inference' : 'train'} step, batch ${BATCH}, backend ${backend}: ${total.toFixed(1)} ms/step wall, ${totalCpu.toFixed(1)} ms CPU; ` +
    `kernels ${inKernels.toFixed(1)} ms CPU, outside kernels ${(totalCpu - inKernels).toFixed(1)} ms CPU`,
);
console.log(`${'kernel'.padEnd(32)} ${'CPU ms'.padStart(8)} ${'wall ms'.padStart(8)} ${'calls'.padStart(6)} ${'CPU %'.padStart(6)}`);
for (const [name, e] of rows.slice(0, 25)) {
  console.log(
    `${name.padEnd(32)} ${(e.cpu / STEPS).toFixed(1).padStart(8)} ${(e.ms / STEPS).toFixed(1).padStart(8)} ${String(e.calls / STEPS).padStart(6)} ${((100 * e.cpu) / STEPS / totalCpu).toFixed(1).padStart(6)}`,
  );
}
