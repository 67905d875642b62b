/**
 * Compression on the detector: its weighted layers named `backbone/<layer>` and `head/<layer>`, a kernel
 * quantized in place (dequantized values, what every evaluation here runs), the bytes a layer takes at its
 * storage bits, RoI features cached once so that head-only changes skip the backbone, and a copy of a model
 * with another input shape (low rank and export need the backbone's spatial size; the detector wants it free).
 */
import * as tf from '../backend/tf';
import { UserError } from '../core/errors';
import type { DetectionImage } from '../data/types';
import { dequantize, levelCount, quantize, storageBits, type QuantizedTensor, type QuantSpec } from '../quant/quantizers';
import { quantLayers, readKernel, writeKernel, type QLayer } from '../quant/session';
import { headLogits, proposalsOf, roiFeatures, scoresFromLogits, withPixels, type Detector, type ImageScores } from './detector';
import { featureMaps } from './model';
import type { PixelBox } from './meas';

export type DetectorPart = 'backbone' | 'head';
export interface DetectorLayer extends QLayer {
  part: DetectorPart;
  /** the name inside its own model */
  local: string;
}

/** Every conv and dense kernel of backbone and head, named `backbone/conv1`, `head/fc` … in model order. */
export function detectorLayers(det: Pick<Detector, 'backbone' | 'head'>): DetectorLayer[] {
  return (['backbone', 'head'] as const).flatMap((part) => quantLayers(det[part]).map((l) => ({ ...l, part, local: l.name, name: `${part}/${l.name}` })));
}

/** A layer by its full name or by its bare name when only one part has it; one line listing the names otherwise. */
export function findLayer<T extends { name: string }>(layers: readonly T[], name: string, what = 'layer'): T {
  const full = layers.find((l) => l.name === name);
  if (full) return full;
  const bare = layers.filter((l) => l.name.slice(l.name.indexOf('/') + 1) === name);
  if (bare.length === 1) return bare[0];
  const have = layers.map((l) => l.name).join(', ');
  throw new UserError(bare.length > 1 ? `${what} "${name}" is in both backbone and head: name it backbone/${name} or head/${name}` : `the detector has no ${what} "${name}" (have: ${have})`);
}

/** Quantizes a kernel in place (its dequantized values); returns the codes for the size report. */
export function quantizeLayer(l: QLayer, spec: QuantSpec, original = readKernel(l)): QuantizedTensor {
  const q = quantize(original, l.shape, spec);
  writeKernel(l, dequantize(q));
  return q;
}

/** Bytes of a kernel at its storage bits plus what dequantizing needs (per-channel scales or codebooks). */
export function kernelBytes(params: number, q: QuantizedTensor | null): number {
  if (!q) return 4 * params;
  const codes = Math.ceil((params * storageBits(q.spec)) / 8);
  const channels = q.scales.length;
  // affine: a float scale per channel (and an int zero point unless symmetric); codebooks: float levels per channel
  const side = q.codebook ? 4 * channels * levelCount(q.spec) : channels * (4 + (q.spec.symmetric ? 0 : 4));
  return codes + side;
}

/** The RoI feature rows of images under a backbone, computed once (a head-only change reuses them). */
export interface RoiRows {
  x: Float32Array;
  boxes: PixelBox[][];
  rows: number;
}

export function roiRows(det: Detector, images: readonly DetectionImage[], batch = 32): RoiRows[] {
  const out: RoiRows[] = [];
  for (let s = 0; s < images.length; s += batch) {
    const part = images.slice(s, s + batch).map(withPixels);
    const maps = featureMaps(det.backbone, part, batch);
    const boxes = part.map((im) => proposalsOf(im, det.meta.proposals));
    const feats = part.map((_, i) => roiFeatures(det, maps[i], boxes[i]));
    const x = new Float32Array(feats.reduce((a, f) => a + f.length, 0));
    let o = 0;
    for (const f of feats) {
      x.set(f, o);
      o += f.length;
    }
    out.push({ x, boxes, rows: boxes.reduce((a, b) => a + b.length, 0) });
  }
  return out;
}

/** Per-image scores of the head on cached RoI rows (the same split as detector.scoreImages). */
export function scoreRows(det: Detector, cached: readonly RoiRows[]): ImageScores[] {
  const C = det.meta.classNames.length;
  const out: ImageScores[] = [];
  for (const b of cached) {
    const logits = headLogits(det.head, b.x, b.rows);
    let r0 = 0;
    for (const boxes of b.boxes) {
      const R = boxes.length;
      const mine = logits.map((l) => {
        const cols = l.length / b.rows;
        return l.slice(r0 * cols, (r0 + R) * cols);
      });
      out.push(scoresFromLogits(mine, boxes, C));
      r0 += R;
    }
  }
  return out;
}

interface KerasTopology {
  class_name: string;
  config: { layers: { class_name: string; config: Record<string, unknown> }[] } | { class_name: string; config: Record<string, unknown> }[];
}

/**
 * The same model (same weights) with another batch input shape, e.g. [null, 96, 96, 1] so that FLOPs, low rank
 * and export see the spatial size, and back to [null, null, null, 1] so that the detector takes any image size.
 */
export async function withInputShape(model: tf.LayersModel, batchInputShape: (number | null)[]): Promise<tf.LayersModel> {
  const topo = model.toJSON(undefined, false) as unknown as KerasTopology;
  const layers = Array.isArray(topo.config) ? topo.config : topo.config.layers;
  let set = 0;
  for (const l of layers) {
    if (l.config.batch_input_shape) {
      l.config.batch_input_shape = batchInputShape;
      set++;
    }
  }
  if (set !== 1) throw new UserError(`model ${model.name}: expected one input shape in its topology, found ${set}`);
  const copy = await tf.models.modelFromJSON({ modelTopology: topo as unknown as tf.io.ModelJSON['modelTopology'] });
  copy.setWeights(model.getWeights());
  return copy;
}
