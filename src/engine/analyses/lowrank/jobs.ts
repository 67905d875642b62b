import type { JobAnalysis } from '../types';

/** Job kinds of the lowrank capability: kind → analysis (registry.ts merges them). */
export const lowrankJobAnalyses: Record<string, JobAnalysis<any, any>> = {};
