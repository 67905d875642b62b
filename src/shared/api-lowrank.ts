/** The lowrank part of the API contract: job kinds, methods and responses. api.ts merges it. */
import { z } from 'zod';
import { DatasetRef, ModelRef, OutDir, Seed, BatchSize, Epochs, Limit, Optimizer, LearningRate, Schedule, Augment } from './common';
import type { SplitsInfo } from './api-eval';

export const LowrankSchemes = ['channel', 'spatial'] as const;
export type LowrankScheme = (typeof LowrankSchemes)[number];

const layerName = z.string().min(1).max(512);
const svdMethod = z.enum(['auto', 'exact', 'gram']).default('auto');

/**
 * One low-rank run. `model` is a model ref (file or builtin:…), or `arch:<zoo arch>` to train from scratch.
 * method 'svd': factorise the model as it is (post-hoc, no training). method 'trp': train a baseline and a TRP
 * net with the same schedule and seed, factorise the TRP net (no fine-tuning), and factorise the baseline at the
 * same per-layer ranks (same FLOPs) as the post-hoc comparison.
 */
export const LowrankConfig = z
  .object({
    model: ModelRef,
    data: DatasetRef,
    method: z.enum(['svd', 'trp']),
    scheme: z.enum(LowrankSchemes).default('channel'),
    /** energy e: r(e) keeps this fraction of Σσ² (training projections, and the final cut when cut = energy) */
    energy: z.number().gt(0).max(1).default(0.9),
    /**
     * target speed-up (model MACs before ÷ after): ranks come from a FLOPs budget spread over the layers where it
     * drops the least energy, for the training projections and the final cut; `energy` is then unused
     */
    speedup: z.number().min(1).max(1000).optional(),
    /** fraction of training over which the projections ramp in (cubic) from keep-all to the final rule; 0: none */
    ramp: z.number().min(0).max(1).default(0),
    /** the final cut: energy e (or the speed-up budget when given), or the authors' value threshold σ ≥ tau */
    cut: z.enum(['energy', 'threshold']).default('energy'),
    tau: z.number().min(0).max(1e6).default(0.05),
    /** TRP period m: project every m iterations */
    period: z.number().int().min(1).max(100000).default(1),
    /** nuclear-norm weight λ */
    nuclear: z.number().min(0).max(10).default(3e-4),
    /** U Vᵀ of every non-zero σ instead of the truncated U_r V_rᵀ (the authors' code truncates) */
    fullSubgradient: z.boolean().default(false),
    epochs: Epochs.default(4),
    seed: Seed.default(1),
    optimizer: Optimizer.default('adam'),
    learningRate: LearningRate.optional(),
    schedule: Schedule.default('cosine'),
    augment: Augment.default('none'),
    batchSize: BatchSize.default(64),
    limit: Limit.optional(),
    /** val images for the per-epoch figures and the val copies of the final three */
    evalLimit: Limit.optional(),
    /** test images for the final three evaluations (baseline, decomposed, post-hoc) */
    testLimit: Limit.optional(),
    /** explicit layers; default: every non-1×1 stride-1 conv and every dense layer except the first and last layer */
    layers: z.array(layerName).max(1000).optional(),
    includeFirst: z.boolean().default(false),
    includeStrided: z.boolean().default(false),
    includeDense: z.boolean().default(true),
    /** post-hoc comparison: the TRP net's per-layer ranks (same FLOPs), or the energy cut of the baseline's own spectra */
    posthoc: z.enum(['same-ranks', 'energy']).default('same-ranks'),
    svd: svdMethod,
    out: OutDir.optional(),
  })
  .strict();
export type LowrankConfig = z.input<typeof LowrankConfig>;
export type LowrankConfigParsed = z.output<typeof LowrankConfig>;

/** Job kinds of this capability. */
export const lowrankJobs = [z.object({ kind: z.literal('lowrank'), config: LowrankConfig }).strict()] as const;

const SpectrumRequest = z
  .object({ model: ModelRef, scheme: z.enum(LowrankSchemes).default('channel'), layer: layerName.optional(), svd: svdMethod })
  .strict();
const AccuracyRequest = z
  .object({
    model: ModelRef,
    data: DatasetRef,
    scheme: z.enum(LowrankSchemes).default('channel'),
    ranks: z.record(layerName, z.number().int().min(1).max(1e6)),
    limit: Limit.optional(),
  })
  .strict();

/** Methods of this capability: name → request schema. */
export const lowrankMethods = {
  /** singular values of every Conv2D/Dense layer (or one) */
  'lowrank.spectrum': SpectrumRequest,
  /** factorise at the given ranks (no fine-tuning) and evaluate: the rank picker's "accuracy on demand" */
  'lowrank.accuracy': AccuracyRequest,
  /** what a running lowrank job has written so far: live spectra and the layer × epoch map of r(e) */
  'lowrank.live': z.object({ id: z.string().min(1).max(200) }).strict(),
} satisfies Record<string, z.ZodTypeAny>;

export interface LayerSpectrum {
  name: string;
  kind: 'conv' | 'dense';
  kernelShape: number[];
  /** the reshaped matrix, rows × cols */
  shape: [number, number];
  /** descending */
  singularValues: number[];
  /** Σ_{i≤k} σ_i² / Σ σ_i², k = index + 1 */
  cumulativeEnergy: number[];
  rankAtEnergy: { '0.9': number; '0.95': number; '0.99': number };
  /** MACs of the layer as it is */
  flops: number;
  /** MACs of the factorised pair at rank r = index + 1 */
  flopsAtRank: number[];
  /** largest rank at which factorising still saves MACs (0: never) */
  usefulRank: number;
  strides: [number, number];
  first: boolean;
  last: boolean;
  svdMethod: 'exact' | 'gram';
  ms: number;
}

export interface SpectrumResult {
  model: string;
  scheme: LowrankScheme;
  /** MACs of the whole model */
  flops: number;
  layers: LayerSpectrum[];
}

export interface LayerDecomposition {
  name: string;
  kind: 'conv' | 'dense';
  rank: number;
  fullRank: number;
  /** false when the rank would not lower the layer's MACs: the layer is kept whole */
  decomposed: boolean;
  flopsBefore: number;
  flopsAfter: number;
  paramsBefore: number;
  paramsAfter: number;
}

export interface AccuracyResult {
  /** on val: the rank picker is a choice */
  top1: number;
  n: number;
  split: 'val';
  splits: SplitsInfo;
  flops: number;
  baselineFlops: number;
  params: number;
  layers: LayerDecomposition[];
}

interface LowrankScore {
  top1: number;
  flops: number;
  params: number;
}

export interface LowrankResult {
  method: 'svd' | 'trp';
  scheme: LowrankScheme;
  seed: number;
  data: string;
  model: string;
  baseline: LowrankScore;
  decomposed: LowrankScore;
  posthoc: LowrankScore & { ranks: Record<string, number> };
  /** baseline FLOPs ÷ decomposed FLOPs (whole model) */
  speedup: number;
  ranks: Record<string, number>;
  layers: LayerDecomposition[];
  /** test images behind each top-1 above (the reported figures) */
  n: number;
  split: 'test';
  /** the same three on val: what a sweep over settings (β, λ, e, speed-up) selects on */
  val: { baseline: number; decomposed: number; posthoc: number; n: number; split: 'val' };
  splits: SplitsInfo;
  spectra: { baseline: LayerSpectrum[]; trp?: LayerSpectrum[] };
  trp?: { energy: number; speedup?: number; ramp: number; period: number; nuclear: number; projections: number; projectSeconds: number };
  /** the layer × epoch map of r(e) during TRP training */
  rankHistory: { epoch: number; ranks: Record<string, number> }[];
  wallSeconds: number;
  /** what the user should know about the result (e.g. a speed-up budget that rank 1 everywhere cannot reach) */
  notes?: string[];
  backend: string;
  modelPath: string;
  recordPath: string;
}

export interface LowrankLive {
  phase: 'baseline' | 'trp' | 'decompose';
  energy: number;
  /** the target speed-up when ranks come from a FLOPs budget */
  speedup?: number;
  scheme: LowrankScheme;
  /** latest spectra of the selected layers */
  spectra: LayerSpectrum[];
  rankHistory: { epoch: number; ranks: Record<string, number> }[];
  updatedAt: number;
}

/** Responses of the methods above. */
export interface LowrankResponses {
  'lowrank.spectrum': SpectrumResult;
  'lowrank.accuracy': AccuracyResult;
  'lowrank.live': LowrankLive | null;
}
