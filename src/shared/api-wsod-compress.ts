/**
 * Compression of the weakly supervised detector: per-layer sensitivity in mAP@0.5, and a compressed copy of a run
 * folder (quantized under a policy or uniform bits, optionally low rank, optionally exported), scored float vs
 * compressed, whose detections let Review show what changed. api.ts merges it. No Node or DOM imports.
 */
import { z } from 'zod';
import { DatasetRef, Limit, ModelRef, OutDir, Policy, Seed, type EvaluatedBy } from './common';
import { ValSplitOptions, type SplitsInfo } from './api-eval';
import { ExportFormats, type ExportReport } from './api-export';
import type { WsodScores } from './api-wsod';

const runRef = ModelRef.describe('a wsod run folder');
/** a layer of the detector: `backbone/conv1`, `head/fc` (or its bare name when it is unique) */
const LayerName = z.string().min(1).max(512);
const QuantMethodField = z.enum(['uniform', 'pow2', 'kmeans']);
const GranularityField = z.enum(['per-tensor', 'per-channel']);

export const WsodSensitivityConfig = z
  .object({
    model: runRef,
    /** the detection dataset (default: the one the run was trained on) */
    data: DatasetRef.optional(),
    /** layers to probe (default: every conv and dense kernel of backbone and head) */
    layers: z.array(LayerName).min(1).max(256).optional(),
    bits: z.array(z.number().int().min(2).max(8)).min(1).max(7).default([8, 6, 4, 3, 2]),
    method: QuantMethodField.default('uniform'),
    granularity: GranularityField.default('per-channel'),
    /** evaluate on the first N images of a seeded shuffle of val (all when absent) */
    limit: Limit.optional(),
    seed: Seed.default(1),
    /** the suggested policy gives each layer the fewest bits whose val mAP@0.5 stays within this of the float detector's */
    tolerance: z.number().min(0).max(1).default(0.01),
    ...ValSplitOptions,
  })
  .strict();
export type WsodSensitivityConfig = z.input<typeof WsodSensitivityConfig>;

export interface WsodSensitivityResult extends EvaluatedBy {
  model: string;
  data: string;
  method: string;
  granularity: string;
  /** the float detector on the same val images */
  baseline: number;
  baselineCorloc: number;
  n: number;
  /** a sensitivity map drives choices, so it reads val */
  split: 'val';
  splits: SplitsInfo;
  /** what `baseline` and every `bits` cell are */
  metric: 'mAP50';
  seed: number;
  backend: string;
  /** one row per layer; bits[b] = mAP@0.5 with only this layer at b bits, corloc[b] the same for CorLoc */
  layers: { name: string; members: string[]; params: number; bits: Record<string, number>; corloc: Record<string, number> }[];
  /** per layer, the fewest probed bits within `tolerance` of the baseline (32 = none was): a policy wsod-compress reads.
   * Layers are probed one at a time, so the policy's joint effect is what wsod-compress then measures. */
  policy: Policy;
  tolerance: number;
  wallSeconds: number;
}

const LowrankOptions = z
  .object({
    /** layers to factorise (default `head/fc`); backbone convs are factorised at the data's image size */
    layers: z.array(LayerName).min(1).max(64).default(['head/fc']),
    /** keep the smallest rank holding this share of the squared singular values */
    energy: z.number().gt(0).max(1).default(0.9),
    /** or: ranks chosen so that the factorised layers' MACs shrink this many times in total (over the selected layers) */
    speedup: z.number().gt(1).max(1000).optional(),
    scheme: z.enum(['channel', 'spatial']).default('channel'),
  })
  .strict();

export const WsodCompressConfig = z
  .object({
    model: runRef,
    data: DatasetRef.optional(),
    /** the compressed copy of the run folder (default: the job's folder) */
    out: OutDir.optional(),
    /** a policy.json path or a policy object: per-layer bits (`conv1` or `backbone/conv1`) */
    policy: z.union([z.string().min(1).max(4096), Policy]).optional(),
    /** every conv and dense kernel at this many bits (a policy's layers take precedence) */
    bits: z.number().int().min(2).max(16).optional(),
    method: QuantMethodField.default('uniform'),
    granularity: GranularityField.default('per-channel'),
    lowrank: LowrankOptions.optional(),
    /** also write the compressed backbone and head in these formats (each verified against the compressed model) */
    formats: z.array(z.enum(ExportFormats)).max(4).default([]),
    /** score on the first N test (and val) images (all when absent) */
    limit: Limit.optional(),
    seed: Seed.default(1),
    ...ValSplitOptions,
  })
  .strict();
export type WsodCompressConfig = z.input<typeof WsodCompressConfig>;

/** One weighted layer of the compressed detector. */
export interface WsodCompressLayer {
  /** `backbone/conv1`, `head/fc_lr1` … */
  name: string;
  params: number;
  /** 32 = float */
  bits: number;
  /** bytes of the layer's weights at their storage bits (codes + scales or codebooks; biases float32) */
  bytes: number;
  floatBytes: number;
}

export interface WsodCompressResult {
  model: string;
  data: string;
  out: string;
  /** float and compressed detector on the same test images (what is reported) and val images */
  float: { test: WsodScores; val: WsodScores };
  compressed: { test: WsodScores; val: WsodScores };
  layers: WsodCompressLayer[];
  size: { floatBytes: number; compressedBytes: number; ratio: number };
  /** multiply-accumulates: the backbone on one image, the head on one RoI */
  macs: { float: { backbone: number | null; headPerRoI: number }; compressed: { backbone: number | null; headPerRoI: number } };
  lowrank?: { ranks: Record<string, number>; layers: { name: string; rank: number; fullRank: number; decomposed: boolean; flopsBefore: number; flopsAfter: number }[] };
  /** how the compressed detector's test detections differ from the float one's (Review's same/moved/rescored/gone/new) */
  changes: Record<'same' | 'moved' | 'rescored' | 'gone' | 'new', number>;
  /** the same for the boxes a reviewer sees at a confidence of `minScore` (float boxes scoring at least it; new boxes likewise) */
  confidentChanges: { minScore: number } & Record<'same' | 'moved' | 'rescored' | 'gone' | 'new', number>;
  exports: { part: 'backbone' | 'head'; report: ExportReport }[];
  splits: SplitsInfo;
  backend: string;
  wallSeconds: number;
  recordPath: string;
}

/** Job kinds of this capability. */
export const wsodCompressJobs = [
  z.object({ kind: z.literal('wsod-sensitivity'), config: WsodSensitivityConfig }).strict(),
  z.object({ kind: z.literal('wsod-compress'), config: WsodCompressConfig }).strict(),
] as const;
