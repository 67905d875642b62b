import type { JobAnalysis } from '../types';

/** Job kinds of the quant capability: kind → analysis (registry.ts merges them). */
export const quantJobAnalyses: Record<string, JobAnalysis<any, any>> = {};
