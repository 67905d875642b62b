// A queue worker's job thread. Unlike the local runner's one-job threads it stays up between jobs, so a child pays
// the engine's load time (seconds: tsx, tfjs, the job table) once per thread, not once per job; each job still runs
// through the engine's job table (`jobAnalyses[kind].run`) exactly as a local job does, and reports in the local
// runner's messages.
import { parentPort } from 'node:worker_threads';
import { CancelledError, oneLine } from '../core/errors';
import type { RunContext } from '../core/context';
import { jobAnalyses } from '../analyses/registry';
import type { WorkerMessage } from '../jobs/messages';
import { subJobs } from './sub-jobs';

/** What a worker asks its thread. */
export type ThreadRequest =
  | { type: 'run'; kind: string; config: unknown; workDir: string }
  | { type: 'sub'; kind: string; config: unknown; part: unknown }
  | { type: 'fanned'; call: number; results?: unknown[]; error?: string }
  | { type: 'cancel' };

/** What the thread tells its worker: the local runner's messages, and requests to fan parts out. */
export type ThreadMessage = WorkerMessage | { type: 'fanout'; call: number; kind: string; parts: unknown[] };

const port = parentPort!;
const post = (m: ThreadMessage) => port.postMessage(m);
let abort: AbortController | undefined;
const calls = new Map<number, { resolve: (r: unknown[] | undefined) => void; reject: (e: Error) => void }>();
let nextCall = 0;

port.on('message', (m: ThreadRequest) => {
  if (m.type === 'cancel') abort?.abort();
  else if (m.type === 'fanned') {
    const c = calls.get(m.call);
    calls.delete(m.call);
    if (m.error !== undefined) c?.reject(new Error(m.error));
    else c?.resolve(m.results);
  } else if (m.type === 'sub') void sub(m);
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
    fanOut: (kind, parts) =>
      new Promise((resolve, reject) => {
        const call = nextCall++;
        calls.set(call, { resolve, reject });
        post({ type: 'fanout', call, kind, parts });
      }),
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

async function sub(m: Extract<ThreadRequest, { type: 'sub' }>): Promise<void> {
  try {
    const result = await subJobs[m.kind](m.config, m.part);
    post({ type: 'done', result, resultPaths: [] });
  } catch (e) {
    post({ type: 'failed', error: oneLine(e) });
  }
}
