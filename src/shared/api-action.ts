/**
 * The action-recognition part of the contract: the moving-digit clip benchmark, optical flow, the two-stream
 * coarse-to-fine network with asynchronous fusion, its evaluation, and what the Action view shows.
 * api.ts merges it. No Node or DOM imports.
 */
import { z } from 'zod';
import { DatasetRef, ModelRef, OutDir, Seed, Epochs, Limit } from './common';
import { ValSplitOptions, type SplitsInfo } from './api-eval';

/** `layerlens action data`: write the moving-digit clips as UCF101-style frame folders. */
export const ActionDataConfig = z
  .object({
    out: OutDir,
    /** clips of the train part (val is carved from it when loading) and of the test part */
    clips: z.number().int().min(12).max(100000).default(360),
    testClips: z.number().int().min(12).max(100000).default(240),
    frames: z.number().int().min(8).max(64).default(16),
    size: z.number().int().min(16).max(128).default(32),
    /** frames from the appearance cue to the motion (the asynchrony); each clip draws lag ± lagJitter */
    lag: z.number().int().min(0).max(40).default(4),
    lagJitter: z.number().int().min(0).max(10).default(1),
    seed: Seed.default(1),
  })
  .strict();
export type ActionDataConfig = z.input<typeof ActionDataConfig>;
export interface ActionDataResult {
  out: string;
  classNames: string[];
  coarseNames: string[];
  train: number;
  test: number;
  lag: number;
  lagJitter: number;
  seed: number;
}

/** `layerlens action flow`: compute (or find cached) Farnebäck flow for every clip of a frame folder. */
export const ActionFlowConfig = z.object({ data: DatasetRef, ...ValSplitOptions }).strict();
export type ActionFlowConfig = z.input<typeof ActionFlowConfig>;
export interface ActionFlowResult {
  data: string;
  clips: number;
  computed: number;
  cached: number;
  /** wall ms per computed clip (null when all were cached) */
  msPerClip: number | null;
  wallSeconds: number;
  cacheDir: string;
}

/** `layerlens action import`: video files (`<Class>/<video>`) to frame folders through a system ffmpeg. */
export const ActionImportConfig = z
  .object({
    videos: DatasetRef.describe('a folder of <Class>/<video file>'),
    out: OutDir,
    frames: z.number().int().min(2).max(256).default(16),
    size: z.number().int().min(16).max(512).default(64),
  })
  .strict();
export type ActionImportConfig = z.input<typeof ActionImportConfig>;
export interface ActionImportResult {
  out: string;
  clips: number;
  classes: string[];
}

const ActionFusion = z.enum(['async', 'sync']);
const ActionLevels = z.enum(['coarse-to-fine', 'fine']);

/** `layerlens action train`: the two streams and the fusion unit, end to end; the best val epoch is kept. */
export const ActionTrainConfig = z
  .object({
    data: DatasetRef,
    out: OutDir.optional(),
    fusion: ActionFusion.default('async'),
    levels: ActionLevels.default('coarse-to-fine'),
    /** async fusion pairs RGB at t with flow at t + d for d in −maxOffset..maxOffset */
    maxOffset: z.number().int().min(1).max(15).default(7),
    /** flow fields stacked per motion-stream input */
    flowStack: z.number().int().min(1).max(10).default(2),
    epochs: Epochs.default(12),
    learningRate: z.number().positive().max(1).default(3e-3),
    batchSize: z.number().int().min(1).max(256).default(16),
    /** train on the first N train clips only */
    limit: Limit.optional(),
    seed: Seed.default(1),
    ...ValSplitOptions,
  })
  .strict();
export type ActionTrainConfig = z.input<typeof ActionTrainConfig>;

/** Scores of a run on one split. */
export interface ActionScores {
  split: 'val' | 'test';
  n: number;
  top1Fine: number;
  top1Coarse: number;
  /** confusion[true][predicted] */
  confusionFine: number[][];
  confusionCoarse: number[][];
}

export interface ActionTrainResult {
  data: string;
  seed: number;
  runDir: string;
  fusion: 'async' | 'sync';
  levels: 'coarse-to-fine' | 'fine';
  /** the epoch whose val top-1 (fine) was best: its weights are the run's */
  bestEpoch: number;
  val: ActionScores;
  test: ActionScores;
  offsets: number[];
  /** learned fusion weight per offset, mean over classes */
  offsetWeights: number[];
  history: { epoch: number; loss: number; valTop1Fine: number; seconds: number }[];
  timings: { flowSeconds: number; flowMsPerClip: number | null; trainSeconds: number; secondsPerEpoch: number };
  config: Record<string, unknown>;
  splits: SplitsInfo;
  wallSeconds: number;
  cpuSeconds: number;
  backend: string;
  recordPath: string;
}

/** `layerlens action eval`: score a run folder on val or test. */
export const ActionEvalConfig = z
  .object({
    model: ModelRef.describe('an action run folder'),
    data: DatasetRef,
    split: z.enum(['val', 'test']).default('test'),
    ...ValSplitOptions,
  })
  .strict();
export type ActionEvalConfig = z.input<typeof ActionEvalConfig>;
export interface ActionEvalResult extends ActionScores {
  model: string;
  offsets: number[];
  offsetWeights: number[];
  backend: string;
}

const ClipRequest = z
  .object({
    data: DatasetRef,
    split: z.enum(['train', 'val', 'test']).default('test'),
    index: z.number().int().min(0).max(1e7).default(0),
    /** a run folder: adds the streams' per-frame class scores and the fused scores */
    model: ModelRef.optional(),
    ...ValSplitOptions,
  })
  .strict();
const RunRequest = z.object({ model: ModelRef.describe('an action run folder') }).strict();

/** One clip for the player: frames, its flow on the colour wheel, and (with a run) the score timelines. */
export interface ActionClipView {
  id: string;
  index: number;
  count: number;
  label: number;
  className: string;
  coarseName: string | null;
  width: number;
  height: number;
  channels: number;
  /** per frame, HWC bytes */
  frames: number[][];
  /** per flow field (frames − 1), HW × RGB bytes on the colour wheel */
  flow: number[][];
  /** the generator's truth when the folder has it */
  truth: { lag: number; appearanceAt: number; distractorAt: number; motionAt: number; pattern: string; object: string } | null;
  scores: {
    /** per frame, probability of each fine class: RGB stream, motion stream */
    rgb: number[][];
    flow: number[][];
    fused: number[];
    predicted: number;
  } | null;
}

/** What the view shows of a run: its record plus the per-class offset weights and the hierarchy. */
export interface ActionRunView {
  runDir: string;
  record: ActionTrainResult;
  classNames: string[];
  coarseNames: string[];
  coarseOf: number[];
  offsets: number[];
  /** [offset][class] */
  offsetWeightsByClass: number[][];
  /** test accuracy per hierarchy node */
  hierarchy: { name: string; accuracy: number; n: number; children: { name: string; accuracy: number; n: number }[] }[];
}

export const actionJobs = [
  z.object({ kind: z.literal('action-data'), config: ActionDataConfig }).strict(),
  z.object({ kind: z.literal('action-flow'), config: ActionFlowConfig }).strict(),
  z.object({ kind: z.literal('action-import'), config: ActionImportConfig }).strict(),
  z.object({ kind: z.literal('action-train'), config: ActionTrainConfig }).strict(),
  z.object({ kind: z.literal('action-eval'), config: ActionEvalConfig }).strict(),
] as const;

export const actionMethods = {
  /** one clip with its flow (and score timelines under a run) */
  'action.clip': ClipRequest,
  /** a trained run: record, offset × class weights, per-node accuracy */
  'action.run': RunRequest,
} satisfies Record<string, z.ZodTypeAny>;

export interface ActionResponses {
  'action.clip': ActionClipView;
  'action.run': ActionRunView;
}
