// Times one training step (batch 64) of small CNNs on wasm with the project's kernels, with stock tfjs
// kernels where stock can run at all, and on cpu (SKIP_CPU=1 skips it).
// Not a test: `npx tsx tests/engine/backend/trainStepBench.ts`.
import { initBackend } from '../../../src/engine/backend';
import {
  registerWasmTrainingKernels,
  unregisterWasmTrainingKernels,
  wasmTrainingKernels,
} from '../../../src/engine/backend/kernels';
import { conv2DBackpropFilterIm2col } from '../../../src/engine/backend/kernels/Conv2DBackpropFilter';
import * as tf from '../../../src/engine/backend/tf';

type Net = { name: string; input: [number, number, number]; build: () => tf.Sequential };

const nets: Net[] = [
  {
    name: 'small CNN 28x28x1 (conv16-bn-relu-pool-conv32-bn-relu-pool-dense10)',
    input: [28, 28, 1],
    build: () =>
      tf.sequential({
        layers: [
          tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 16, kernelSize: 3, padding: 'same', useBias: false }),
          tf.layers.batchNormalization(),
          tf.layers.reLU(),
          tf.layers.maxPooling2d({ poolSize: 2 }),
          tf.layers.conv2d({ filters: 32, kernelSize: 3, padding: 'same', useBias: false }),
          tf.layers.batchNormalization(),
          tf.layers.reLU(),
          tf.layers.maxPooling2d({ poolSize: 2 }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 10 }),
        ],
      }),
  },
  {
    name: 'strided CNN 32x32x3 (conv16 s1, conv32 3x3 s2, conv64 3x3 s2 valid, 1x1 s2 valid, bn, dense10)',
    input: [32, 32, 3],
    build: () =>
      tf.sequential({
        layers: [
          tf.layers.conv2d({ inputShape: [32, 32, 3], filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }),
          tf.layers.conv2d({ filters: 32, kernelSize: 3, strides: 2, padding: 'same', useBias: false }),
          tf.layers.batchNormalization(),
          tf.layers.reLU(),
          tf.layers.conv2d({ filters: 64, kernelSize: 3, strides: 2, padding: 'valid', activation: 'relu' }),
          tf.layers.conv2d({ filters: 64, kernelSize: 1, strides: 2, padding: 'valid', activation: 'relu' }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 10 }),
        ],
      }),
  },
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

type Variant = { name: string; apply: () => void };

function useOnly(names: string[]): void {
  unregisterWasmTrainingKernels();
  for (const k of wasmTrainingKernels) {
    if (!names.includes(k.kernelName)) continue;
    if (tf.getKernel(k.kernelName, 'wasm') != null) tf.unregisterKernel(k.kernelName, 'wasm');
    tf.registerKernel(k);
  }
}

const variants: Variant[] = [
  { name: 'wasm + project kernels', apply: registerWasmTrainingKernels },
  { name: 'wasm stock', apply: unregisterWasmTrainingKernels },
  { name: 'wasm stock + only Conv2DBackpropFilter', apply: () => useOnly(['Conv2DBackpropFilter']) },
  {
    name: 'wasm + project kernels, dW always im2col',
    apply: () => {
      registerWasmTrainingKernels();
      tf.unregisterKernel('Conv2DBackpropFilter', 'wasm');
      tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: (a) => conv2DBackpropFilterIm2col(a) });
    },
  },
];

/** One step per variant per round (interleaved, so that load from other processes hits all alike). */
async function timeVariants(net: Net, vs: Variant[], rounds: number, warmup: number): Promise<string[]> {
  const states = vs.map(() => {
    const model = net.build();
    return {
      model,
      opt: tf.train.sgd(0.01),
      x: tf.randomNormal([64, ...net.input], 0, 1, 'float32', 1),
      y: tf.oneHot(tf.randomUniform([64], 0, 10, 'int32', 2) as tf.Tensor1D, 10),
      times: [] as number[],
      error: undefined as string | undefined,
    };
  });
  for (let r = 0; r < rounds + warmup; r++) {
    for (let i = 0; i < vs.length; i++) {
      const st = states[i];
      if (st.error != null) continue;
      vs[i].apply();
      try {
        const t0 = performance.now();
        const loss = st.opt.minimize(
          () => tf.losses.softmaxCrossEntropy(st.y, st.model.apply(st.x, { training: true }) as tf.Tensor),
          true,
        );
        await loss?.data();
        loss?.dispose();
        if (r >= warmup) st.times.push(performance.now() - t0);
      } catch (err) {
        st.error = err instanceof Error ? err.message.split('\n')[0] : String(err);
      }
    }
  }
  registerWasmTrainingKernels();
  return states.map((st) => {
    tf.dispose([st.x, st.y]);
    st.opt.dispose();
    st.model.dispose();
    if (st.error != null) return `fails: ${st.error}`;
    return `${median(st.times).toFixed(1)} ms (median of ${st.times.length}, min ${Math.min(...st.times).toFixed(1)})`;
  });
}

const rounds = Number(process.env.STEPS ?? 9);
await initBackend('wasm');
for (const net of nets) {
  console.log(`\n${net.name}, batch 64, one SGD step`);
  const results = await timeVariants(net, variants, rounds, 2);
  variants.forEach((v, i) => console.log(`  ${v.name.padEnd(42)} ${results[i]}`));
  if (process.env.SKIP_CPU) continue; // cpu takes 15-50 s a step
  await tf.setBackend('cpu');
  const [cpu] = await timeVariants(net, [{ name: 'cpu', apply: registerWasmTrainingKernels }], 2, 1);
  console.log(`  ${'cpu'.padEnd(42)} ${cpu}`);
  await tf.setBackend('wasm');
}
