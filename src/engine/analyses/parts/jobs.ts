import { PartsDataConfig, PartsEvalConfig, PartsTrainConfig } from '../../../shared/api-parts';
import type { JobAnalysis } from '../types';
import * as data from './data';
import * as evaluate from './eval';
import * as train from './train';

const dataJob: JobAnalysis<Parameters<typeof data.run>[0], Awaited<ReturnType<typeof data.run>>> = {
  parse: (c) => PartsDataConfig.parse(c),
  run: data.run,
  resultPaths: (_c, r) => [r.out],
};

const trainJob: JobAnalysis<train.PartsTrainConfig, Awaited<ReturnType<typeof train.run>>> = {
  parse: (c) => PartsTrainConfig.parse(c),
  run: train.run,
  withDefaults: (c, jobDir) => ({ ...c, out: c.out ?? jobDir }),
  resultPaths: (_c, r) => [r.runDir, r.recordPath],
  // the pre-trained backbone is kept in the run folder: a killed run resumes without pre-training again
  resumable: (c) => train.hasPartsBackbone(c.out),
};

const evalJob: JobAnalysis<evaluate.PartsEvalConfig, Awaited<ReturnType<typeof evaluate.run>>> = {
  parse: (c) => PartsEvalConfig.parse(c),
  run: evaluate.run,
};

/** Job kinds of the parts capability: kind → analysis (registry.ts merges them). */
export const partsJobAnalyses: Record<string, JobAnalysis<any, any>> = {
  'parts-data': dataJob,
  'parts-train': trainJob,
  'parts-eval': evalJob,
};
