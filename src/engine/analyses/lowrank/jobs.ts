import { join } from 'node:path';
import { LowrankConfig as LowrankSchema } from '../../../shared/api-lowrank';
import { hasCheckpoint } from '../train';
import type { JobAnalysis } from '../types';
import * as lowrank from './run';
import { BASELINE_DIR, TRP_DIR } from './run';

const lowrankJob: JobAnalysis<lowrank.LowrankConfig, Awaited<ReturnType<typeof lowrank.run>>> = {
  parse: (c) => LowrankSchema.parse(c),
  run: lowrank.run,
  withDefaults: (c, jobDir) => ({ ...c, out: c.out ?? jobDir }),
  resultPaths: (_c, r) => [r.modelPath, r.recordPath],
  // TRP trains a baseline then the TRP net, each checkpointed per epoch: a killed run picks up the one it was in
  // (TRP projections depend only on the global step, so the resumed run matches an uninterrupted one)
  resumable: (c) => c.method === 'trp' && !!c.out && (hasCheckpoint(join(c.out, BASELINE_DIR)) || hasCheckpoint(join(c.out, TRP_DIR))),
};

/** Job kinds of the lowrank capability: kind → analysis (registry.ts merges them). */
export const lowrankJobAnalyses: Record<string, JobAnalysis<any, any>> = { lowrank: lowrankJob };
