import type { JobAnalysis } from '../types';

/** Job kinds of the export capability: kind → analysis (registry.ts merges them). */
export const exportJobAnalyses: Record<string, JobAnalysis<any, any>> = {};
