// Training-mode batch normalisation on the native backend. tfjs-layers builds it from moments (mean, sub,
// square, mean) and batchNorm, and differentiates through all of them: about 25 full passes over the
// activations per layer and step, the largest cost of a ResNet step after the convolutions. Here it is one
// custom op: a one-pass moments kernel, the FusedBatchNorm kernel, and a two-pass gradient that includes
// the batch statistics' dependence on x. The layer's own code (inference, moving averages, other axes)
// is kept: the patched call() hands over to it on any other backend or case.
import * as tf from '../tf';
import type { NativeAddon } from './addon';
import { alloc, NATIVE, nativeCalls } from './kernels';

type Backend = { data: { get(id: object): { values?: unknown } | undefined }; makeTensorInfo(s: number[], d: tf.DataType, v: Float32Array): tf.TensorInfo };
const MOMENTS = 'LayerLensMoments';
const TRAIN_GRAD = 'LayerLensBatchNormTrainGrad';

function f32(backend: unknown, t: tf.TensorInfo | undefined): Float32Array {
  const v = t == null ? undefined : (backend as Backend).data.get(t.dataId)?.values;
  if (!(v instanceof Float32Array)) throw new Error('batch norm: float32 tensors of the native backend expected');
  return v;
}

function kernels(addon: NativeAddon): tf.KernelConfig[] {
  return [
    {
      kernelName: MOMENTS,
      backendName: NATIVE,
      kernelFunc: ({ inputs, backend }) => {
        const x = inputs.x!;
        const c = x.shape[x.shape.length - 1];
        const [mean, variance] = [alloc(c), alloc(c)];
        addon.moments(f32(backend, x), mean, variance);
        nativeCalls.set(MOMENTS, (nativeCalls.get(MOMENTS) ?? 0) + 1);
        const b = backend as Backend;
        return [b.makeTensorInfo([c], 'float32', mean), b.makeTensorInfo([c], 'float32', variance)];
      },
    },
    {
      kernelName: TRAIN_GRAD,
      backendName: NATIVE,
      kernelFunc: ({ inputs, backend, attrs }) => {
        const { dy, x, mean, variance, gamma } = inputs as Record<string, tf.TensorInfo>;
        const c = mean.shape[0];
        const [dx, dgamma, dbeta] = [alloc(tf.util.sizeFromShape(x.shape)), alloc(c), alloc(c)];
        const eps = (attrs as { epsilon: number }).epsilon;
        addon.bnTrainGrad(f32(backend, dy), f32(backend, x), f32(backend, mean), f32(backend, variance), f32(backend, gamma), eps, dx, dgamma, dbeta);
        nativeCalls.set(TRAIN_GRAD, (nativeCalls.get(TRAIN_GRAD) ?? 0) + 1);
        const b = backend as Backend;
        return [b.makeTensorInfo(x.shape, 'float32', dx), b.makeTensorInfo(gamma.shape, 'float32', dgamma), b.makeTensorInfo(gamma.shape, 'float32', dbeta)];
      },
    },
  ];
}

/** The fields of tfjs-layers' BatchNormalization this code reads. */
interface BatchNormLayer {
  axis: number;
  momentum: number;
  epsilon: number;
  gamma: tf.LayerVariable | null;
  beta: tf.LayerVariable | null;
  movingMean: tf.LayerVariable;
  movingVariance: tf.LayerVariable;
}

const run = (name: string, inputs: tf.NamedTensorMap, attrs: object = {}): tf.Tensor[] =>
  tf.engine().runKernel(name, inputs, attrs as tf.NamedAttrMap) as unknown as tf.Tensor[];

/** y = batchNorm(x) with the batch's statistics, and its full gradient, as one op on the tape. */
function trainingBatchNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number): { y: tf.Tensor; mean: tf.Tensor; variance: tf.Tensor } {
  const [mean, variance] = run(MOMENTS, { x });
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xs, g, b, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    save([xs, g]);
    const value = tf.batchNorm(xs, mean, variance, b, g, epsilon);
    return {
      value,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [sx, sg] = saved;
        return run(TRAIN_GRAD, { dy: dy as tf.Tensor, x: sx, mean, variance, gamma: sg }, { epsilon });
      },
    };
  });
  return { y: op(x, gamma, beta) as tf.Tensor, mean, variance };
}

const PATCHED = Symbol.for('layerlens.nativeBatchNorm');

export function registerNativeBatchNorm(addon: NativeAddon): void {
  for (const k of kernels(addon)) {
    if (tf.getKernel(k.kernelName, NATIVE) == null) tf.registerKernel(k);
  }
  const g = globalThis as { [PATCHED]?: boolean };
  if (g[PATCHED]) return;
  g[PATCHED] = true;
  const proto = Object.getPrototypeOf(tf.layers.batchNormalization({})) as { call(inputs: tf.Tensor | tf.Tensor[], kwargs: tf.serialization.ConfigDict): tf.Tensor | tf.Tensor[] };
  const stockCall = proto.call;
  proto.call = function (this: BatchNormLayer, inputs, kwargs) {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const training = kwargs?.['training'] === true;
    const lastAxis = this.axis === -1 || this.axis === x.rank - 1;
    const covered = training && tf.getBackend() === NATIVE && (!Array.isArray(inputs) || inputs.length === 1) && lastAxis && x.dtype === 'float32' && x.size > 0;
    if (!covered || this.gamma == null || this.beta == null || x.rank < 2) return stockCall.call(this, inputs, kwargs);
    return tf.tidy(() => {
      const { y, mean, variance } = trainingBatchNorm(x, this.gamma!.read(), this.beta!.read(), this.epsilon);
      // the moving averages exactly as the layer updates them
      for (const [variable, value] of [
        [this.movingMean, mean],
        [this.movingVariance, variance],
      ] as const) {
        tf.tidy(() => {
          const orig = variable.read();
          variable.write(tf.sub(orig, tf.mul(tf.sub(orig, value), 1 - this.momentum)));
        });
      }
      return y;
    });
  };
}
