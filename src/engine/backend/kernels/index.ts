// The project's training kernels for the tfjs wasm backend (tfjs 4.22 pinned: they use wasm internals).
import * as tf from '../tf';
import { conv2DBackpropFilterConfig } from './Conv2DBackpropFilter';
import { conv2DBackpropInputConfig } from './Conv2DBackpropInput';
import { depthwiseConv2dNativeBackpropFilterConfig } from './DepthwiseConv2dNativeBackpropFilter';
import { depthwiseConv2dNativeBackpropInputConfig } from './DepthwiseConv2dNativeBackpropInput';
import { fusedBatchNormGradConfig } from './FusedBatchNormGrad';
import { meanConfig, sumConfig } from './LeadingAxesReduce';
import { unsortedSegmentSumConfig } from './UnsortedSegmentSum';
import { STOCK_KERNELS, type StockKernels } from './wasmBackend';

export { fusedBatchNormGradConfig };

export const wasmTrainingKernels: readonly tf.KernelConfig[] = [
  conv2DBackpropFilterConfig,
  conv2DBackpropInputConfig,
  depthwiseConv2dNativeBackpropFilterConfig,
  depthwiseConv2dNativeBackpropInputConfig,
  unsortedSegmentSumConfig,
  sumConfig,
  meanConfig,
];

// What was registered before ours (stock tfjs has Conv2DBackpropInput, Sum, Mean and the FusedBatchNorm
// gradient), captured once per process (tfjs's registry is global, this module may be loaded more than once)
// so that unregisterWasmTrainingKernels() can put it back and our Sum/Mean can fall back to it.
const STOCK = STOCK_KERNELS;

// tfjs's own FusedBatchNorm gradient, remembered before ours replaces it (the native backend may do that
// before the wasm backend is ever loaded, so it is kept apart from the wasm kernels)
const STOCK_BN_GRAD = Symbol.for('layerlens.stockBatchNormGrad');

function stockBatchNormGrad(): tf.GradConfig | undefined {
  const g = globalThis as { [STOCK_BN_GRAD]?: { grad: tf.GradConfig | undefined } };
  g[STOCK_BN_GRAD] ??= { grad: tf.getGradient('FusedBatchNorm') };
  return g[STOCK_BN_GRAD].grad;
}

/** Only once the wasm backend's module is loaded (its stock kernels registered). */
function captureStock(): StockKernels {
  const g = globalThis as { [STOCK]?: StockKernels };
  if (g[STOCK] == null) {
    const kernels = new Map<string, tf.KernelConfig>();
    for (const k of wasmTrainingKernels) {
      const existing = tf.getKernel(k.kernelName, 'wasm');
      if (existing != null) kernels.set(k.kernelName, existing);
    }
    g[STOCK] = { kernels, batchNormGrad: stockBatchNormGrad() };
  }
  return g[STOCK];
}

function replaceKernel(config: tf.KernelConfig): void {
  if (tf.getKernel(config.kernelName, config.backendName) != null) {
    tf.unregisterKernel(config.kernelName, config.backendName);
  }
  tf.registerKernel(config);
}

/** tfjs warns "Overriding the gradient for ..." through its logger; PROD mode mutes that logger. */
function registerGradientQuietly(config: tf.GradConfig): void {
  const env = tf.env();
  const prod = env.getBool('PROD');
  env.set('PROD', true);
  try {
    tf.registerGradient(config);
  } finally {
    env.set('PROD', prod);
  }
}

/** Registers (again) the project's wasm training kernels and the Tile-free FusedBatchNorm gradient. */
export function registerWasmTrainingKernels(): void {
  captureStock();
  for (const k of wasmTrainingKernels) replaceKernel(k);
  registerGradientQuietly(fusedBatchNormGradConfig);
}

/** The Tile-free FusedBatchNorm gradient alone (gradients are global; the native backend wants it too). */
export function registerBatchNormGradient(): void {
  stockBatchNormGrad();
  registerGradientQuietly(fusedBatchNormGradConfig);
}

/** Back to stock tfjs (for comparisons and benchmarks): ours removed, the stock ones restored. */
export function unregisterWasmTrainingKernels(): void {
  const s = captureStock();
  for (const k of wasmTrainingKernels) {
    if (tf.getKernel(k.kernelName, 'wasm') != null) tf.unregisterKernel(k.kernelName, 'wasm');
    const original = s.kernels.get(k.kernelName);
    if (original == null) continue;
    tf.registerKernel(original);
    // tfjs runs setup funcs only when a backend initialises; ours may have displaced the stock one before that
    const wasm = tf.engine().registry['wasm'];
    if (wasm != null) original.setupFunc?.(wasm);
  }
  if (s.batchNormGrad != null) registerGradientQuietly(s.batchNormGrad);
}
