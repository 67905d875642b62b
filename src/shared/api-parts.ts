/**
 * The part-detector lab's part of the contract (arXiv 1705.10034, methods.md §6): part scenes, detector-based
 * spectral mining, cls-MIL detectors, the mid-level representation, its evaluation and response maps.
 * api.ts merges it. No Node or DOM imports.
 */
import { z } from 'zod';
import { DatasetRef, ModelRef, OutDir, Seed, Limit } from './common';
import { ValSplitOptions, type SplitsInfo } from './api-eval';
import type { Rect } from './api-wsod';

/** `layerlens parts data`: scenes where a small part decides the class (PNG + COCO, and parts.json). */
export const PartsDataConfig = z
  .object({
    out: OutDir,
    source: z.enum(['mnist', 'fashion-mnist']).default('mnist'),
    classes: z.number().int().min(2).max(6).default(4),
    images: z.number().int().min(10).max(100000).default(400),
    testImages: z.number().int().min(10).max(100000).default(200),
    size: z.number().int().min(48).max(256).default(64),
    maxDistractors: z.number().int().min(0).max(4).default(2),
    seed: Seed.default(1),
  })
  .strict();
export type PartsDataConfig = z.input<typeof PartsDataConfig>;
export interface PartsDataResult {
  out: string;
  classNames: string[];
  train: number;
  test: number;
  seed: number;
}

/** `layerlens parts mine|train`: mine patterns (and learn their detectors by MIL), fit the classifiers. */
export const PartsTrainConfig = z
  .object({
    data: DatasetRef,
    out: OutDir.optional(),
    /** stop after mining (the detectors are the patterns' LDA detectors) */
    mineOnly: z.boolean().default(false),
    mil: z.enum(['cls', 'plain']).default('cls'),
    /** how seeds are grouped into patterns: detector-based spectral clustering, or raw-feature k-means (the comparison row) */
    affinity: z.enum(['detector', 'kmeans']).default('detector'),
    /** seed regions per class */
    seeds: z.number().int().min(4).max(1000).default(80),
    clusters: z.number().int().min(2).max(50).default(8),
    /** patterns (detectors) kept per class */
    patterns: z.number().int().min(1).max(20).default(3),
    rounds: z.number().int().min(1).max(20).default(4),
    /** regions per positive bag in cls-MIL */
    sparsity: z.number().int().min(1).max(20).default(3),
    /** also max-pool responses over the four image quadrants */
    pyramid: z.boolean().default(false),
    proposals: z.number().int().min(8).max(1000).default(250),
    pretrainEpochs: z.number().int().min(0).max(50).default(3),
    pretrainSamples: z.number().int().min(32).max(1000000).default(8000),
    pretrainSource: z.enum(['mnist', 'fashion-mnist']).optional(),
    /** reuse the backbone of another parts run folder (skips pre-training) */
    backbone: ModelRef.optional(),
    limit: Limit.optional(),
    seed: Seed.default(1),
    ...ValSplitOptions,
  })
  .strict();
export type PartsTrainConfig = z.input<typeof PartsTrainConfig>;

/** What `parts eval` reports (and training reports for val and test). */
export interface PartsScores {
  split: 'train' | 'val' | 'test';
  n: number;
  /** softmax regression on the backbone's global feature */
  top1Global: number;
  /** on the part detectors' responses */
  top1Parts: number;
  /** on both, concatenated */
  top1Both: number;
  /** the top responding detector's box against the object boxes of the data */
  corloc: number;
  /** cluster purity of the mined patterns against the hidden part kinds (mean over classes; null without parts.json) */
  purity: number | null;
}

interface PartsMiningSummary {
  purity: { spectral: number; kmeans: number; partSpectral: number; partKmeans: number } | null;
  detectors: number;
}

export interface PartsTrainResult {
  data: string;
  seed: number;
  runDir: string;
  val: PartsScores;
  test: PartsScores;
  mining: PartsMiningSummary;
  config: Record<string, unknown>;
  splits: SplitsInfo;
  /** seconds per phase */
  timings: Record<string, number>;
  wallSeconds: number;
  cpuSeconds: number;
  backend: string;
  recordPath: string;
}

export const PartsEvalConfig = z
  .object({
    model: ModelRef.describe('a parts run folder'),
    data: DatasetRef,
    split: z.enum(['val', 'test']).default('test'),
    limit: Limit.optional(),
    ...ValSplitOptions,
  })
  .strict();
export type PartsEvalConfig = z.input<typeof PartsEvalConfig>;
export interface PartsEvalResult extends PartsScores {
  model: string;
  backend: string;
}

/** Response maps of a run's detectors on one image: a PNG file, or an image of a dataset split by id. */
const RespondRequest = z
  .object({
    model: ModelRef.describe('a parts run folder'),
    image: z.string().min(1).max(4096),
    data: DatasetRef.optional(),
    split: z.enum(['train', 'val', 'test']).default('test'),
    /** detector indices (default: all) */
    detectors: z.array(z.number().int().min(0).max(10000)).max(200).optional(),
    ...ValSplitOptions,
  })
  .strict();

interface PartsResponseMap {
  detector: number;
  class: number;
  /** row-major gridH × gridW: the best response of the regions covering each cell */
  values: number[];
  min: number;
  max: number;
  /** the top regions (non-overlapping), best first */
  top: { box: Rect; score: number }[];
}
export interface PartsResponses {
  image: string;
  width: number;
  height: number;
  gridW: number;
  gridH: number;
  /** grayscale pixels, row-major (for the overlay's base image) */
  pixels: number[];
  maps: PartsResponseMap[];
  /** class scores of the three classifiers (softmax probabilities) */
  classScores: { global: number[]; parts: number[]; both: number[] } | null;
}

const RunRequest = z.object({ model: ModelRef.describe('a parts run folder') }).strict();

/** One mined pattern as the gallery shows it. */
export interface PartsPattern {
  class: number;
  cluster: number;
  kept: boolean;
  /** rank among the class's kept patterns (0 = best); null if not kept */
  rank: number | null;
  size: number;
  representativeness: number;
  discriminativeness: number;
  score: number;
  /** member seeds: image id, box, the hidden part kind when known, a 16 × 16 grayscale crop (base64) */
  members: { image: string; box: Rect; hidden: string | null; patch: string }[];
  /** index into detectors when kept */
  detector: number | null;
}
export interface PartsRunView {
  runDir: string;
  data: string;
  classNames: string[];
  config: Record<string, unknown>;
  /** per class: eigenvalues, the affinity reordered by cluster, purity */
  classes: {
    class: number;
    eigenvalues: number[];
    /** seeds in display order (grouped by cluster) and their clusters */
    order: number[];
    assign: number[];
    /** affinity (seeds × seeds, in display order), row-major */
    affinity: number[];
    purity: PartsMiningSummary['purity'];
  }[];
  patterns: PartsPattern[];
  detectors: { index: number; class: number; cluster: number; confidence: number[][] | null }[];
  /** detector × image response matrix on the first test images (z-scores against negatives) */
  matrix: { images: string[]; labels: number[]; values: number[][] };
  record: PartsTrainResult | null;
}

export const partsJobs = [
  z.object({ kind: z.literal('parts-data'), config: PartsDataConfig }).strict(),
  z.object({ kind: z.literal('parts-train'), config: PartsTrainConfig }).strict(),
  z.object({ kind: z.literal('parts-eval'), config: PartsEvalConfig }).strict(),
] as const;

export const partsMethods = {
  /** a run folder's mining, detectors and response matrix (the Parts view) */
  'parts.run': RunRequest,
  /** response maps of detectors on one image */
  'parts.respond': RespondRequest,
} satisfies Record<string, z.ZodTypeAny>;

export interface PartsMethodResponses {
  'parts.run': PartsRunView;
  'parts.respond': PartsResponses;
}
