import type { Progress } from '../core/context';

/** What a job's worker thread tells its host. */
export type WorkerMessage =
  | ({ type: 'progress' } & Progress)
  | { type: 'log'; message: string }
  | { type: 'done'; result: unknown; resultPaths: string[] }
  | { type: 'failed'; error: string }
  | { type: 'cancelled' };
