// Shared plumbing for the project's wasm training kernels. They reach into tfjs-backend-wasm 4.22 internals,
// so @tensorflow/tfjs and @tensorflow/tfjs-backend-wasm must stay pinned to exactly that version.
import * as tf from '../tf';

/** The part of tfjs-backend-wasm's BackendWasm (internal API) that the kernels use. */
export interface WasmBackend {
  wasm: { HEAPF32: Float32Array };
  dataIdMap: { get(dataId: tf.DataId): { id: number; memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number, values?: tf.BackendValues): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): tf.TypedArray;
  disposeData(dataId: tf.DataId, force?: boolean): boolean;
}

/** The wasm kernels registered before the project's (stock tfjs), captured once per process by ./index.ts. */
export interface StockKernels {
  kernels: Map<string, tf.KernelConfig>;
  batchNormGrad: tf.GradConfig | undefined;
}
export const STOCK_KERNELS = Symbol.for('layerlens.wasmStockKernels');

/** The stock wasm kernel that one of ours displaced (undefined before capture or where stock has none). */
export function stockWasmKernel(name: string): tf.KernelConfig | undefined {
  return (globalThis as { [STOCK_KERNELS]?: StockKernels })[STOCK_KERNELS]?.kernels.get(name);
}

/** What tfjs passes to a kernel function. */
export type KernelArgs = Parameters<tf.KernelFunc>[0];

export function asWasmBackend(backend: object, kernel: string): WasmBackend {
  const b = backend as Partial<WasmBackend>;
  if (typeof b.makeOutput !== 'function' || typeof b.typedArrayFromHeap !== 'function' || b.dataIdMap == null || b.wasm == null) {
    throw new Error(`${kernel}: this kernel only runs on the tfjs wasm backend`);
  }
  return b as WasmBackend;
}

export function input(inputs: tf.NamedTensorInfoMap, name: string, kernel: string): tf.TensorInfo {
  const t = inputs[name];
  if (t == null) throw new Error(`${kernel}: missing input '${name}'`);
  return t;
}

export function requireFloat32(t: tf.TensorInfo, name: string, kernel: string): void {
  if (t.dtype !== 'float32') throw new Error(`${kernel}: '${name}' must be float32, got ${t.dtype}`);
}

/** Float offset of a tensor in HEAPF32. Read HEAPF32 itself only after the last allocation: growth replaces it. */
export function heapOffsetF32(backend: WasmBackend, t: tf.TensorInfo): number {
  const data = backend.dataIdMap.get(t.dataId);
  if (data == null) throw new Error('tensor is not on the wasm backend (disposed or on another backend)');
  return data.memoryOffset >>> 2;
}

/** Runs one of the stock wasm kernels directly (no engine bookkeeping: the caller disposes what it creates). */
export function runWasmKernel(
  name: string,
  inputs: tf.NamedTensorInfoMap,
  backend: WasmBackend,
  attrs: tf.NamedAttrMap = {},
): tf.TensorInfo {
  const kernel = tf.getKernel(name, 'wasm');
  if (kernel == null) throw new Error(`wasm kernel '${name}' is not registered`);
  const out = kernel.kernelFunc({ inputs, backend, attrs });
  if (Array.isArray(out)) throw new Error(`wasm kernel '${name}' returned several outputs`);
  return out;
}

/** The same data seen with another shape of equal size (no copy, no ref count: use only as a kernel input). */
export function view(t: tf.TensorInfo, shape: number[]): tf.TensorInfo {
  return { dataId: t.dataId, shape, dtype: t.dtype };
}

export function nhwcConvInfo(
  kernel: string,
  inShape: number[],
  filterShape: number[],
  strides: [number, number] | number,
  dilations: [number, number] | number,
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding,
  dimRoundingMode: 'floor' | 'round' | 'ceil' | undefined,
  depthwise: boolean,
  dataFormat: 'NHWC' | 'NCHW' = 'NHWC',
): tf.backend_util.Conv2DInfo {
  if (dataFormat !== 'NHWC') throw new Error(`${kernel}: only NHWC is supported on wasm, got ${dataFormat}`);
  if (inShape.length !== 4 || filterShape.length !== 4) {
    throw new Error(`${kernel}: expected rank-4 input and filter, got [${inShape}] and [${filterShape}]`);
  }
  return tf.backend_util.computeConv2DInfo(
    inShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    dilations,
    pad,
    dimRoundingMode,
    depthwise,
    'channelsLast',
  );
}
