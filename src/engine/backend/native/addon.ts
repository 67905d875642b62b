// Loads the C++ addon of the native backend (native/, built at `npm install` when a compiler and oneDNN
// are there; see native/install.mjs). Optional: when it is missing, loadAddon() says why and the backend
// chooser moves on to wasm.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The addon's functions (native/src/*.cc); every buffer is read or written in place. */
export interface NativeAddon {
  readonly dnnlVersion: string;
  threads(n?: number): number;
  conv2d(x: Float32Array, w: Float32Array, bias: Float32Array | null, y: Float32Array, dims: Int32Array, relu: boolean): void;
  conv2dBackwardData(dy: Float32Array, w: Float32Array, dx: Float32Array, dims: Int32Array): void;
  conv2dBackwardFilter(x: Float32Array, dy: Float32Array, dw: Float32Array, dbias: Float32Array | null, dims: Int32Array): void;
  matmul(a: Float32Array, b: Float32Array, bias: Float32Array | null, out: Float32Array, dims: Int32Array, relu: boolean): void;
  pool(x: Float32Array, y: Float32Array, dims: Int32Array): void;
  poolBackward(dy: Float32Array, x: Float32Array, dx: Float32Array, dims: Int32Array): void;
  binary(op: number, a: Float32Array, b: Float32Array, out: Float32Array, dims: Int32Array): void;
  binaryStrided(op: number, a: Float32Array, b: Float32Array, out: Float32Array, dims: Int32Array): void;
  unary(op: number, x: Float32Array, out: Float32Array, alpha?: number): void;
  reduce(op: number, x: Float32Array, out: Float32Array, dims: Int32Array): void;
  batchNorm(
    x: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    offset: Float32Array | null,
    scale: Float32Array | null,
    out: Float32Array,
    channels: number,
    eps: number,
  ): void;
  reluGrad(dy: Float32Array, x: Float32Array, out: Float32Array): void;
  moments(x: Float32Array, mean: Float32Array, variance: Float32Array): void;
  bnTrainGrad(
    dy: Float32Array,
    x: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    gamma: Float32Array,
    eps: number,
    dx: Float32Array,
    dgamma: Float32Array,
    dbeta: Float32Array,
  ): void;
  batchNormGrad(
    dy: Float32Array,
    x: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    scale: Float32Array | null,
    eps: number,
    dx: Float32Array,
    dmean: Float32Array,
    dvariance: Float32Array,
    dscale: Float32Array,
    doffset: Float32Array,
  ): void;
  adam(
    param: Float32Array,
    grad: Float32Array,
    m: Float32Array,
    v: Float32Array,
    outParam: Float32Array,
    outM: Float32Array,
    outV: Float32Array,
    hyper: Float64Array,
  ): void;
  momentum(param: Float32Array, grad: Float32Array, acc: Float32Array, outParam: Float32Array, outAcc: Float32Array, hyper: Float64Array): void;
  /** Which implementation oneDNN picked for each cached primitive (profiling). */
  impls(): Record<string, string>;
}

let loaded: { addon?: NativeAddon; why?: string } | undefined;

/** The folder holding binding.gyp: LAYERLENS_NATIVE_DIR, else found upwards from this module (source and bundle). */
function nativeDir(): string | undefined {
  const override = process.env.LAYERLENS_NATIVE_DIR; // e.g. a packaged app's resources folder
  if (override) return override;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'native', 'binding.gyp'))) return join(dir, 'native');
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/** The addon, or why it cannot be used (not built, or built for another Node/oneDNN). */
export function loadAddon(): { addon?: NativeAddon; why?: string } {
  if (loaded) return loaded;
  const dir = nativeDir();
  if (dir == null) return (loaded = { why: 'native/ folder not found' });
  // OpenMP threads that spin between parallel regions steal the core from the other thread (or another
  // process) and make each region wait for a descheduled spinner: on a shared 2-core machine that measured
  // 10-20x slower per op; sleeping threads cost a wake-up of microseconds. libgomp reads this when it loads.
  process.env.OMP_WAIT_POLICY ??= 'passive';
  try {
    const require = createRequire(import.meta.url);
    const load = require('node-gyp-build') as (d: string) => NativeAddon;
    loaded = { addon: load(dir) };
  } catch (err) {
    const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
    loaded = {
      why: /No native build was found/.test(msg)
        ? 'addon not built (needs a C++ compiler and libdnnl-dev at npm install; rebuild: node native/install.mjs)'
        : `addon does not load: ${msg}`,
    };
  }
  return loaded;
}
