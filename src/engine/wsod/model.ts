/**
 * The detector's networks as tfjs LayersModels with named layers (so quantization, low rank and export find
 * them): a small fully-convolutional backbone (stride 4) and the RoI head (fc → WSDDN cls/det streams and the
 * refinement streams). RoI features are sampled in plain TypeScript from the backbone's feature map: the
 * backbone is frozen after its classifier pre-training (NOTES.md), so nothing needs a gradient through them.
 */
import * as tf from '../backend/tf';
import type { PixelBox } from './meas';

export interface Architecture {
  /** filters of the three 3×3 convs (pool ×2 after the first two: stride 4) */
  widths: [number, number, number];
  /** RoI grid side: each proposal becomes grid × grid × widths[2] features */
  roiGrid: number;
  /** width of the shared fc layer of the head */
  fc: number;
  /** OICR refinement streams after the WSDDN streams */
  refineStages: number;
  /** bilinear samples per bin side (RoIAlign's sampling ratio) */
  roiSamples: number;
}

export const DEFAULT_ARCH: Architecture = { widths: [16, 32, 64], roiGrid: 4, fc: 128, refineStages: 2, roiSamples: 1 };
export const STRIDE = 4;

const init = (seed: number) => tf.initializers.glorotUniform({ seed });

/** Fully convolutional: any H×W×channels in, (H/4)×(W/4)×widths[2] out. */
export function buildBackbone(arch: Architecture, channels: number, seed: number): tf.LayersModel {
  const [a, b, c] = arch.widths;
  return tf.sequential({
    name: 'wsod_backbone',
    layers: [
      tf.layers.conv2d({ name: 'conv1', inputShape: [null, null, channels] as unknown as number[], filters: a, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(seed) }),
      tf.layers.maxPooling2d({ name: 'pool1', poolSize: 2 }),
      tf.layers.conv2d({ name: 'conv2', filters: b, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(seed + 1) }),
      tf.layers.maxPooling2d({ name: 'pool2', poolSize: 2 }),
      tf.layers.conv2d({ name: 'conv3', filters: c, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(seed + 2) }),
    ],
  });
}

/**
 * The pre-training classifier, shaped like the head on one RoI (VGG's pool5 → fc6 that WSDDN reuses): the
 * backbone's map of a canvas of side 4·grid·k, average-pooled k × k down to grid × grid, flattened, the shared
 * `fc` layer (whose weights then initialise the head's), and softmax over the object classes + background.
 */
export function classifierOn(backbone: tf.LayersModel, arch: Architecture, canvas: number, classes: number, seed: number): tf.LayersModel {
  const k = canvas / STRIDE / arch.roiGrid;
  if (!Number.isInteger(k)) throw new Error(`pre-training canvas ${canvas} is not a multiple of ${STRIDE * arch.roiGrid}`);
  // the backbone's layers (shared weights) on a fixed-size input, so flatten knows its size
  const input = tf.input({ shape: [canvas, canvas, (backbone.inputs[0].shape[3] as number) ?? 1], name: 'pretrain_canvas' });
  let h: tf.SymbolicTensor = input;
  for (const layer of backbone.layers) h = layer.apply(h) as tf.SymbolicTensor;
  const pooled = tf.layers.averagePooling2d({ name: 'pretrain_pool', poolSize: k, strides: k }).apply(h) as tf.SymbolicTensor;
  const flat = tf.layers.flatten({ name: 'pretrain_flatten' }).apply(pooled) as tf.SymbolicTensor;
  const fc = tf.layers.dense({ name: 'fc', units: arch.fc, activation: 'relu', kernelInitializer: init(seed + 10) }).apply(flat) as tf.SymbolicTensor;
  const out = tf.layers.dense({ name: 'pretrain_out', units: classes + 1, activation: 'softmax', kernelInitializer: init(seed + 3) }).apply(fc) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: 'wsod_pretrain' });
}

const HEAD_OUTPUTS = (refineStages: number) => ['cls', 'det', ...Array.from({ length: refineStages }, (_, k) => `ref${k + 1}`)];

/** RoI features [R, D] → WSDDN logits cls [R, C], det [R, C], then refinement logits ref_k [R, C + 1] (last = background). */
export function buildHead(arch: Architecture, classes: number, seed: number): tf.LayersModel {
  const dim = arch.roiGrid * arch.roiGrid * arch.widths[2];
  const input = tf.input({ shape: [dim], name: 'roi_features' });
  const fc = tf.layers.dense({ name: 'fc', units: arch.fc, activation: 'relu', kernelInitializer: init(seed + 10) }).apply(input) as tf.SymbolicTensor;
  const outputs = HEAD_OUTPUTS(arch.refineStages).map(
    (name, k) => tf.layers.dense({ name, units: k < 2 ? classes : classes + 1, kernelInitializer: init(seed + 11 + k) }).apply(fc) as tf.SymbolicTensor,
  );
  return tf.model({ inputs: input, outputs, name: 'wsod_head' });
}

/** One image's feature map: fh × fw × ch, row-major HWC. */
export interface FeatureMap {
  data: Float32Array;
  fh: number;
  fw: number;
  ch: number;
}

/**
 * RoIAlign in TypeScript: each box → grid × grid bins, each bin the mean of samples × samples bilinear samples
 * of the map (map coordinates = pixel / stride − 0.5, clamped to the map). Writes R × grid × grid × ch into `out`.
 */
export function roiAlign(map: FeatureMap, boxes: readonly PixelBox[], grid: number, stride: number, out: Float32Array, offset = 0, samples = 1): void {
  const { data, fh, fw, ch } = map;
  const per = grid * grid * ch;
  const acc = new Float32Array(ch);
  boxes.forEach((b, r) => {
    const bw = (b.x2 - b.x1) / grid;
    const bh = (b.y2 - b.y1) / grid;
    for (let gy = 0; gy < grid; gy++) {
      for (let gx = 0; gx < grid; gx++) {
        acc.fill(0);
        const share = 1 / (samples * samples);
        for (let sy = 0; sy < samples; sy++) {
          const y = Math.min(fh - 1, Math.max(0, (b.y1 + (gy + (sy + 0.5) / samples) * bh) / stride - 0.5));
          const y0 = Math.floor(y);
          const y1 = Math.min(fh - 1, y0 + 1);
          const wy = y - y0;
          for (let sx = 0; sx < samples; sx++) {
            const x = Math.min(fw - 1, Math.max(0, (b.x1 + (gx + (sx + 0.5) / samples) * bw) / stride - 0.5));
            const x0 = Math.floor(x);
            const x1 = Math.min(fw - 1, x0 + 1);
            const wx = x - x0;
            const w00 = (1 - wy) * (1 - wx) * share;
            const w01 = (1 - wy) * wx * share;
            const w10 = wy * (1 - wx) * share;
            const w11 = wy * wx * share;
            const p00 = (y0 * fw + x0) * ch;
            const p01 = (y0 * fw + x1) * ch;
            const p10 = (y1 * fw + x0) * ch;
            const p11 = (y1 * fw + x1) * ch;
            for (let c = 0; c < ch; c++) acc[c] += w00 * data[p00 + c] + w01 * data[p01 + c] + w10 * data[p10 + c] + w11 * data[p11 + c];
          }
        }
        out.set(acc, offset + r * per + (gy * grid + gx) * ch);
      }
    }
  });
}

/** Feature maps of images (HWC uint8) through the backbone, `batch` at a time. */
export function featureMaps(backbone: tf.LayersModel, images: { pixels: Uint8Array; width: number; height: number; channels: number }[], batch = 32): FeatureMap[] {
  const maps: FeatureMap[] = [];
  for (let s = 0; s < images.length; s += batch) {
    const part = images.slice(s, s + batch);
    const { width: w, height: h, channels: c } = part[0];
    // images of one size go through together; a different size gets its own pass
    const same = part.every((im) => im.width === w && im.height === h && im.channels === c);
    const groups = same ? [part] : part.map((im) => [im]);
    for (const g of groups) {
      const { width, height, channels } = g[0];
      const x = new Float32Array(g.length * width * height * channels);
      g.forEach((im, i) => {
        for (let k = 0; k < im.pixels.length; k++) x[i * im.pixels.length + k] = im.pixels[k] / 255;
      });
      const y = tf.tidy(() => backbone.predict(tf.tensor4d(x, [g.length, height, width, channels])) as tf.Tensor4D);
      const [, fh, fw, ch] = y.shape;
      const all = y.dataSync() as Float32Array;
      y.dispose();
      for (let i = 0; i < g.length; i++) maps.push({ data: all.slice(i * fh * fw * ch, (i + 1) * fh * fw * ch), fh, fw, ch });
    }
  }
  return maps;
}
