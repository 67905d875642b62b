// Gradient of FusedBatchNorm that broadcasts the per-channel factors instead of tiling them to the size of
// x: the stock tfjs-core gradient spends > 1 s per ResNet-20 step in the slow wasm Tile kernel.
// Registered globally (gradients are not per backend); the maths is the stock one.
import * as tf from '../tf';

/** Sums t over the axes along which `shape` was broadcast to t's shape, then gives it exactly `shape`. */
function reduceTo(t: tf.Tensor, shape: number[]): tf.Tensor {
  const axes = tf.backend_util.getReductionAxes(shape, t.shape);
  return tf.reshape(axes.length > 0 ? tf.sum(t, axes) : t, shape);
}

type BatchNormGradFunc = (dy: tf.Tensor, saved: tf.Tensor[], attrs: tf.NamedAttrMap) => Record<string, () => tf.Tensor> | undefined;

/** A backend's fused version (the native backend's: all five gradients in one kernel); undefined: not here. */
let fusedHook: BatchNormGradFunc | undefined;
export function setBatchNormGradHook(hook: BatchNormGradFunc): void {
  fusedHook = hook;
}

export const fusedBatchNormGradConfig: tf.GradConfig = {
  kernelName: 'FusedBatchNorm',
  inputsToSave: ['x', 'mean', 'variance', 'scale'],
  gradFunc: (dyIn, saved, attrs) => {
    const fused = fusedHook?.(dyIn as tf.Tensor, saved, attrs);
    if (fused != null) return fused;
    const dy = dyIn as tf.Tensor;
    const [x, mean, variance, scale] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor | undefined];
    const { varianceEpsilon } = attrs as unknown as tf.FusedBatchNormAttrs;
    // Each closure runs in its own tidy, so nothing is shared between them; all full-size work is lazy.
    const rs = (): tf.Tensor => tf.rsqrt(tf.add(variance, tf.scalar(varianceEpsilon)));
    const scaled = (t: tf.Tensor): tf.Tensor => (scale == null ? t : tf.mul(t, scale));
    const sumDyXc = (): tf.Tensor => reduceTo(tf.mul(dy, tf.sub(x, mean)), mean.shape); // sum dy * (x - mean)
    return {
      x: () => tf.reshape(tf.mul(dy, scaled(rs())), x.shape),
      mean: () => tf.reshape(tf.neg(tf.mul(scaled(rs()), reduceTo(dy, mean.shape))), mean.shape),
      variance: () => {
        const r = rs();
        return tf.reshape(tf.mul(scaled(tf.mul(tf.mul(r, tf.square(r)), tf.scalar(-0.5))), sumDyXc()), mean.shape);
      },
      scale: () => tf.reshape(tf.mul(sumDyXc(), rs()), scale == null ? mean.shape : scale.shape),
      offset: () => reduceTo(dy, mean.shape),
    };
  },
};
