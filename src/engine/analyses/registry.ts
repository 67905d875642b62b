import type { JobKind } from '../../shared/api';
import { TrainConfig as TrainSchema, EvalConfig as EvalSchema } from '../../shared/api';
import type { RunContext } from '../core/context';
import * as train from './train';
import * as evaluate from './eval';

/** A capability that runs as a job: validate its config, run it, say which files it produced. */
export interface JobAnalysis<C = unknown, R = unknown> {
  parse(config: unknown): C;
  run(config: C, ctx: RunContext): Promise<R>;
  /** where the job writes when the caller gave no folder of its own */
  withDefaults?(config: C, jobDir: string): C;
  resultPaths?(config: C, result: R): string[];
  /** whether a killed run of this config can continue from where it stopped */
  resumable?(config: C): boolean;
}

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

export const jobAnalyses: Record<JobKind, JobAnalysis<any, any>> = {
  train: trainJob,
  eval: evalJob,
};
