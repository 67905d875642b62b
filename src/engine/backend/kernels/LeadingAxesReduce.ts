// Sum and Mean over leading axes (e.g. axes [0,1,2] of an NHWC tensor: batch-norm moments and their
// gradients, bias gradients) for the wasm backend. The stock kernels transpose the reduced axes to the end
// first, which costs far more than the reduction; here it is a column sum of the [outer, inner] view, in
// float64 like the cpu backend. Every other case (other axes, all axes, non-float32, empty) goes to the stock
// kernel.
import * as tf from '../tf';
import { asWasmBackend, input, stockWasmKernel, type KernelArgs } from './wasmBackend';

/** How many leading axes `axis` names when it is exactly [0, 1, ..., k-1] with 0 < k < rank, else 0. */
export function leadingAxesCount(axis: number | number[], rank: number): number {
  if (rank < 2) return 0;
  const axes = [...new Set(tf.util.parseAxisParam(axis, new Array<number>(rank).fill(1)))].sort((a, b) => a - b);
  if (axes.length === 0 || axes.length >= rank) return 0;
  return axes.every((a, i) => a === i) ? axes.length : 0;
}

/** acc[c] = sum over r of x[r * inner + c], in float64; eight rows per pass (halves the time of one). */
function columnSums(x: Float32Array, outer: number, inner: number): Float64Array {
  const acc = new Float64Array(inner);
  const step8 = 8 * inner;
  let r = 0;
  let off = 0;
  for (; r + 8 <= outer; r += 8, off += step8) {
    for (let c = 0; c < inner; c++) {
      const o = off + c;
      const a = x[o] + x[o + inner] + (x[o + 2 * inner] + x[o + 3 * inner]);
      const b = x[o + 4 * inner] + x[o + 5 * inner] + (x[o + 6 * inner] + x[o + 7 * inner]);
      acc[c] += a + b;
    }
  }
  for (; r < outer; r++, off += inner) {
    for (let c = 0; c < inner; c++) acc[c] += x[off + c];
  }
  return acc;
}

function makeConfig(name: 'Sum' | 'Mean'): tf.KernelConfig {
  const stock = (): tf.KernelConfig => {
    const k = stockWasmKernel(name);
    if (k == null) throw new Error(`${name}: the stock wasm kernel is missing`);
    return k;
  };
  return {
    kernelName: name,
    backendName: 'wasm',
    // tfjs runs setup funcs only for the kernel registered when the backend initialises: ours, so run stock's
    setupFunc: (backend) => stockWasmKernel(name)?.setupFunc?.(backend),
    kernelFunc: (args: KernelArgs) => {
      const x = input(args.inputs, 'x', name);
      const { axis, keepDims } = args.attrs as unknown as tf.SumAttrs;
      const k = x.dtype === 'float32' ? leadingAxesCount(axis, x.shape.length) : 0;
      const size = tf.util.sizeFromShape(x.shape);
      if (k === 0 || size === 0) return stock().kernelFunc(args);
      const b = asWasmBackend(args.backend, name);
      const outer = tf.util.sizeFromShape(x.shape.slice(0, k));
      const inner = size / outer;
      const outShape = keepDims ? [...x.shape.slice(0, k).map(() => 1), ...x.shape.slice(k)] : x.shape.slice(k);
      const out = b.makeOutput(outShape, 'float32');
      const xv = b.typedArrayFromHeap(x) as Float32Array; // views after the allocation
      const ov = b.typedArrayFromHeap(out) as Float32Array;
      const acc = columnSums(xv, outer, inner);
      if (name === 'Mean') for (let c = 0; c < inner; c++) ov[c] = acc[c] / outer;
      else ov.set(acc);
      return out;
    },
  };
}

export const sumConfig = makeConfig('Sum');
export const meanConfig = makeConfig('Mean');
