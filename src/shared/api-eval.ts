/** The evaluation part of the contract: which split a number came from, and the split sizes behind it. */
import { z } from 'zod';

export const SplitNames = ['train', 'val', 'test'] as const;
export type SplitName = (typeof SplitNames)[number];
/** What a result may be measured on: selection reads val, reports read test. */
export const EvalSplit = z.enum(['val', 'test']);
export type EvalSplit = z.infer<typeof EvalSplit>;

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
