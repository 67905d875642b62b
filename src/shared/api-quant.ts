/** The quant part of the API contract: job kinds, methods and responses. api.ts merges it. */
import { z } from 'zod';
import type { SplitsInfo } from './api-eval';
import { DatasetRef, EvaluatorChoice, ModelRef, OutDir, Seed, BatchSize, Limit, type EvaluatedBy } from './common';

const bitsList = z.array(z.number().int().min(2).max(8)).min(1).max(7);
const layerBits = z.record(z.string().min(1).max(512), z.number().int().min(2).max(32));

export const SensitivityConfig = z
  .object({
    model: ModelRef,
    data: DatasetRef,
    bits: bitsList.default([2, 3, 4, 6, 8]),
    /** quantizer used on each layer; kmeans per-tensor is what DNQ uses by default */
    method: z.enum(['uniform', 'pow2', 'kmeans']).default('kmeans'),
    granularity: z.enum(['per-tensor', 'per-channel']).default('per-tensor'),
    /** layers quantized together (e.g. residual partners), by layer name */
    groups: z.array(z.array(z.string().min(1).max(512)).min(1)).default([]),
    /** group the kernels that feed the same Add layer (residual partners) */
    autoGroup: z.boolean().default(false),
    /** evaluate on the first N examples of a seeded shuffle of the val split (all when absent) */
    limit: Limit.optional(),
    /** split the evaluation set into K disjoint seeded subsets and report the spread across them */
    subsets: z.number().int().min(0).max(20).default(0),
    seed: Seed.default(1),
    /** the metric cells, rewards and steps are measured with (a scalar metric of the model's task; default its own: top1) */
    metric: z.string().min(1).max(64).optional(),
    evaluator: EvaluatorChoice.default('auto'),
  })
  .strict();
export type SensitivityConfig = z.input<typeof SensitivityConfig>;

export const QuantizeConfig = z
  .object({
    model: ModelRef,
    data: DatasetRef,
    method: z.enum(['uniform', 'dnq', 'slq', 'mlq']),
    /** uniform / slq: every layer at this many bits */
    bits: z.number().int().min(2).max(8).default(4),
    /** dnq: the controller's candidate bit-widths */
    bitChoices: bitsList.default([2, 3, 4, 5, 6, 8]),
    /** dnq: controller episodes (one sampled policy each); 0 with `policy` skips the search */
    episodes: z.number().int().min(0).max(100_000).default(200),
    /** dnq / uniform: which weights are quantized first */
    order: z.enum(['distance', 'magnitude']).default('distance'),
    /** dnq: also run the other order on the same policy and record both after every step */
    compareOrders: z.boolean().default(true),
    /** dnq codebook family (methods.md §1.3 B.1: INQ powers of two or SLQ k-means; uniform affine as a third) */
    codebook: z.enum(['kmeans', 'pow2', 'uniform']).default('kmeans'),
    granularity: z.enum(['per-tensor', 'per-channel']).default('per-tensor'),
    /** cumulative quantized fractions; the last must be 1 */
    fractions: z.array(z.number().gt(0).max(1)).min(1).max(10).default([0.5, 0.75, 0.875, 1]),
    retrainEpochs: z.number().min(0).max(50).default(1),
    learningRate: z.number().positive().max(1).default(1e-4),
    batchSize: BatchSize.default(64),
    /** retrain on the first N examples of a seeded shuffle of the train split */
    trainLimit: Limit.optional(),
    /** episodes are evaluated on this many seeded val examples; the final model on the whole test split */
    episodeEvalSize: z.number().int().min(10).default(500),
    /** step figures on the first N val examples, the final report on the first N test examples (all when absent) */
    evalLimit: Limit.optional(),
    /** dnq controller */
    controller: z.enum(['lstm', 'mlp']).default('lstm'),
    hidden: z.number().int().min(4).max(256).default(32),
    reward: z.enum(['additive', 'multiplicative']).default('multiplicative'),
    lambda: z.number().min(0).max(10).default(0.02),
    beta: z.number().min(0).max(10).default(0.03),
    crTarget: z.number().positive().max(64).default(10),
    samplesPerUpdate: z.number().int().min(1).max(64).default(4),
    baselineDecay: z.number().min(0).max(1).default(0.9),
    controllerLr: z.number().positive().max(1).default(0.05),
    /** layers whose bits are fixed (the controller does not sample them) */
    pinned: layerBits.default({}),
    /** a fixed per-layer policy instead of a search (dnq), e.g. from the studio's edited table */
    policy: layerBits.optional(),
    /** slq: which clusters go first */
    slqOrder: z.enum(['cluster-loss', 'cluster-magnitude']).default('cluster-loss'),
    /** mlq: ternary codebook, TWN symmetric {−a,0,a} or 3 k-means centroids (zero fixed, possibly asymmetric) */
    mlqCodebook: z.enum(['kmeans', 'ternary']).default('kmeans'),
    /** mlq: layers per depth group (front to back); 0 = all layers in one group (no layer compensation) */
    mlqGroupSize: z.number().int().min(0).max(1000).default(1),
    out: OutDir.optional(),
    seed: Seed.default(1),
    /** the metric cells, rewards and steps are measured with (a scalar metric of the model's task; default its own: top1) */
    metric: z.string().min(1).max(64).optional(),
    evaluator: EvaluatorChoice.default('auto'),
  })
  .strict();
export type QuantizeConfig = z.input<typeof QuantizeConfig>;

/** Quick check of a fixed policy without retraining (the studio's "re-evaluate"). */
export const PolicyEvalConfig = z
  .object({
    model: ModelRef,
    data: DatasetRef,
    policy: layerBits,
    codebook: z.enum(['kmeans', 'pow2', 'uniform']).default('kmeans'),
    granularity: z.enum(['per-tensor', 'per-channel']).default('per-tensor'),
    limit: Limit.optional(),
    seed: Seed.default(1),
    /** the metric cells, rewards and steps are measured with (a scalar metric of the model's task; default its own: top1) */
    metric: z.string().min(1).max(64).optional(),
    evaluator: EvaluatorChoice.default('auto'),
  })
  .strict();
export type PolicyEvalConfig = z.input<typeof PolicyEvalConfig>;

export const quantJobs = [
  z.object({ kind: z.literal('sensitivity'), config: SensitivityConfig }).strict(),
  z.object({ kind: z.literal('quantize'), config: QuantizeConfig }).strict(),
  z.object({ kind: z.literal('policy-eval'), config: PolicyEvalConfig }).strict(),
] as const;

const LayerQuantRequest = z
  .object({
    model: ModelRef,
    layer: z.string().min(1).max(512),
    bits: z.number().int().min(2).max(8).default(4),
    method: z.enum(['uniform', 'pow2', 'kmeans', 'ternary']).default('kmeans'),
    granularity: z.enum(['per-tensor', 'per-channel']).default('per-tensor'),
    symmetric: z.boolean().default(true),
    /** how many weights to list with their codes */
    sample: z.number().int().min(0).max(1000).default(24),
  })
  .strict();

export const quantMethods = {
  'quant.layer': LayerQuantRequest,
} satisfies Record<string, z.ZodTypeAny>;

export interface SensitivityResult extends EvaluatedBy {
  model: string;
  data: string;
  method: string;
  granularity: string;
  /** every cell and the baseline are measured on val (a sensitivity map drives choices) */
  baseline: number;
  n: number;
  split: 'val';
  splits: SplitsInfo;
  /** the metric every number of this result is (bits[b], baseline, spread) */
  metric: string;
  seed: number;
  subsets: number;
  backend: string;
  /** one row per layer or group; bits[b] = top-1 with only these layers at b bits */
  layers: { name: string; members: string[]; params: number; bits: Record<string, number>; spread?: Record<string, { mean: number; std: number; min: number; max: number }> }[];
}

export interface EpisodeRecord {
  episode: number;
  policy: Record<string, number>;
  top1: number;
  compressionRatio: number;
  reward: number;
  baseline: number;
}
export interface StepRow {
  fraction: number;
  top1: number;
  top1Quantized: number;
}
export interface QuantizeResult extends EvaluatedBy {
  method: 'uniform' | 'dnq' | 'slq' | 'mlq';
  /** the metric behind every top1 field below (episode rewards, steps, references, baseline, result) */
  metric: string;
  model: string;
  data: string;
  policy: Record<string, number>;
  layers: { name: string; params: number; bits: number; method: string; granularity: string }[];
  /** the reported figures, on test */
  baseline: { top1: number; n: number; split: 'test' };
  quantized: { top1: number; n: number; split: 'test' };
  /** the same two on val (what a sweep over settings may select on); steps, episodes and references are on val too */
  val: { baseline: number; quantized: number; n: number; split: 'val' };
  splits: SplitsInfo;
  /** 32·Σweights / Σ(bits·weights + codebooks/scales), over the quantized kernels */
  compressionRatio: number;
  /** the same with float biases / BN parameters counted */
  modelCompressionRatio: number;
  steps: StepRow[];
  /** every order that ran on the same policy (dnq with compareOrders), after every step */
  stepsByOrder?: Record<string, StepRow[]>;
  episodes: EpisodeRecord[];
  /** all-layers-at-b references (no retraining, episode subset) for the scatter */
  uniformReferences?: { bits: number; top1: number; compressionRatio: number }[];
  search?: { episodes: number; evaluated: number; seconds: number; episodesPerMinute: number; evalSize: number; evalSeed: number; bestEpisode: number; split: 'val'; evaluator: 'tfjs' | 'ort' };
  seeds: Record<string, number>;
  backend: string;
  out?: string;
  seconds: number;
}
export interface PolicyEvalResult extends EvaluatedBy {
  policy: Record<string, number>;
  /** on val: the studio's re-evaluate is a choice */
  top1: number;
  n: number;
  split: 'val';
  splits: SplitsInfo;
  metric: string;
  baseline: number;
  compressionRatio: number;
  backend: string;
}
export interface LayerQuantResult {
  layer: string;
  shape: number[];
  levels: number[];
  histogram: { edges: number[]; counts: number[] };
  /** first weights: float value, code, dequantized value */
  sample: { index: number; value: number; code: number; dequantized: number }[];
  scales: number[];
  zeroPoints: number[];
  mse: number;
  bitsPerWeight: number;
}

/** Responses of the methods above. */
export interface QuantResponses {
  'quant.layer': LayerQuantResult;
}
