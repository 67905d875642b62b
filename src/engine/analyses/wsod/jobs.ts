import { WsodDataConfig, WsodDetectConfig, WsodEvalConfig, WsodTrainConfig } from '../../../shared/api-wsod';
import type { JobAnalysis } from '../types';
import * as data from './data';
import * as detect from './detect';
import * as evaluate from './eval';
import * as train from './train';

const dataJob: JobAnalysis<Parameters<typeof data.run>[0], Awaited<ReturnType<typeof data.run>>> = {
  parse: (c) => WsodDataConfig.parse(c),
  run: data.run,
  resultPaths: (_c, r) => [r.out],
};

const trainJob: JobAnalysis<train.WsodTrainConfig, Awaited<ReturnType<typeof train.run>>> = {
  parse: (c) => WsodTrainConfig.parse(c),
  run: train.run,
  withDefaults: (c, jobDir) => ({ ...c, out: c.out ?? jobDir }),
  resultPaths: (_c, r) => [r.runDir, r.recordPath],
  // the head is checkpointed every epoch (with the curriculum's groups and the optimizer state) and the pre-trained
  // backbone is kept: a killed run continues from its last epoch
  resumable: (c) => train.hasWsodCheckpoint(c.out),
};

const evalJob: JobAnalysis<evaluate.WsodEvalConfig, Awaited<ReturnType<typeof evaluate.run>>> = {
  parse: (c) => WsodEvalConfig.parse(c),
  run: evaluate.run,
  resultPaths: (_c, r) => (r.detectionsPath ? [r.detectionsPath] : []),
};

const detectJob: JobAnalysis<detect.WsodDetectConfig, Awaited<ReturnType<typeof detect.run>>> = {
  parse: (c) => WsodDetectConfig.parse(c),
  run: detect.run,
  resultPaths: (_c, r) => [r.out],
};

/** Job kinds of the wsod capability: kind → analysis (registry.ts merges them). */
export const wsodJobAnalyses: Record<string, JobAnalysis<any, any>> = {
  'wsod-data': dataJob,
  'wsod-train': trainJob,
  'wsod-eval': evalJob,
  'wsod-detect': detectJob,
};
