/**
 * The whole method on precomputed region features: mine patterns per class, learn each kept pattern's detector by
 * MIL, calibrate, build the representation and its classifiers. Pure computation (no files, no tfjs), so tests
 * drive it on small synthetic features and the analysis layer wraps it with data, backbone and run folder.
 */
import type { RunContext } from '../core/context';
import { throwIfCancelled } from '../core/context';
import type { PixelBox } from '../wsod/meas';
import type { ImageRegions } from './features';
import { backgroundStats, type Background } from './linear';
import { imageResponse, mineClass, type ClassMining, type MineSettings } from './mine';
import { trainMil, type MilSettings, type MilTrace } from './mil';
import { fitClassifier, represent, type LinearClassifier, type PartDetector } from './represent';

export interface PartsInput {
  images: ImageRegions[];
  labels: number[][];
  width: number;
  height: number;
}

export interface PartsSettings {
  mine: MineSettings;
  mil: MilSettings;
  /** stop after mining: the detectors are the clusters' LDA detectors */
  mineOnly: boolean;
  pyramid: boolean;
  /** background rows for exemplar-LDA (seeded sample of all train regions) */
  backgroundRows: number;
  /** ridge on the background covariance, as a share of its mean variance */
  ridge: number;
}

interface TrainedDetector extends PartDetector {
  /** mining class and cluster index this detector grew from */
  cluster: number;
  trace: MilTrace | null;
}

export interface PartsModel {
  classes: number;
  dim: number;
  globalDim: number;
  detectors: TrainedDetector[];
  mining: ClassMining[];
  classifiers: { global: LinearClassifier; parts: LinearClassifier; both: LinearClassifier } | null;
}

function sampleBackground(images: readonly ImageRegions[], dim: number, rows: number, seed: number): Float32Array {
  const total = images.reduce((s, im) => s + im.boxes.length, 0);
  const every = Math.max(1, Math.floor(total / rows));
  const out: number[] = [];
  let k = seed % every;
  let at = 0;
  for (const im of images) {
    const n = im.boxes.length;
    while (k < at + n) {
      const r = k - at;
      for (let t = 0; t < dim; t++) out.push(im.x[r * dim + t]);
      k += every;
    }
    at += n;
  }
  return Float32Array.from(out);
}

/** φ rows of images (and the concatenation with their global features). */
export function representations(m: Pick<PartsModel, 'detectors' | 'dim' | 'globalDim'>, images: readonly ImageRegions[], pyramid: boolean, width: number, height: number) {
  const parts = images.map((im) => represent(m.detectors, im, m.dim, pyramid, width, height));
  const pd = parts[0]?.length ?? 0;
  const flat = (rows: Float32Array[], d: number) => {
    const x = new Float32Array(rows.length * d);
    rows.forEach((r, i) => x.set(r, i * d));
    return x;
  };
  return {
    global: flat(images.map((im) => im.global), m.globalDim),
    parts: flat(parts, pd),
    both: flat(images.map((im, i) => Float32Array.from([...im.global, ...parts[i]])), m.globalDim + pd),
    partsDim: pd,
  };
}

/**
 * Mining alone (what purity measures): the background model from a seeded sample of the regions, then each class's
 * patterns from its positive images against the others. `hidden` only labels the chosen seeds for purity.
 * @public scripts/experiments/parts-ablation.ts --mining-only calls it (knip does not see scripts/experiments)
 */
export function mineClasses(
  train: Pick<PartsInput, 'images' | 'labels'>,
  classes: number,
  s: Pick<PartsSettings, 'mine' | 'backgroundRows' | 'ridge'>,
  hidden: ((image: number, box: PixelBox) => string) | null,
  onClass: (c: number) => void = () => {},
): { dim: number; mining: ClassMining[] } {
  const dim = train.images[0].x.length / Math.max(1, train.images[0].boxes.length);
  const bg: Background = backgroundStats(sampleBackground(train.images, dim, s.backgroundRows, s.mine.seed), dim, s.ridge);
  const mining: ClassMining[] = [];
  for (let c = 0; c < classes; c++) {
    onClass(c);
    const pos = train.labels.flatMap((l, i) => (l.includes(c) ? [i] : []));
    const neg = train.labels.flatMap((l, i) => (l.includes(c) ? [] : [i]));
    if (pos.length) mining.push(mineClass(c, train.images, pos, neg, dim, bg, s.mine, hidden));
  }
  return { dim, mining };
}

export async function fitParts(
  train: PartsInput,
  val: PartsInput,
  classes: number,
  s: PartsSettings,
  hidden: ((image: number, box: PixelBox) => string) | null,
  ctx: RunContext,
  report: (fraction: number, stage: string) => void,
): Promise<PartsModel> {
  const globalDim = train.images[0].global.length;
  const { dim, mining } = mineClasses(train, classes, s, hidden, (c) => {
    throwIfCancelled(ctx);
    report((0.3 * c) / classes, `mining class ${c + 1}/${classes}`);
  });
  const detectors: TrainedDetector[] = [];
  for (const m of mining) {
    const c = m.class;
    report(0.3 + (0.7 * c) / classes, `detectors of class ${c + 1}/${classes}`);
    const pos = train.labels.flatMap((l, i) => (l.includes(c) ? [i] : []));
    const neg = train.labels.flatMap((l, i) => (l.includes(c) ? [] : [i]));
    for (const q of m.kept) {
      throwIfCancelled(ctx);
      const cl = m.clusters[q];
      let det = cl.detector;
      let trace: MilTrace | null = null;
      if (!s.mineOnly) {
        const r = trainMil(cl.detector, train.images, pos, neg, dim, { ...s.mil, seed: s.mil.seed * 17 + c * 101 + q });
        det = r.detector;
        trace = r.trace;
      }
      const negResp = neg.map((i) => imageResponse(det, train.images[i], dim).value);
      const negMean = negResp.reduce((a, b) => a + b, 0) / Math.max(1, negResp.length);
      const negStd = Math.sqrt(negResp.reduce((a, b) => a + (b - negMean) ** 2, 0) / Math.max(1, negResp.length)) || 1;
      detectors.push({ ...det, class: c, negMean, negStd, cluster: q, trace });
      await new Promise((r) => setImmediate(r));
    }
  }
  report(0.95, 'representation and classifiers');
  const model: PartsModel = { classes, dim, globalDim, detectors, mining, classifiers: null };
  if (detectors.length) {
    const rt = representations(model, train.images, s.pyramid, train.width, train.height);
    const rv = representations(model, val.images, s.pyramid, val.width, val.height);
    const yt = train.labels.map((l) => l[0] ?? 0);
    const yv = val.labels.map((l) => l[0] ?? 0);
    model.classifiers = {
      global: fitClassifier({ x: rt.global, y: yt }, { x: rv.global, y: yv }, globalDim, classes),
      parts: fitClassifier({ x: rt.parts, y: yt }, { x: rv.parts, y: yv }, rt.partsDim, classes),
      both: fitClassifier({ x: rt.both, y: yt }, { x: rv.both, y: yv }, globalDim + rt.partsDim, classes),
    };
  }
  return model;
}
