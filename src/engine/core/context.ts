import { CancelledError } from './errors';

export interface Progress {
  /** 0..1 over the whole run */
  fraction: number;
  stage?: string;
  /** scalar metrics at this point (loss, accuracy, …), appended to the job's metric history */
  metrics?: Record<string, number>;
}

/** What every `run(config, ctx)` gets: where to report, when to stop, where to write. */
export interface RunContext {
  signal: AbortSignal;
  progress(p: Progress): void;
  /** a folder the run may write checkpoints and outputs into; created by the caller */
  workDir?: string;
  log?(message: string): void;
  /** run independent parts of this job as sub-jobs elsewhere (a queue's other workers), results in order; undefined: do them here */
  fanOut?(kind: string, parts: unknown[]): Promise<unknown[] | undefined>;
}

export function throwIfCancelled(ctx: Pick<RunContext, 'signal'>): void {
  if (ctx.signal.aborted) throw new CancelledError();
}

/** A context for tests and one-off calls: never cancelled, progress ignored unless a sink is given. */
export function plainContext(sink?: (p: Progress) => void, workDir?: string): RunContext {
  return { signal: new AbortController().signal, progress: sink ?? (() => {}), workDir };
}
