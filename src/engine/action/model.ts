/**
 * The two-stream network: an RGB stream on single frames and a motion stream on stacked flow, each a small CNN
 * trunk with a coarse-to-fine head (one branch per granularity, the coarse feature integrated into the fine one,
 * a classifier per level) or a fine-only head; then the fusion unit that pairs the RGB feature at time t with the
 * flow feature at t + d for each offset d (a shared MLP per pair, learned per-class weights over the offsets) and
 * averages over the reference times. Synchronous fusion is the same unit with the single offset 0.
 */
import * as tf from '../backend/tf';
import { makeRng } from '../core/random';

type Levels = 'coarse-to-fine' | 'fine';

export interface ActionArch {
  /** frames per clip the network reads (clips are resampled to it) */
  frames: number;
  height: number;
  width: number;
  rgbChannels: number;
  /** flow fields stacked per motion-stream input (2 channels each) */
  flowStack: number;
  /** width of the per-level features and of the integrated feature */
  feature: number;
  /** width of the fusion MLP */
  hidden: number;
  levels: Levels;
  classes: number;
  coarseClasses: number;
  /** frame offsets d of the flow feature paired with the RGB feature at t */
  offsets: number[];
}

export interface ActionModel {
  arch: ActionArch;
  rgb: tf.LayersModel;
  flow: tf.LayersModel;
  fusion: { w1: tf.Variable; b1: tf.Variable; w2: tf.Variable; b2: tf.Variable; offsetLogits: tf.Variable };
}

function buildStream(name: string, arch: ActionArch, channels: number, seed: number): tf.LayersModel {
  let k = 0;
  const init = () => tf.initializers.glorotUniform({ seed: seed * 101 + k++ });
  const input = tf.input({ shape: [arch.height, arch.width, channels], name: `${name}_in` });
  // frames are pooled to half size first: the cues are coarse shapes and motions, and one core must train it
  let x = tf.layers.averagePooling2d({ poolSize: 2 }).apply(input) as tf.SymbolicTensor;
  for (const filters of [8, 16]) {
    x = tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init() }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.maxPooling2d({ poolSize: 2 }).apply(x) as tf.SymbolicTensor;
  }
  x = tf.layers.flatten().apply(x) as tf.SymbolicTensor;
  const trunk = tf.layers.dense({ units: 64, activation: 'relu', kernelInitializer: init() }).apply(x) as tf.SymbolicTensor;
  const dense = (units: number, activation: 'relu' | 'linear', n: string) =>
    tf.layers.dense({ units, activation, kernelInitializer: init(), name: `${name}_${n}` });
  if (arch.levels === 'fine') {
    const h = dense(arch.feature, 'relu', 'fine_feature').apply(trunk) as tf.SymbolicTensor;
    const fine = dense(arch.classes, 'linear', 'fine_logits').apply(h) as tf.SymbolicTensor;
    return tf.model({ inputs: input, outputs: [h, fine], name });
  }
  // coarse-to-fine: f_coarse and f_fine from the shared trunk, h_fine = relu(W [f_coarse ; f_fine])
  const fCoarse = dense(arch.feature, 'relu', 'coarse_feature').apply(trunk) as tf.SymbolicTensor;
  const fFine = dense(arch.feature, 'relu', 'fine_branch').apply(trunk) as tf.SymbolicTensor;
  const joined = tf.layers.concatenate().apply([fCoarse, fFine]) as tf.SymbolicTensor;
  const h = dense(arch.feature, 'relu', 'fine_feature').apply(joined) as tf.SymbolicTensor;
  const fine = dense(arch.classes, 'linear', 'fine_logits').apply(h) as tf.SymbolicTensor;
  const coarse = dense(arch.coarseClasses, 'linear', 'coarse_logits').apply(fCoarse) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: [h, fine, coarse], name });
}

/** Glorot-uniform matrix drawn from a seeded RNG. */
function glorot(rows: number, cols: number, rng: () => number): tf.Tensor2D {
  const lim = Math.sqrt(6 / (rows + cols));
  return tf.tensor2d(Float32Array.from({ length: rows * cols }, () => (rng() * 2 - 1) * lim), [rows, cols]);
}

export function buildActionModel(arch: ActionArch, seed: number): ActionModel {
  const rng = makeRng(seed * 7919 + 17);
  return {
    arch,
    rgb: buildStream('rgb', arch, arch.rgbChannels, seed),
    flow: buildStream('flow', arch, 2 * arch.flowStack, seed + 1000),
    fusion: {
      w1: tf.variable(glorot(2 * arch.feature, arch.hidden, rng)),
      b1: tf.variable(tf.zeros([arch.hidden])),
      w2: tf.variable(glorot(arch.hidden, arch.classes, rng)),
      b2: tf.variable(tf.zeros([arch.classes])),
      // uniform over the offsets at the start
      offsetLogits: tf.variable(tf.zeros([arch.offsets.length, arch.classes])),
    },
  };
}

/** Every weight of the model in a fixed order (what is saved, restored and optimised). */
export function modelVariables(m: ActionModel): tf.Variable[] {
  const f = m.fusion;
  const layerVars = (lm: tf.LayersModel) => lm.trainableWeights.map((w) => w.read() as tf.Variable);
  return [...layerVars(m.rgb), ...layerVars(m.flow), f.w1, f.b1, f.w2, f.b2, f.offsetLogits];
}

export function disposeActionModel(m: ActionModel): void {
  m.rgb.dispose();
  m.flow.dispose();
  Object.values(m.fusion).forEach((v) => v.dispose());
}

export interface ForwardOut {
  /** video-level fused logits [B, C] */
  fused: tf.Tensor2D;
  /** per-stream per-frame logits [B, T, C] (fine) and [B, T, Cc] (coarse, coarse-to-fine only) */
  rgbFine: tf.Tensor3D;
  flowFine: tf.Tensor3D;
  rgbCoarse: tf.Tensor3D | null;
  flowCoarse: tf.Tensor3D | null;
}

/** rgb [B·T, H, W, C], flow [B·T, H, W, 2S] → scores. Call inside tf.tidy. */
export function forward(m: ActionModel, rgb: tf.Tensor4D, flow: tf.Tensor4D, training: boolean): ForwardOut {
  const { frames: T, feature: F, classes: C, offsets } = m.arch;
  const B = rgb.shape[0] / T;
  const a = m.rgb.apply(rgb, { training }) as tf.Tensor[];
  const b = m.flow.apply(flow, { training }) as tf.Tensor[];
  const hA = a[0].reshape([B, T, F]);
  const hB = b[0].reshape([B, T, F]);
  const f = m.fusion;
  const H = m.arch.hidden;
  const J = offsets.length;
  // the first fusion layer on [hA(t) ; hB(t+d)] splits into hA·W1a + hB·W1b; the flow half is computed once and
  // shifted per offset (features outside the clip are zeros, and zeros stay zeros under W1b)
  const w1a = f.w1.slice([0, 0], [F, H]);
  const w1b = f.w1.slice([F, 0], [F, H]);
  // time-major [T, B, H] so the shift is one matmul with a constant 0/1 matrix (its gradient is a matmul too; a
  // gather's gradient was most of an async epoch's time)
  const preA = tf.matMul(hA.reshape([B * T, F]), w1a).reshape([B, T, H]).transpose([1, 0, 2]).reshape([1, T, B, H]);
  const preB = tf.matMul(hB.reshape([B * T, F]), w1b).reshape([B, T, H]).transpose([1, 0, 2]).reshape([T, B * H]);
  const shifted = tf.matMul(shiftMatrix(offsets, T), preB).reshape([J, T, B, H]);
  const hid = tf.relu(shifted.add(preA).add(f.b1));
  const perOffset = tf.matMul(hid.reshape([J * T * B, H]), f.w2).add(f.b2).reshape([J, T, B, C]);
  const weights = offsetSoftmax(f.offsetLogits).reshape([J, 1, 1, C]);
  const perTime = perOffset.mul(weights).sum(0);
  return {
    fused: perTime.mean(0) as tf.Tensor2D,
    rgbFine: a[1].reshape([B, T, C]),
    flowFine: b[1].reshape([B, T, C]),
    rgbCoarse: a[2] ? (a[2].reshape([B, T, m.arch.coarseClasses]) as tf.Tensor3D) : null,
    flowCoarse: b[2] ? (b[2].reshape([B, T, m.arch.coarseClasses]) as tf.Tensor3D) : null,
  };
}

/** [J·T, T] 0/1: row (j, t) picks frame t + offsets[j], none when that is outside the clip (zeros there). */
function shiftMatrix(offsets: readonly number[], T: number): tf.Tensor2D {
  const m = new Float32Array(offsets.length * T * T);
  offsets.forEach((d, j) => {
    for (let t = 0; t < T; t++) if (t + d >= 0 && t + d < T) m[(j * T + t) * T + t + d] = 1;
  });
  return tf.tensor2d(m, [offsets.length * T, T]);
}

/**
 * Offset weights from their logits: softmax over the offsets, per class, [J, C]. The logits are scaled up so that
 * Adam's per-step size (the same for every variable) moves these few weights as fast as the network's.
 */
const OFFSET_GAIN = 10;
function offsetSoftmax(logits: tf.Tensor): tf.Tensor2D {
  return tf.softmax(logits.mul(OFFSET_GAIN).transpose(), -1).transpose() as tf.Tensor2D;
}

/** Learned offset weights, [J][C]. */
export function offsetWeights(m: ActionModel): number[][] {
  return tf.tidy(() => offsetSoftmax(m.fusion.offsetLogits).arraySync() as number[][]);
}
