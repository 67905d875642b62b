/** The export part of the API contract: job kinds, methods and responses. api.ts merges it. */
import { z } from 'zod';
import { DatasetRef, ModelRef, OutDir, Seed, Limit } from './common';

export const ExportFormats = ['tfjs', 'onnx', 'aimet', 'packed'] as const;
export type ExportFormat = (typeof ExportFormats)[number];
export const TfjsDtypes = ['float32', 'float16', 'uint8', 'uint16', 'policy'] as const;

export const ExportConfig = z
  .object({
    model: ModelRef,
    /** a policy.json path (issue 4's format); 'none' writes float even when the model carries a policy */
    policy: z.string().min(1).max(4096).optional(),
    /** one format writes straight into `out`; several write into out/<format>/ */
    formats: z.array(z.enum(ExportFormats)).min(1).max(4),
    out: OutDir.optional(),
    /** evaluation split for the verification; default: the dataset the model was trained on */
    data: DatasetRef.optional(),
    limit: Limit.optional(),
    /** tfjs weight storage; default 'policy' with a policy, else float32 */
    tfjsDtype: z.enum(TfjsDtypes).optional(),
  })
  .strict();
export type ExportConfig = z.input<typeof ExportConfig>;

export const DiffConfig = z
  .object({
    a: ModelRef,
    b: ModelRef,
    data: DatasetRef.optional(),
    limit: Limit.optional(),
  })
  .strict();
export type DiffConfig = z.input<typeof DiffConfig>;

/**
 * Post-training quantization of any loaded model (tfjs layers, tfjs graph, ONNX): every kernel at `bits`, no
 * retraining; measured by output agreement with the float model, plus top-1 when labelled data is given.
 */
export const PtqConfig = z
  .object({
    model: ModelRef,
    bits: z.number().int().min(2).max(16).default(8),
    scheme: z.enum(['uniform', 'kmeans', 'pow2']).default('uniform'),
    granularity: z.enum(['per-tensor', 'per-channel']).default('per-tensor'),
    /** labelled data: its test split is the input (and top-1 is reported); else seeded random inputs */
    data: DatasetRef.optional(),
    /** examples the agreement is measured on */
    limit: z.number().int().min(1).max(10_000).default(32),
    seed: Seed.default(1),
    /** layers left float */
    skip: z.array(z.string().min(1).max(512)).max(10_000).default([]),
    /** also quantize each layer alone and measure agreement: a label-free sensitivity map */
    perLayer: z.boolean().default(false),
    /** write the quantized model (with its policy) here */
    out: OutDir.optional(),
  })
  .strict();
export type PtqConfig = z.input<typeof PtqConfig>;

export interface OutputAgreement {
  name: string;
  shape: (number | null)[];
  /** mean over examples of cos(float, quantized) of this output */
  cosine: number;
  minCosine: number;
  /** ‖quantized − float‖ / ‖float‖ over all examples */
  relError: number;
  maxAbsDiff: number;
  /** fraction of examples with the same arg-max, for [n, k] score outputs; null otherwise */
  top1Agreement: number | null;
  /** task hooks' measures (e.g. topBoxIoU for detectors) */
  extra?: Record<string, number>;
}
export interface PtqLayer {
  name: string;
  kind: string;
  params: number;
  bits: number;
  /** ‖Q(w) − w‖ / ‖w‖ of the kernel */
  weightRelError: number;
  /** with only this layer quantized (perLayer): agreement averaged over the outputs */
  alone?: { cosine: number; relError: number };
}
export interface PtqResult {
  model: string;
  format: string;
  bits: number;
  scheme: string;
  granularity: string;
  layers: PtqLayer[];
  outputs: OutputAgreement[];
  /** examples and where they came from ('random' when no data was given) */
  n: number;
  data: string;
  /** the split `outputs` and `top1` are measured on (a report: test) */
  split: 'test' | 'random';
  /** the split the per-layer map is measured on (it guides choices, e.g. --skip: val); null without perLayer */
  perLayerSplit: 'val' | 'random' | null;
  seed: number;
  top1: { float: number; quantized: number } | null;
  /** float32 kernel bits over quantized kernel bits (biases and other weights excluded) */
  compressionRatio: number;
  /** the folder written (model + policy.json), null without --out */
  out: string | null;
  modelPath: string | null;
  backend: string;
}

/** Job kinds of this capability: z.object({ kind: z.literal('…'), config: … }).strict(), one per kind. */
export const exportJobs = [
  z.object({ kind: z.literal('export'), config: ExportConfig }).strict(),
  z.object({ kind: z.literal('diff'), config: DiffConfig }).strict(),
  z.object({ kind: z.literal('ptq'), config: PtqConfig }).strict(),
] as const;

/** Methods of this capability: name → request schema. */
export const exportMethods = {
  /** copy a finished export job's files into a folder of the user's choice */
  'export.save': z.object({ id: z.string().min(1).max(200), to: OutDir }).strict(),
  /** how a model's weights are stored: codes beside dequantized values for quantized manifests */
  'export.storage': z.object({ model: ModelRef, limit: z.number().int().min(1).max(64).default(8) }).strict(),
} satisfies Record<string, z.ZodTypeAny>;

export interface ExportLayerReport {
  name: string;
  kind: string;
  /** simulated bits per weight of the kernel (32 = float) */
  bits: number;
  params: number;
  /** bytes this layer's weights take in the written target (codes, scales, zero points, bias …) */
  bytes: number;
  gzipBytes: number;
  /** how the kernel is stored: float32, float16, uint8, int4 … */
  storage: string;
  /** what the target could not store as the policy asked */
  flags: string[];
  /** max |reloaded − simulated| over the layer's weights */
  maxAbsError: number;
}
export interface ExportVerify {
  maxAbsError: number;
  top1Simulated: number | null;
  top1Reloaded: number | null;
  /** fraction of evaluated examples where the reloaded and simulated models agree on the top class */
  agreement: number;
  /** max |output difference| over the evaluated examples (first output) */
  maxOutputDiff: number;
  /** every output of the reloaded file against the simulated model */
  outputs?: OutputAgreement[];
  n: number;
  /** the evaluation data, or 'random' when no dataset was known */
  data: string;
  /** what reloaded it: tf.loadLayersModel, onnxruntime-node, layerlens packed reader */
  runtime: string;
}
export interface ExportReport {
  format: ExportFormat;
  files: string[];
  bytes: number;
  gzipBytes: number;
  /** bytes the weights take as float32 (the uncompressed reference) */
  float32Bytes: number;
  layers: ExportLayerReport[];
  verify: ExportVerify;
}
export interface ExportResult {
  model: string;
  policy: string | null;
  out: string;
  reports: ExportReport[];
  backend: string;
}

export interface DiffLayer {
  name: string;
  kind: string;
  /** the layer(s) of B matched to it (two for a low-rank pair) */
  matched: string[];
  bitsA: number | null;
  bitsB: number | null;
  rankA: number | null;
  rankB: number | null;
  paramsA: number;
  paramsB: number;
  flopsA: number;
  flopsB: number;
  bytesA: number;
  bytesB: number;
  /** max |A − B| of the kernel (B's low-rank pair multiplied out); null when shapes cannot be compared */
  maxAbsError: number | null;
  /** ‖A − B‖ / ‖A‖ of the kernel */
  relError: number | null;
}
export interface DiffSide {
  ref: string;
  format: string;
  params: number;
  flops: number;
  bytes: number;
  top1: number | null;
}
export interface DiffResult {
  a: DiffSide;
  b: DiffSide;
  layers: DiffLayer[];
  onlyA: string[];
  onlyB: string[];
  data: string | null;
  n: number;
  /** the split both top-1 figures are on: test (a diff reports), null without data */
  split: 'test' | null;
  backend: string;
}

export interface StorageWeight {
  name: string;
  shape: number[];
  dtype: string;
  /** float32, float16, uint8, uint16, int4 … */
  storage: string;
  scale?: number;
  min?: number;
  bytes: number;
  /** the first few stored codes (quantized storage) and their dequantized values */
  codes?: number[];
  values: number[];
}

/** Responses of the methods above. */
export interface ExportResponses {
  'export.save': { files: string[] };
  'export.storage': { model: string; format: string; weights: StorageWeight[] };
}
