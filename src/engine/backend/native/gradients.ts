// Fused gradients on the native backend. tfjs builds the gradients of ReLU, Mean/Sum and batch norm from
// several full-size tensor ops each (ReLU: step, cast, multiply; Mean: ones, multiply, divide; batch norm:
// a dozen); here each is one addon kernel. Gradients are global in tfjs, so every override hands over to
// the one it replaced whenever the active backend is not 'native' or the case is not covered.
import * as tf from '../tf';
import { setBatchNormGradHook } from '../kernels/FusedBatchNormGrad';
import type { NativeAddon } from './addon';
import { alloc, NATIVE, nativeCalls, operandMode } from './kernels';

type Backend = { data: { get(id: object): { values?: unknown } | undefined }; makeTensorInfo(s: number[], d: tf.DataType, v: Float32Array): tf.TensorInfo };

function f32(backend: unknown, t: tf.TensorInfo | undefined): Float32Array | undefined {
  if (t == null || t.dtype !== 'float32') return undefined;
  const v = (backend as Backend).data.get(t.dataId)?.values;
  return v instanceof Float32Array ? v : undefined;
}

function counted(name: string): void {
  nativeCalls.set(name, (nativeCalls.get(name) ?? 0) + 1);
}

const RELU_GRAD = 'LayerLensReluGrad';
const BROADCAST = 'LayerLensBroadcast';
const BN_GRAD = 'LayerLensBatchNormGrad';
const SQUARE_GRAD = 'LayerLensSquareGrad';

function kernels(addon: NativeAddon): tf.KernelConfig[] {
  return [
    {
      kernelName: RELU_GRAD,
      backendName: NATIVE,
      kernelFunc: ({ inputs, backend }) => {
        const dy = f32(backend, inputs.dy);
        const x = f32(backend, inputs.x);
        if (!dy || !x) throw new Error(`${RELU_GRAD}: float32 inputs expected`);
        const out = alloc(x.length);
        addon.reluGrad(dy, x, out);
        counted(RELU_GRAD);
        return (backend as Backend).makeTensorInfo(inputs.x!.shape, 'float32', out);
      },
    },
    {
      kernelName: SQUARE_GRAD,
      backendName: NATIVE,
      kernelFunc: ({ inputs, backend }) => {
        const dy = f32(backend, inputs.dy);
        const x = f32(backend, inputs.x);
        if (!dy || !x || dy.length !== x.length) throw new Error(`${SQUARE_GRAD}: float32 inputs of one shape expected`);
        const out = alloc(x.length);
        addon.binary(7, dy, x, out, Int32Array.from([1, x.length, 0, 0]));
        counted(SQUARE_GRAD);
        return (backend as Backend).makeTensorInfo(inputs.x!.shape, 'float32', out);
      },
    },
    {
      // out (of `shape`) = x broadcast * scale, x being `shape` with some axes 1 (a reduction's dy)
      kernelName: BROADCAST,
      backendName: NATIVE,
      kernelFunc: ({ inputs, backend, attrs }) => {
        const { shape, expandedShape, scale } = attrs as unknown as { shape: number[]; expandedShape: number[]; scale: number };
        const x = f32(backend, inputs.x);
        const mode = operandMode(expandedShape, shape);
        if (!x || mode == null) throw new Error(`${BROADCAST}: not a covered broadcast`);
        const n = tf.util.sizeFromShape(shape);
        const inner = tf.util.sizeFromShape(shape.slice(mode.split ?? Math.max(shape.length - 1, 0)));
        const out = alloc(n);
        addon.binary(2, x, Float32Array.of(scale), out, Int32Array.from([n / inner, inner, mode.mode, 3]));
        counted(BROADCAST);
        return (backend as Backend).makeTensorInfo(shape, 'float32', out);
      },
    },
    {
      kernelName: BN_GRAD,
      backendName: NATIVE,
      kernelFunc: ({ inputs, backend, attrs }) => {
        const { varianceEpsilon } = attrs as unknown as { varianceEpsilon: number };
        const [dy, x, mean, variance] = [inputs.dy, inputs.x, inputs.mean, inputs.variance].map((t) => f32(backend, t));
        const scale = inputs.scale == null ? null : f32(backend, inputs.scale);
        if (!dy || !x || !mean || !variance || scale === undefined) throw new Error(`${BN_GRAD}: float32 inputs expected`);
        const c = mean.length;
        const outs = [alloc(x.length), ...[0, 1, 2, 3].map(() => alloc(c))];
        addon.batchNormGrad(dy, x, mean, variance, scale, varianceEpsilon, outs[0], outs[1], outs[2], outs[3], outs[4]);
        counted(BN_GRAD);
        const b = backend as Backend;
        return [b.makeTensorInfo(inputs.x!.shape, 'float32', outs[0]), ...outs.slice(1).map((o) => b.makeTensorInfo(inputs.mean!.shape, 'float32', o))];
      },
    },
  ];
}

const run = (name: string, inputs: tf.NamedTensorMap, attrs: object = {}): tf.Tensor | tf.Tensor[] =>
  tf.engine().runKernel(name, inputs, attrs as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[];

const onNative = (...ts: (tf.Tensor | undefined)[]): boolean =>
  tf.getBackend() === NATIVE && ts.every((t) => t == null || t.dtype === 'float32');

/** The gradient of a reduction (Sum, Mean): dy broadcast back over the reduced axes, times `scale`. */
function reductionGrad(stock: tf.GradConfig, mean: boolean): tf.GradConfig {
  return {
    ...stock,
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const d = dy as tf.Tensor;
      if (!onNative(x, d)) return stock.gradFunc(dy, saved, attrs);
      const axes = tf.util.parseAxisParam((attrs as { axis: number | number[] }).axis, x.shape);
      const expandedShape = x.shape.map((s, i) => (axes.includes(i) ? 1 : s));
      if (operandMode(expandedShape, x.shape) == null || x.size === 0) return stock.gradFunc(dy, saved, attrs);
      const reduceSize = axes.reduce((p, a) => p * x.shape[a], 1);
      const scale = mean ? 1 / reduceSize : 1;
      return { x: () => run(BROADCAST, { x: d }, { shape: x.shape, expandedShape, scale }) as tf.Tensor };
    },
  };
}

export function registerNativeGradients(addon: NativeAddon): void {
  for (const k of kernels(addon)) {
    if (tf.getKernel(k.kernelName, NATIVE) == null) tf.registerKernel(k);
  }
  const STOCK = Symbol.for('layerlens.nativeGradients');
  const g = globalThis as { [STOCK]?: boolean };
  if (g[STOCK]) return;
  g[STOCK] = true;
  const quietly = (config: tf.GradConfig): void => {
    // tfjs warns "Overriding the gradient for ..." through its logger; PROD mode mutes that logger
    const prod = tf.env().getBool('PROD');
    tf.env().set('PROD', true);
    try {
      tf.registerGradient(config);
    } finally {
      tf.env().set('PROD', prod);
    }
  };

  // dy and x in, one pass out: ReLU (dy where x > 0) and Square (2 x dy)
  for (const [name, kernel] of [['Relu', RELU_GRAD], ['Square', SQUARE_GRAD]] as const) {
    const stock = tf.getGradient(name);
    if (stock == null) continue;
    quietly({
      ...stock,
      gradFunc: (dy, saved, attrs) => {
        const [x] = saved;
        const d = dy as tf.Tensor;
        if (!onNative(x, d) || !tf.util.arraysEqual(x.shape, d.shape)) return stock.gradFunc(dy, saved, attrs);
        return { x: () => run(kernel, { dy: d, x }) as tf.Tensor };
      },
    });
  }
  for (const [name, mean] of [['Sum', false], ['Mean', true]] as const) {
    const stock = tf.getGradient(name);
    if (stock != null) quietly(reductionGrad(stock, mean));
  }

  setBatchNormGradHook((dy, saved, attrs) => {
    const [x, mean, variance, scale] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor | undefined];
    const c = x.shape[x.rank - 1];
    const perChannel = (t: tf.Tensor | undefined): boolean => t == null || (t.size === c && t.shape[t.rank - 1] === c);
    if (!onNative(dy, x, mean, variance, scale) || ![mean, variance, scale].every(perChannel) || x.size === 0) return undefined;
    const { varianceEpsilon } = attrs as unknown as tf.FusedBatchNormAttrs;
    const inputs: tf.NamedTensorMap = { dy, x, mean, variance };
    if (scale != null) inputs.scale = scale;
    // all five at once, here; each closure hands out its part (the rest is disposed with the backward pass)
    const [dx, dmean, dvariance, dscale, doffset] = run(BN_GRAD, inputs, { varianceEpsilon }) as tf.Tensor[];
    return {
      x: () => dx,
      mean: () => dmean,
      variance: () => dvariance,
      scale: () => (scale == null ? dscale : tf.reshape(dscale, scale.shape)),
      offset: () => doffset,
    };
  });
}
