import type { RunContext } from '../core/context';

/** A capability that runs as a job: validate its config, run it, say which files it produced. */
export interface JobAnalysis<C = unknown, R = unknown> {
  parse(config: unknown): C;
  run(config: C, ctx: RunContext): Promise<R>;
  /** where the job writes when the caller gave no folder of its own */
  withDefaults?(config: C, jobDir: string): C;
  resultPaths?(config: C, result: R): string[];
  /** whether a killed run of this config can continue from where it stopped */
  resumable?(config: C): boolean;
}
