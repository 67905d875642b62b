import type { JobAnalysis } from '../types';
import { UserError } from '../../core/errors';

const notYet: JobAnalysis<unknown, never> = {
  parse: (c) => c,
  run: async () => {
    throw new UserError('wsod jobs are not available in this build yet');
  },
};

/** Job kinds of the wsod capability: kind → analysis (registry.ts merges them). WIP. */
export const wsodJobAnalyses: Record<string, JobAnalysis<any, any>> = {
  'wsod-data': notYet,
  'wsod-train': notYet,
  'wsod-eval': notYet,
  'wsod-detect': notYet,
};
