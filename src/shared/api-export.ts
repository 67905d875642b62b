/** The export part of the API contract: job kinds, methods and responses. api.ts merges it. */
import { z } from 'zod';
import { DatasetRef, ModelRef, OutDir } from './common';

export const ExportFormats = ['tfjs', 'onnx', 'aimet', 'packed'] as const;
export type ExportFormat = (typeof ExportFormats)[number];
export const TfjsDtypes = ['float32', 'float16', 'uint8', 'uint16', 'policy'] as const;

export const ExportConfig = z
  .object({
    model: ModelRef,
    /** a policy.json path (issue 4's format) */
    policy: z.string().min(1).max(4096).optional(),
    /** one format writes straight into `out`; several write into out/<format>/ */
    formats: z.array(z.enum(ExportFormats)).min(1).max(4),
    out: OutDir.optional(),
    /** evaluation split for the verification; default: the dataset the model was trained on */
    data: DatasetRef.optional(),
    limit: z.number().int().min(1).optional(),
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
    limit: z.number().int().min(1).optional(),
  })
  .strict();
export type DiffConfig = z.input<typeof DiffConfig>;

/** Job kinds of this capability: z.object({ kind: z.literal('…'), config: … }).strict(), one per kind. */
export const exportJobs = [
  z.object({ kind: z.literal('export'), config: ExportConfig }).strict(),
  z.object({ kind: z.literal('diff'), config: DiffConfig }).strict(),
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
  /** max |output difference| over the evaluated examples */
  maxOutputDiff: number;
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
