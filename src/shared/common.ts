/** Primitives every part of the contract shares. No Node or DOM imports. */
import { z } from 'zod';

const ref = z.string().min(1).max(4096);
export const ModelRef = ref.describe('a path to model.json / .onnx or builtin:<name>');
export const DatasetRef = ref.describe('mnist, fashion-mnist, or a folder path');
export const OutDir = z.string().min(1).max(4096);

// fields several job configs share, so their limits are written once (the CLI reads its flag bounds from them)
/** the seed of a random process; recorded with its results */
export const Seed = z.number().int().min(0).max(2 ** 31 - 1);
/** use the first N examples only */
export const Limit = z.number().int().min(1);
export const BatchSize = z.number().int().min(1).max(4096);
export const Epochs = z.number().int().min(1).max(1000);
export const Optimizer = z.enum(['sgd', 'adam']);
export const LearningRate = z.number().positive().max(10);
/** the learning rate over the whole run */
export const Schedule = z.enum(['constant', 'cosine']);
/** 'shift': random translations of up to 2 pixels, drawn from the seed */
export const Augment = z.enum(['none', 'shift']);
/** what runs evaluation: 'auto' times one batch through both and keeps the faster; 'ort' is ONNX Runtime */
export const EvaluatorChoice = z.enum(['auto', 'tfjs', 'ort']);

/** Which path evaluated a result; `evaluatorNote` says why ONNX Runtime was or was not used. */
export interface EvaluatedBy {
  evaluator: 'tfjs' | 'ort';
  evaluatorNote?: string;
}

/**
 * A per-layer compression policy: what quantize writes (`policy.json`), what export reads (`--policy`).
 * bits 32 (or no entry) means the layer stays float.
 */
export const LayerPolicy = z
  .object({
    bits: z.number().int().min(1).max(32),
    method: z.enum(['uniform', 'pow2', 'kmeans', 'ternary']).default('uniform'),
    granularity: z.enum(['per-tensor', 'per-channel']).default('per-channel'),
    symmetric: z.boolean().default(true),
  })
  .strict();
export type LayerPolicy = z.input<typeof LayerPolicy>;

export const Policy = z
  .object({
    version: z.literal(1).default(1),
    layers: z.record(z.string().min(1).max(512), LayerPolicy),
    /** who made it: method, seed, dataset, accuracy … */
    provenance: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();
export type Policy = z.input<typeof Policy>;
