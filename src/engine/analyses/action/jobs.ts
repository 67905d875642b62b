import { ActionDataConfig, ActionEvalConfig, ActionFlowConfig, ActionImportConfig, ActionTrainConfig } from '../../../shared/api-action';
import type { JobAnalysis } from '../types';
import * as data from './data';
import * as evaluate from './eval';
import * as flow from './flow';
import * as importVideos from './import';
import * as train from './train';

const dataJob: JobAnalysis<Parameters<typeof data.run>[0], Awaited<ReturnType<typeof data.run>>> = {
  parse: (c) => ActionDataConfig.parse(c),
  run: data.run,
  resultPaths: (_c, r) => [r.out],
};
const flowJob: JobAnalysis<Parameters<typeof flow.run>[0], Awaited<ReturnType<typeof flow.run>>> = {
  parse: (c) => ActionFlowConfig.parse(c),
  run: flow.run,
  resultPaths: (_c, r) => [r.cacheDir],
  // computed fields are cached per clip: a rerun skips them
  resumable: () => true,
};
const importJob: JobAnalysis<Parameters<typeof importVideos.run>[0], Awaited<ReturnType<typeof importVideos.run>>> = {
  parse: (c) => ActionImportConfig.parse(c),
  run: importVideos.run,
  resultPaths: (_c, r) => [r.out],
};
const trainJob: JobAnalysis<train.ActionTrainConfig, Awaited<ReturnType<typeof train.run>>> = {
  parse: (c) => ActionTrainConfig.parse(c),
  run: train.run,
  withDefaults: (c, jobDir) => ({ ...c, out: c.out ?? jobDir }),
  resultPaths: (_c, r) => [r.runDir, r.recordPath],
  resumable: (c) => train.hasActionCheckpoint(c.out),
};
const evalJob: JobAnalysis<evaluate.ActionEvalConfig, Awaited<ReturnType<typeof evaluate.run>>> = {
  parse: (c) => ActionEvalConfig.parse(c),
  run: evaluate.run,
};

/** Job kinds of the action capability: kind → analysis (registry.ts merges them). */
export const actionJobAnalyses: Record<string, JobAnalysis<any, any>> = {
  'action-data': dataJob,
  'action-flow': flowJob,
  'action-import': importJob,
  'action-train': trainJob,
  'action-eval': evalJob,
};
