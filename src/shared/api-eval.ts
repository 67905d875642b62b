/** The evaluation part of the contract: eval's config and result, which split a number came from, the split sizes. */
import { z } from 'zod';
import { DatasetRef, EvaluatorChoice, ModelRef, type EvaluatedBy } from './common';

/** What a result may be measured on: selection reads val, reports read test. */
const EvalSplit = z.enum(['val', 'test']);
type EvalSplit = z.infer<typeof EvalSplit>;

/** Where one reported number came from. */
export interface Measured {
  split: EvalSplit;
  /** examples it was computed on */
  n: number;
}

/** How the dataset was split, recorded with every result. */
export interface SplitsInfo {
  /** share of the source's train part carved out as val, and the seed that chose it */
  valFraction: number;
  valSeed: number;
  /** seed of the source's train/test split */
  splitSeed: number;
  nTrain: number;
  nVal: number;
  nTest: number;
}

/** How val is carved from the dataset's train part (defaults: 10 %, seed 4321); recorded with every result. */
export const ValSplitOptions = {
  valFraction: z.number().gt(0).max(0.5).optional(),
  valSeed: z.number().int().min(0).max(2 ** 31 - 1).optional(),
};

export const EvalConfig = z
  .object({
    model: ModelRef,
    data: DatasetRef,
    limit: z.number().int().min(1).optional(),
    batchSize: z.number().int().min(1).max(4096).default(256),
    /** which split to measure: test for a report (default), val while choosing */
    split: EvalSplit.default('test'),
    /** metric names from the registry (default: the dataset task's metrics) */
    metrics: z.array(z.string().min(1).max(64)).min(1).max(32).optional(),
    evaluator: EvaluatorChoice.default('auto'),
    ...ValSplitOptions,
  })
  .strict();
export type EvalConfig = z.input<typeof EvalConfig>;

/** A metric's headline value: a number (top1, mAP50 …), a per-class list, or a matrix (confusion). */
export type MetricValue = number | (number | null)[] | number[][];

export interface EvalResult extends EvaluatedBy {
  task: 'classification' | 'detection' | 'video';
  split: EvalSplit;
  /** examples the metrics were computed on */
  n: number;
  /** by metric name; every one is on `split` */
  metrics: Record<string, MetricValue>;
  /** supporting tables by metric name (per-class support, AP per class and PR curves, …) */
  details: Record<string, unknown>;
  classNames: string[];
  splits: SplitsInfo;
  backend: string;
}
