import type { JobKind } from '../../shared/api';
import { TrainConfig as TrainSchema, EvalConfig as EvalSchema } from '../../shared/api';
import type { JobAnalysis } from './types';
import { quantJobAnalyses } from './quant/jobs';
import { lowrankJobAnalyses } from './lowrank/jobs';
import { exportJobAnalyses } from './export/jobs';
import { wsodJobAnalyses } from './wsod/jobs';
import { wsodCompressJobAnalyses } from './wsod-compress/jobs';
import { partsJobAnalyses } from './parts/jobs';
import { actionJobAnalyses } from './action/jobs';
import * as train from './train';
import * as evaluate from './eval';

const trainJob: JobAnalysis<train.TrainConfig, Awaited<ReturnType<typeof train.run>>> = {
  parse: (c) => TrainSchema.parse(c),
  run: train.run,
  withDefaults: (c, jobDir) => ({ ...c, out: c.out ?? jobDir }),
  resultPaths: (_c, r) => [r.modelPath],
  resumable: (c) => train.hasCheckpoint(c.out),
};

const evalJob: JobAnalysis<evaluate.EvalConfig, Awaited<ReturnType<typeof evaluate.run>>> = {
  parse: (c) => EvalSchema.parse(c),
  run: evaluate.run,
};

export const jobAnalyses = {
  train: trainJob,
  eval: evalJob,
  ...quantJobAnalyses,
  ...lowrankJobAnalyses,
  ...exportJobAnalyses,
  ...wsodJobAnalyses,
  ...wsodCompressJobAnalyses,
  ...partsJobAnalyses,
  ...actionJobAnalyses,
} as Record<JobKind, JobAnalysis<any, any>>;
