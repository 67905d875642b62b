// Every kernel of the native (oneDNN) backend against the cpu backend: forward values and gradients, odd
// shapes. Each check also proves that the addon ran the kernel (no silent fallback to the cpu kernel).
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/engine/backend';
import { loadAddon } from '../../../src/engine/backend/native';
import { nativeCalls } from '../../../src/engine/backend/native/kernels';
import { pooledBytes } from '../../../src/engine/backend/native/pool';
import * as tf from '../../../src/engine/backend/tf';
import { relativeL2, runOn, seeded, seededArray, TOLERANCE } from './helpers';

// this file compares the native kernels with cpu and with wasm whatever backend a suite run forces
delete process.env.LAYERLENS_BACKEND;
const { addon, why } = loadAddon();

/** Same computation on cpu (reference) and native; outputs agree to TOLERANCE; `kernels` ran natively. */
async function expectSame(f: () => tf.Tensor[], label: string, kernels: string[]): Promise<void> {
  const cpu = await runOn('cpu', f);
  const before = kernels.map((k) => nativeCalls.get(k) ?? 0);
  const native = await runOn('native', f);
  kernels.forEach((k, i) => expect(nativeCalls.get(k) ?? 0, `${label}: ${k} ran natively`).toBeGreaterThan(before[i]));
  expect(native.length).toBe(cpu.length);
  cpu.forEach((ref, i) => {
    expect(relativeL2(ref, native[i]), `${label}: output ${i} relative L2 error`).toBeLessThanOrEqual(TOLERANCE);
    expect(Array.from(ref).some((v) => v !== 0), `${label}: output ${i} is all zeros`).toBe(true);
  });
}

/** The value and the gradients of sum(f(...inputs) * w) for a seeded w (so that dy is not all ones). */
function valueAndGrads(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[]): tf.Tensor[] {
  const y = f(...inputs);
  const w = seeded(y.shape, 99);
  const grads = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), w)))(inputs);
  return [y, ...grads];
}

type Pad = 'same' | 'valid';
type ConvCase = { x: [number, number, number, number]; f: [number, number, number, number]; s: 1 | 2 | [number, number]; pad: Pad; d?: number };
const convName = (c: ConvCase): string =>
  `x ${c.x.join('x')} filter ${c.f.join('x')} stride ${String(c.s)} ${c.pad}${c.d ? ` dilation ${c.d}` : ''}`;

const convCases: ConvCase[] = [
  { x: [2, 7, 7, 3], f: [3, 3, 3, 4], s: 1, pad: 'same' },
  { x: [2, 7, 7, 12], f: [3, 3, 12, 5], s: 1, pad: 'valid' },
  { x: [2, 8, 8, 12], f: [3, 3, 12, 6], s: 2, pad: 'same' },
  { x: [2, 9, 9, 10], f: [3, 3, 10, 4], s: 2, pad: 'valid' },
  { x: [2, 8, 8, 3], f: [1, 1, 3, 5], s: 2, pad: 'valid' },
  { x: [1, 6, 6, 16], f: [1, 1, 16, 8], s: 1, pad: 'same' },
  { x: [3, 9, 6, 5], f: [5, 5, 5, 2], s: 2, pad: 'same' },
  { x: [2, 10, 7, 9], f: [3, 3, 9, 4], s: [2, 1], pad: 'same' },
  { x: [1, 28, 28, 1], f: [5, 5, 1, 6], s: 1, pad: 'same' },
  { x: [1, 5, 5, 2], f: [5, 5, 2, 3], s: 1, pad: 'valid' },
  { x: [2, 9, 8, 1], f: [3, 3, 1, 4], s: 2, pad: 'same' },
  { x: [2, 7, 9, 1], f: [2, 3, 1, 3], s: [2, 1], pad: 'valid' },
  { x: [3, 14, 14, 6], f: [5, 5, 6, 16], s: 1, pad: 'valid' },
  { x: [2, 9, 9, 4], f: [3, 3, 4, 3], s: 1, pad: 'same', d: 2 },
];

type DwCase = { x: [number, number, number, number]; f: [number, number, number, number]; s: 1 | 2; pad: Pad };
const dwCases: DwCase[] = [
  { x: [2, 7, 7, 4], f: [3, 3, 4, 1], s: 1, pad: 'same' },
  { x: [2, 8, 8, 6], f: [3, 3, 6, 2], s: 2, pad: 'same' },
  { x: [1, 9, 7, 3], f: [3, 3, 3, 1], s: 2, pad: 'valid' },
  { x: [3, 6, 6, 5], f: [5, 5, 5, 3], s: 1, pad: 'valid' },
];

describe.skipIf(addon == null)(`native backend kernels match cpu${addon == null ? ` (skipped: ${why})` : ''}`, () => {
  beforeAll(async () => {
    expect(await initBackend('native')).toBe('native');
  });

  it.each(convCases.map((c) => [convName(c), c] as const))('conv2d, dx and dW: %s', async (label, c) => {
    const conv = (x: tf.Tensor, f: tf.Tensor): tf.Tensor => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, c.s, c.pad, 'NHWC', c.d ?? 1);
    const grads = c.d ? [] : ['Conv2DBackpropInput', 'Conv2DBackpropFilter']; // tfjs has no dilated conv gradient
    await expectSame(() => (c.d ? [conv(seeded(c.x, 1), seeded(c.f, 2, 0.5))] : valueAndGrads(conv, [seeded(c.x, 1), seeded(c.f, 2, 0.5)])), label, ['Conv2D', ...grads]);
  });

  it.each(['linear', 'relu'] as const)('fused conv2d with bias and %s, with gradients', async (activation) => {
    const c = convCases[2];
    const conv = (x: tf.Tensor, f: tf.Tensor, b: tf.Tensor): tf.Tensor =>
      tf.fused.conv2d({ x: x as tf.Tensor4D, filter: f as tf.Tensor4D, strides: c.s, pad: c.pad, bias: b, activation });
    await expectSame(() => valueAndGrads(conv, [seeded(c.x, 1), seeded(c.f, 2, 0.5), seeded([c.f[3]], 3)]), activation, [
      'FusedConv2D',
      'Conv2DBackpropInput',
      'Conv2DBackpropFilter',
    ]);
  });

  it.each(dwCases.map((c) => [convName(c), c] as const))('depthwise conv, dx and dW: %s', async (label, c) => {
    const conv = (x: tf.Tensor, f: tf.Tensor): tf.Tensor => tf.depthwiseConv2d(x as tf.Tensor4D, f as tf.Tensor4D, c.s, c.pad);
    await expectSame(() => valueAndGrads(conv, [seeded(c.x, 4), seeded(c.f, 5, 0.5)]), label, [
      'DepthwiseConv2dNative',
      'DepthwiseConv2dNativeBackpropInput',
      'DepthwiseConv2dNativeBackpropFilter',
    ]);
  });

  it('fused depthwise conv with bias and relu', async () => {
    const c = dwCases[1];
    const conv = (x: tf.Tensor, f: tf.Tensor, b: tf.Tensor): tf.Tensor =>
      tf.fused.depthwiseConv2d({ x: x as tf.Tensor4D, filter: f as tf.Tensor4D, strides: c.s, pad: c.pad, bias: b, activation: 'relu' });
    await expectSame(() => valueAndGrads(conv, [seeded(c.x, 4), seeded(c.f, 5, 0.5), seeded([c.f[2] * c.f[3]], 6)]), 'fused dw', ['FusedDepthwiseConv2D']);
  });

  it.each([
    { a: [5, 7], b: [7, 3], ta: false, tb: false },
    { a: [7, 5], b: [7, 3], ta: true, tb: false },
    { a: [5, 7], b: [3, 7], ta: false, tb: true },
    { a: [7, 5], b: [3, 7], ta: true, tb: true },
    { a: [4, 5, 7], b: [4, 7, 3], ta: false, tb: false },
    { a: [1, 400], b: [400, 120], ta: false, tb: false },
  ])('matmul $a x $b (transpose $ta $tb), with gradients', async ({ a, b, ta, tb }) => {
    const mm = (x: tf.Tensor, y: tf.Tensor): tf.Tensor => tf.matMul(x, y, ta, tb);
    await expectSame(() => valueAndGrads(mm, [seeded(a, 7), seeded(b, 8)]), `${a} x ${b}`, ['BatchMatMul']);
  });

  it.each([
    { a: [1, 5, 7], b: [4, 7, 3] },
    { a: [2, 3, 5, 7], b: [7, 6] },
  ])('matmul with a broadcast batch $a x $b (tfjs has no gradient for it)', async ({ a, b }) => {
    await expectSame(() => [tf.matMul(seeded(a, 7), seeded(b, 8))], `${a} x ${b}`, ['BatchMatMul']);
  });

  it.each(['linear', 'relu'] as const)('fused matmul with bias and %s, with gradients', async (activation) => {
    const mm = (x: tf.Tensor, y: tf.Tensor, b: tf.Tensor): tf.Tensor =>
      tf.fused.matMul({ a: x as tf.Tensor2D, b: y as tf.Tensor2D, bias: b, activation });
    await expectSame(() => valueAndGrads(mm, [seeded([6, 9], 7), seeded([9, 4], 8), seeded([4], 9)]), activation, ['_FusedMatMul']);
  });

  it.each([
    { x: [2, 8, 8, 3], k: 2, s: 2, pad: 'valid' },
    { x: [2, 7, 9, 3], k: 3, s: 2, pad: 'same' },
    { x: [1, 7, 7, 4], k: 3, s: 1, pad: 'same' },
    { x: [3, 9, 9, 2], k: 3, s: 2, pad: 'valid' },
  ] as const)('max and avg pooling $x k$k s$s $pad, with gradients', async ({ x, k, s, pad }) => {
    const mp = (t: tf.Tensor): tf.Tensor => tf.maxPool(t as tf.Tensor4D, k, s, pad);
    const ap = (t: tf.Tensor): tf.Tensor => tf.avgPool(t as tf.Tensor4D, k, s, pad);
    await expectSame(() => valueAndGrads(mp, [seeded([...x], 10)]), 'max', ['MaxPool', 'MaxPoolGrad']);
    await expectSame(() => valueAndGrads(ap, [seeded([...x], 10)]), 'avg', ['AvgPool', 'AvgPoolGrad']);
  });

  it('max pooling gradient after relu routes ties (zeros) like cpu', async () => {
    const f = (t: tf.Tensor): tf.Tensor => tf.maxPool(tf.relu(t) as tf.Tensor4D, 2, 2, 'valid');
    await expectSame(() => valueAndGrads(f, [tf.sub(seeded([2, 8, 8, 4], 11), 1.5)]), 'relu+pool', ['MaxPoolGrad', 'Relu']);
  });

  it('batch norm forward and gradients (training-style moments)', async () => {
    const bn = (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor => {
      const { mean, variance } = tf.moments(x, [0, 1, 2]);
      return tf.batchNorm(x, mean, variance, beta, gamma, 1e-3);
    };
    await expectSame(() => valueAndGrads(bn, [seeded([4, 5, 3, 6], 12), seeded([6], 13), seeded([6], 14)]), 'bn', [
      'FusedBatchNorm',
      'Mean',
      'Sub',
      'Square',
      'Sum',
      'LayerLensBatchNormGrad',
      'LayerLensBroadcast',
    ]);
    // inference form: stored statistics, no offset
    await expectSame(() => [tf.batchNorm(seeded([3, 4, 5], 15), seeded([5], 16), tf.abs(seeded([5], 17)), undefined, seeded([5], 18))], 'bn infer', [
      'FusedBatchNorm',
    ]);
  });

  it.each([
    [[4, 5, 3, 6], 0.7],
    [[1, 7, 5, 3], 0],
    [[9, 4], 3],
  ] as const)('training-mode batch norm layer %j: output, gradients, moving statistics', async (shape, shift) => {
    const f = (): tf.Tensor[] => {
      const layer = tf.layers.batchNormalization({
        momentum: 0.9,
        gammaInitializer: tf.initializers.randomUniform({ minval: 0.5, maxval: 1.5, seed: 3 }),
        betaInitializer: tf.initializers.randomUniform({ minval: -1, maxval: 1, seed: 4 }),
      });
      const x = tf.add(tf.mul(seeded([...shape], 40), 2), shift);
      const w = seeded([...shape], 41);
      const y = layer.apply(x, { training: true }) as tf.Tensor;
      const vars = layer.trainableWeights.map((v) => v.read() as tf.Variable);
      const { grads } = tf.variableGrads(() => tf.sum(tf.mul(layer.apply(x, { training: true }) as tf.Tensor, w)) as tf.Scalar, vars);
      const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(layer.apply(t, { training: true }) as tf.Tensor, w)))(x);
      const out = [y, dx, ...vars.map((v) => grads[v.name]), ...layer.nonTrainableWeights.map((v) => tf.clone(v.read()))];
      const keep = out.map((t) => tf.clone(t));
      layer.dispose();
      return keep;
    };
    await expectSame(f, `bn layer ${shape}`, ['LayerLensMoments', 'LayerLensBatchNormTrainGrad', 'FusedBatchNorm']);
  });

  it.each([
    ['same shape', [2, 3, 4], [2, 3, 4]],
    ['trailing (bias) broadcast', [2, 3, 4], [4]],
    ['trailing block', [2, 3, 4], [1, 3, 4]],
    ['leading (column) broadcast', [2, 3, 4], [2, 1, 1]],
    ['scalar', [2, 3, 4], []],
    ['scalar first', [], [2, 3, 4]],
    ['both broadcast', [5, 1], [1, 4]],
  ] as const)('binary ops, %s, with gradients', async (label, sa, sb) => {
    for (const [op, fn] of [
      ['Add', tf.add],
      ['Sub', tf.sub],
      ['Multiply', tf.mul],
      ['RealDiv', (a: tf.Tensor, b: tf.Tensor) => tf.div(a, tf.add(tf.abs(b), 1))],
    ] as const) {
      await expectSame(() => valueAndGrads(fn, [seeded([...sa], 19), seeded([...sb], 20)]), `${label} ${op}`, [op]);
    }
    // tfjs's gradients of these do not reduce broadcast axes: forward only
    for (const [op, fn] of [
      ['SquaredDifference', tf.squaredDifference],
      ['Maximum', tf.maximum],
      ['Minimum', tf.minimum],
    ] as const) {
      await expectSame(() => [fn(seeded([...sa], 19), seeded([...sb], 20))], `${label} ${op}`, [op]);
    }
  });

  it.each([
    ['two-sided', [2, 1, 3], [1, 4, 1]],
    ['middle axes (a global pool gradient)', [3, 1, 1, 5], [3, 4, 2, 5]],
    ['inner axis only', [2, 3, 1], [2, 3, 4]],
  ] as const)('any other broadcast runs as strided loops: %s', async (_, sa, sb) => {
    for (const [op, fn] of [
      ['Add', tf.add],
      ['Multiply', tf.mul],
      ['Sub', tf.sub],
    ] as const) {
      await expectSame(() => valueAndGrads(fn, [seeded([...sa], 21), seeded([...sb], 22)]), `${sa} ${op} ${sb}`, [op]);
    }
  });

  it('unary ops, with gradients', async () => {
    const x = (): tf.Tensor => seeded([3, 5, 7], 23);
    const pos = (): tf.Tensor => tf.add(tf.abs(seeded([3, 5, 7], 24)), 0.1);
    for (const [op, fn, input] of [
      ['Relu', tf.relu, x],
      ['Relu6', (t: tf.Tensor) => tf.relu6(tf.mul(t, 4)), x],
      ['Neg', tf.neg, x],
      ['Square', tf.square, x],
      ['Abs', tf.abs, x],
      ['Exp', tf.exp, x],
      ['Sigmoid', tf.sigmoid, x],
      ['Tanh', tf.tanh, x],
      ['Sqrt', tf.sqrt, pos],
      ['Rsqrt', tf.rsqrt, pos],
      ['Log', tf.log, pos],
    ] as const) {
      await expectSame(() => valueAndGrads(fn, [input()]), op, op === 'Relu' ? [op, 'LayerLensReluGrad'] : op === 'Square' ? [op, 'LayerLensSquareGrad'] : [op]);
    }
    await expectSame(() => [tf.step(seeded([40], 25), 0.3)], 'Step', ['Step']);
  });

  it.each([
    [[0, 1, 2], false],
    [[3], false],
    [[1, 2], true],
    [[0], true],
    [[0, 1, 2, 3], false],
  ] as const)('reductions over axes %j (keepDims %s), with gradients', async (axes, keepDims) => {
    const shape = [4, 5, 3, 6];
    for (const [op, fn] of [
      ['Sum', tf.sum],
      ['Mean', tf.mean],
      ['Max', tf.max],
      ['Min', tf.min],
    ] as const) {
      const fused = op === 'Sum' || op === 'Mean' ? ['LayerLensBroadcast'] : [];
      await expectSame(() => valueAndGrads((t) => fn(t, [...axes], keepDims), [seeded(shape, 26)]), `${op} ${axes}`, [op, ...fused]);
    }
  });

  it('a large column sum (parallel path) matches cpu', async () => {
    await expectSame(() => [tf.sum(seeded([64, 16, 16, 16], 27), [0, 1, 2]), tf.max(seeded([64, 16, 16, 16], 28), [0, 1, 2])], 'big', ['Sum', 'Max']);
  });

  it.each([
    ['Adam', () => tf.train.adam(0.05)],
    ['Momentum', () => tf.train.momentum(0.05, 0.9)],
    ['Momentum', () => tf.train.momentum(0.05, 0.9, true)],
  ] as const)('%s updates match cpu over three steps', async (kind, make) => {
    const steps = (): tf.Tensor[] => {
      const w = tf.variable(seeded([3, 4, 5], 30), true, `w${Math.random()}`);
      const b = tf.variable(seeded([5], 31), true, `b${Math.random()}`);
      const x = seeded([7, 3, 4], 32);
      const opt = make();
      for (let i = 0; i < 3; i++) {
        opt.minimize(() => tf.sum(tf.square(tf.add(tf.matMul(tf.reshape(x, [7, 12]), tf.reshape(w, [12, 5])), b))), false);
      }
      const out = [tf.clone(w), tf.clone(b)];
      tf.dispose([w, b, x]);
      opt.dispose();
      return out;
    };
    await expectSame(steps, kind, [kind]);
  });

  it('reuses the storage of disposed outputs, but never storage someone may still see', async () => {
    await tf.setBackend('native');
    const x = seeded([64, 64], 50);
    // reuse: a disposed output's buffer comes back for the next output of that size
    const a = tf.relu(x);
    const bufA = (tf.backend() as unknown as { data: { get(id: object): { values: Float32Array } } }).data.get(a.dataId).values.buffer;
    a.dispose();
    expect(pooledBytes()).toBeGreaterThan(0);
    const b = tf.neg(x);
    expect((tf.backend() as unknown as { data: { get(id: object): { values: Float32Array } } }).data.get(b.dataId).values.buffer).toBe(bufA);
    b.dispose();
    // dataSync() hands out the storage itself: it must keep its values after the tensor is gone
    const c = tf.relu(x);
    const seen = c.dataSync();
    const copy = Float32Array.from(seen);
    c.dispose();
    // a cpu kernel's view into an output (Slice returns a subarray) must outlive the output
    const d = tf.abs(x);
    const view = tf.slice(d, [0, 0], [8, 64]);
    const viewCopy = Float32Array.from(x.dataSync().subarray(0, 8 * 64), Math.abs); // not d's storage: reading it would expose it
    d.dispose();
    const noise = Array.from({ length: 6 }, () => [tf.neg(x), tf.exp(x), tf.square(x)]).flat();
    expect(Array.from(seen)).toEqual(Array.from(copy));
    expect(Array.from(view.dataSync())).toEqual(Array.from(viewCopy));
    tf.dispose([x, view, ...noise]);
  });

  it('leaves no tensors behind', async () => {
    await tf.setBackend('native');
    const before = tf.memory().numTensors;
    const dataBefore = tf.backend().numDataIds();
    const c = convCases[2];
    tf.dispose(tf.tidy(() => valueAndGrads((x, f) => tf.relu(tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, c.s, c.pad)), [seeded(c.x, 1), seeded(c.f, 2)])));
    expect(tf.memory().numTensors).toBe(before);
    expect(tf.backend().numDataIds()).toBe(dataBefore);
  });
});

describe.skipIf(addon == null)('a seeded training run on native ends like the same run on wasm', () => {
  const INPUT: [number, number, number] = [12, 12, 2];
  const CLASSES = 4;
  // four classes: a bright blob in one quadrant of one channel, plus seeded noise
  function data(n: number, seed: number): { x: Float32Array; y: number[] } {
    const noise = seededArray(n * 12 * 12 * 2, seed, 0.8);
    const y = Array.from({ length: n }, (_, i) => (i * 7 + seed) % CLASSES);
    const x = noise.map((v, idx) => {
      const i = Math.floor(idx / (12 * 12 * 2));
      const r = Math.floor(idx / 24) % 12;
      const c = Math.floor(idx / 2) % 12;
      const q = (r < 6 ? 0 : 2) + (c < 6 ? 0 : 1);
      return v + (q === y[i] && idx % 2 === y[i] % 2 ? 0.6 : 0);
    });
    return { x, y };
  }
  const build = (): tf.Sequential =>
    tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: INPUT, filters: 8, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
        tf.layers.batchNormalization(),
        tf.layers.reLU(),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
        tf.layers.flatten(),
        tf.layers.dense({ units: CLASSES, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
      ],
    });

  async function run(backend: 'native' | 'wasm'): Promise<{ acc: number; loss: number }> {
    expect(await initBackend(backend)).toBe(backend);
    const train = data(256, 1);
    const test = data(200, 2);
    const model = build();
    const opt = tf.train.adam(0.01);
    let loss = NaN;
    for (let step = 0; step < 24; step++) {
      const lo = (step * 32) % 256;
      const l = tf.tidy(() => {
        const x = tf.tensor4d(train.x.subarray(lo * 288, (lo + 32) * 288), [32, ...INPUT]);
        const y = tf.oneHot(tf.tensor1d(train.y.slice(lo, lo + 32), 'int32'), CLASSES);
        return opt.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, true)!;
      });
      loss = l.dataSync()[0];
      l.dispose();
    }
    const pred = tf.tidy(() => (model.predict(tf.tensor4d(test.x, [200, ...INPUT])) as tf.Tensor).argMax(-1).dataSync());
    const acc = (100 * test.y.filter((c, i) => pred[i] === c).length) / test.y.length;
    opt.dispose();
    model.dispose();
    return { acc, loss };
  }

  it('test accuracy within 0.3 pp, final loss within 1e-3', async () => {
    const wasm = await run('wasm');
    const before = nativeCalls.get('Conv2DBackpropFilter') ?? 0;
    const native = await run('native');
    expect(nativeCalls.get('Conv2DBackpropFilter'), 'native conv gradients ran').toBeGreaterThan(before);
    expect(wasm.acc, 'the task is learnable: wasm accuracy').toBeGreaterThan(50);
    expect(Math.abs(native.acc - wasm.acc)).toBeLessThanOrEqual(0.3);
    expect(Math.abs(native.loss - wasm.loss) / wasm.loss).toBeLessThanOrEqual(1e-3);
  });
});
