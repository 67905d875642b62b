// A queue worker's job thread. Unlike the local runner's one-job threads it stays up between jobs, so a child pays
// the engine's load time (seconds: tsx, tfjs, the job table) once per thread, not once per job; each job still runs
// through the engine's job table (`jobAnalyses[kind].run`) exactly as a local job does, and reports in the local
// runner's messages.
import { parentPort } from 'node:worker_threads';
import { CancelledError, oneLine } from '../core/errors';
import type { RunContext } from '../core/context';
import { jobAnalyses } from '../analyses/registry';
import type { WorkerMessage } from '../jobs/messages';

/** What a worker asks its thread. */
export type ThreadRequest = { type: 'run'; kind: string; config: unknown; workDir: string } | { type: 'cancel' };

const port = parentPort!;
const post = (m: WorkerMessage) => port.postMessage(m);
let abort: AbortController | undefined;

port.on('message', (m: ThreadRequest) => {
  if (m.type === 'cancel') abort?.abort();
  else void run(m);
});
// the engine is loaded (the imports above ran): the worker may call itself ready
post({ type: 'log', message: 'loaded' });

async function run(m: Extract<ThreadRequest, { type: 'run' }>): Promise<void> {
  const controller = new AbortController();
  abort = controller;
  const ctx: RunContext = {
    signal: controller.signal,
    workDir: m.workDir,
    progress: (p) => post({ type: 'progress', ...p }),
    log: (message) => post({ type: 'log', message }),
  };
  try {
    const analysis = (jobAnalyses as Record<string, (typeof jobAnalyses)[keyof typeof jobAnalyses] | undefined>)[m.kind];
    if (!analysis) throw new Error(`job kind "${m.kind}" is not in the job table`);
    const result = await analysis.run(m.config, ctx);
    post({ type: 'done', result, resultPaths: analysis.resultPaths?.(m.config, result) ?? [] });
  } catch (e) {
    if (e instanceof CancelledError || controller.signal.aborted) post({ type: 'cancelled' });
    else post({ type: 'failed', error: oneLine(e) });
  } finally {
    abort = undefined;
  }
}
