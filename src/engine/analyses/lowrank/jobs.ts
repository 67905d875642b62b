import { LowrankConfig as LowrankSchema } from '../../../shared/api-lowrank';
import type { JobAnalysis } from '../types';
import * as lowrank from './run';

const lowrankJob: JobAnalysis<lowrank.LowrankConfig, Awaited<ReturnType<typeof lowrank.run>>> = {
  parse: (c) => LowrankSchema.parse(c),
  run: lowrank.run,
  withDefaults: (c, jobDir) => ({ ...c, out: c.out ?? jobDir }),
  resultPaths: (_c, r) => [r.modelPath, r.recordPath],
  // two trainings and a factorisation in one job: a killed run starts over (its trainings keep no shared state)
  resumable: () => false,
};

/** Job kinds of the lowrank capability: kind → analysis (registry.ts merges them). */
export const lowrankJobAnalyses: Record<string, JobAnalysis<any, any>> = { lowrank: lowrankJob };
