import { WsodCompressConfig, WsodSensitivityConfig } from '../../../shared/api-wsod-compress';
import type { JobAnalysis } from '../types';
import * as compress from './compress';
import * as sensitivity from './sensitivity';

const sensitivityJob: JobAnalysis<sensitivity.WsodSensitivityConfig, Awaited<ReturnType<typeof sensitivity.run>>> = {
  parse: (c) => WsodSensitivityConfig.parse(c),
  run: sensitivity.run,
};

const compressJob: JobAnalysis<compress.WsodCompressConfig & { out: string }, Awaited<ReturnType<typeof compress.run>>> = {
  parse: (c) => WsodCompressConfig.parse(c) as compress.WsodCompressConfig & { out: string },
  run: compress.run,
  // without an out folder the compressed copy is the job's own folder
  withDefaults: (c, jobDir) => ({ ...c, out: c.out ?? jobDir }),
  resultPaths: (_c, r) => [r.out, r.recordPath],
};

/** Job kinds of the detector's compression: kind → analysis (registry.ts merges them). */
export const wsodCompressJobAnalyses: Record<string, JobAnalysis<any, any>> = {
  'wsod-sensitivity': sensitivityJob,
  'wsod-compress': compressJob,
};
