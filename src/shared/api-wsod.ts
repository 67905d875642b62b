/**
 * The weak-supervision part of the contract: the cluttered-digit benchmark, the WSDDN + refinement detector trained
 * the Zigzag way (mEAS curriculum, masking), its evaluation, its difficulty rankings and energy maps.
 * api.ts merges it. No Node or DOM imports.
 */
import { z } from 'zod';
import { DatasetRef, ModelRef, OutDir, Seed, Epochs, Limit } from './common';
import { ValSplitOptions, type SplitsInfo } from './api-eval';

/** A box in pixels of its image, x2/y2 exclusive. */
export const Rect = z
  .object({ x1: z.number().finite(), y1: z.number().finite(), x2: z.number().finite(), y2: z.number().finite() })
  .strict()
  .refine((b) => b.x2 > b.x1 && b.y2 > b.y1, { message: 'a box needs x2 > x1 and y2 > y1' });
export type Rect = z.infer<typeof Rect>;

/** One scored box of one detector on one image (what a COCO results file holds). */
export interface Detection {
  imageId: string;
  label: number;
  score: number;
  box: Rect;
}

const DetectSplit = z.enum(['train', 'val', 'test']);

/** `layerlens wsod data`: write the cluttered-digit benchmark (PNG + COCO instances JSON, or VOC). */
export const WsodDataConfig = z
  .object({
    out: OutDir,
    source: z.enum(['mnist', 'fashion-mnist']).default('mnist'),
    /** the first N classes of the source are the object classes; the others feed clutter only */
    classes: z.number().int().min(2).max(10).default(5),
    /** images of the source's train part (val is carved from it when loading) */
    images: z.number().int().min(10).max(100000).default(1200),
    testImages: z.number().int().min(10).max(100000).default(400),
    /** canvas side in pixels */
    size: z.number().int().min(48).max(512).default(96),
    /** the largest difficulty: each image draws its own d in [0, difficulty] (recorded), which moves clutter, overlap and scale */
    difficulty: z.number().min(0).max(1).default(0.8),
    maxObjects: z.number().int().min(1).max(8).default(3),
    format: z.enum(['coco', 'voc']).default('coco'),
    seed: Seed.default(1),
  })
  .strict();
export type WsodDataConfig = z.input<typeof WsodDataConfig>;
export interface WsodDataResult {
  out: string;
  format: 'coco' | 'voc';
  classNames: string[];
  train: number;
  test: number;
  seed: number;
  /** mean per-image difficulty over the train part */
  meanDifficulty: number;
}

/** `layerlens wsod train`: WSDDN + refinement head; optional mEAS curriculum and feature masking. */
export const WsodTrainConfig = z
  .object({
    data: DatasetRef,
    out: OutDir.optional(),
    /** easy → hard by mEAS groups, pseudo-boxes re-mined at each stage */
    curriculum: z.boolean().default(false),
    /** masking regularisation on the last conv feature map (training only) */
    masking: z.boolean().default(false),
    maskProb: z.number().min(0).max(1).default(0.3),
    /** which cells may be masked: inside the current pseudo-box, or anywhere */
    maskRegion: z.enum(['pseudo-box', 'random']).default('pseudo-box'),
    /** K difficulty groups per class */
    groups: z.number().int().min(2).max(10).default(3),
    /** recompute mEAS with the improved detector between curriculum stages */
    rerank: z.boolean().default(true),
    /** epochs of the whole schedule (WSDDN + refinement); a curriculum spreads them over its stages */
    epochs: Epochs.default(8),
    /** epochs of the backbone's classifier pre-training on the same image family */
    pretrainEpochs: z.number().int().min(0).max(100).default(2),
    proposals: z.number().int().min(8).max(2000).default(200),
    learningRate: z.number().positive().max(10).default(1e-3),
    batchSize: z.number().int().min(1).max(256).default(8),
    limit: Limit.optional(),
    seed: Seed.default(1),
    /** which head the run keeps: the last epoch's, or the epoch with the best val (mAP@0.5 + CorLoc)/2 (default last) */
    keep: z.enum(['last', 'best-val']).optional(),
    /** canvases per pre-training epoch (default 8000) */
    pretrainSamples: z.number().int().min(32).max(1000000).optional(),
    /** source of the backbone's classifier pre-training (default: the one whose class names the data has, else mnist) */
    pretrainSource: z.enum(['mnist', 'fashion-mnist']).optional(),
    /** share of the epochs a curriculum spends on its initial all-image localiser (default 0.25) */
    stage0Share: z.number().min(0).max(1).optional(),
    /** how curriculum stages 1..K share the rest: equal epochs each (default), or equal image passes ('images') */
    stageBudget: z.enum(['epochs', 'images']).optional(),
    /** OICR refinement streams (default 2) */
    refineStages: z.number().int().min(0).max(4).optional(),
    /** RoI grid side (default 4) */
    roiGrid: z.number().int().min(1).max(8).optional(),
    /** width of the head's fc layer (default 128) */
    fc: z.number().int().min(8).max(1024).optional(),
    ...ValSplitOptions,
  })
  .strict();
export type WsodTrainConfig = z.input<typeof WsodTrainConfig>;

/** Detection scores on one split. */
export interface WsodScores {
  split: 'train' | 'val' | 'test';
  n: number;
  mAP50: number;
  corloc: number;
  perClass: { name: string; ap: number; corloc: number | null }[];
}

export interface WsodTrainResult {
  data: string;
  seed: number;
  /** folder holding the model, config, checkpoints, detections and rankings */
  runDir: string;
  /** what settings are selected on */
  val: WsodScores;
  /** what is reported */
  test: WsodScores;
  /** Spearman rank correlation of mEAS (train images, final detector) with the top box's IoU and with the generator's difficulty */
  correlation: { iou: number; difficulty: number | null };
  stages: { stage: number; images: number; epochs: number; valMAP50: number; valCorloc: number }[];
  config: Record<string, unknown>;
  splits: SplitsInfo;
  wallSeconds: number;
  /** CPU seconds of this process over the run (user + system; on a shared machine a steadier figure than wall) */
  cpuSeconds?: number;
  backend: string;
  recordPath: string;
}

/** `layerlens wsod eval`: score a trained run (or a compressed copy of its model) on one split. */
export const WsodEvalConfig = z
  .object({
    model: ModelRef.describe('a wsod run folder'),
    data: DatasetRef,
    split: z.enum(['val', 'test']).default('test'),
    limit: Limit.optional(),
    ...ValSplitOptions,
  })
  .strict();
export type WsodEvalConfig = z.input<typeof WsodEvalConfig>;
export interface WsodEvalResult extends WsodScores {
  model: string;
  /** COCO results JSON of the detections behind the scores */
  detectionsPath?: string;
  backend: string;
}

/** `layerlens wsod detect`: run a trained detector over a split or an image folder, write COCO results JSON. */
export const WsodDetectConfig = z
  .object({
    model: ModelRef.describe('a wsod run folder'),
    /** a detection dataset (with `split`) or a plain folder of images */
    images: DatasetRef,
    split: DetectSplit.default('test'),
    out: OutDir,
    /** drop detections scoring below this */
    minScore: z.number().min(0).max(1).default(0.01),
    ...ValSplitOptions,
  })
  .strict();
export type WsodDetectConfig = z.input<typeof WsodDetectConfig>;
export interface WsodDetectResult {
  out: string;
  images: number;
  detections: number;
}

/** One (image, class) pair of a ranking. */
export interface RankedItem {
  image: string;
  class: number;
  meas: number;
  /** EAS at each threshold of `taus` */
  eas: number[];
  /** 0 = easiest */
  group: number;
  /** position within its class, 0 = easiest */
  rank: number;
  /** rank at each curriculum stage (when the run re-ranked), first = the initial detector's */
  rankByStage?: number[];
  topBox: Rect;
  /** IoU of the top box with the nearest ground-truth box of the class (null without ground truth) */
  topIoU: number | null;
  /** the generator's per-image difficulty, when the data has one */
  difficulty: number | null;
}
export interface WsodRankings {
  model: string;
  split: 'train' | 'val' | 'test';
  classNames: string[];
  taus: number[];
  groups: number;
  items: RankedItem[];
  spearmanIoU: number;
  spearmanDifficulty: number | null;
}

const RankRequest = z
  .object({ model: ModelRef.describe('a wsod run folder'), data: DatasetRef, split: DetectSplit.default('train'), ...ValSplitOptions })
  .strict();
const EnergyRequest = z
  .object({
    model: ModelRef.describe('a wsod run folder'),
    data: DatasetRef,
    image: z.string().min(1).max(1024),
    class: z.number().int().min(0).max(1000),
    split: DetectSplit.default('train'),
    ...ValSplitOptions,
  })
  .strict();

/** An energy map E_c normalised to [0,1] on a grid over the image. */
export interface EnergyMap {
  image: string;
  class: number;
  width: number;
  height: number;
  gridW: number;
  gridH: number;
  /** row-major gridH × gridW */
  values: number[];
  topBox: Rect;
}

/** Job kinds of this capability. */
export const wsodJobs = [
  z.object({ kind: z.literal('wsod-data'), config: WsodDataConfig }).strict(),
  z.object({ kind: z.literal('wsod-train'), config: WsodTrainConfig }).strict(),
  z.object({ kind: z.literal('wsod-eval'), config: WsodEvalConfig }).strict(),
  z.object({ kind: z.literal('wsod-detect'), config: WsodDetectConfig }).strict(),
] as const;

/** Methods of this capability: name → request schema. */
export const wsodMethods = {
  /** mEAS per (image, class) of a split under a trained run, grouped and ranked per class */
  'wsod.rankings': RankRequest,
  /** one energy map (for the Difficulty view's overlay) */
  'wsod.energy': EnergyRequest,
} satisfies Record<string, z.ZodTypeAny>;

export interface WsodResponses {
  'wsod.rankings': WsodRankings;
  'wsod.energy': EnergyMap;
}
