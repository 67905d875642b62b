// The 'native' TensorFlow.js backend: tfjs's cpu backend (plain typed-array storage and the long tail of
// ops) with the hot kernels running in the C++/oneDNN addon. Registered once per process, on demand.
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '../tf';
import { loadAddon } from './addon';
import { NATIVE, nativeKernelConfigs } from './kernels';
import { registerNativeBatchNorm } from './batchnorm';
import { registerNativeGradients } from './gradients';
import { patchOptimizers } from './optimizers';
import { expose, release } from './pool';

export { loadAddon };

class NativeBackend extends MathBackendCPU {
  constructor() {
    super();
    // the cpu backend's "looks like you are running in Node.js" banner does not apply here
    (this as unknown as { firstUse: boolean }).firstUse = false;
  }

  // the caller gets the storage itself (no copy), so it may outlive the tensor: never reuse it
  override readSync(dataId: object): ReturnType<MathBackendCPU['readSync']> {
    const v = super.readSync(dataId);
    expose(v);
    return v;
  }

  override async read(dataId: object): ReturnType<MathBackendCPU['read']> {
    const v = await super.read(dataId);
    expose(v);
    return v;
  }

  // storage of a disposed tensor goes back to the pool (pool.ts decides whether it may)
  override disposeData(dataId: object, force = false): boolean {
    const values = this.data.has(dataId) ? this.data.get(dataId)?.values : undefined;
    const removed = super.disposeData(dataId, force);
    if (removed && values != null && !this.data.has(dataId)) release(values);
    return removed;
  }
}

/** Registers the backend and its kernels; returns why it cannot, or undefined when it is ready. */
export function registerNativeBackend(): string | undefined {
  const { addon, why } = loadAddon();
  if (addon == null) return why;
  if (tf.findBackendFactory(NATIVE) == null) {
    // lowest priority: tfjs never picks it by itself, only initBackend() does
    tf.registerBackend(NATIVE, () => new NativeBackend(), 0);
  }
  for (const k of nativeKernelConfigs(addon)) {
    if (tf.getKernel(k.kernelName, NATIVE) != null) tf.unregisterKernel(k.kernelName, NATIVE);
    tf.registerKernel(k);
  }
  registerNativeGradients(addon);
  registerNativeBatchNorm(addon);
  patchOptimizers(addon);
  return undefined;
}
