// One job per worker thread: the analysis runs here, off the host's thread; the host owns the database.
import { parentPort, workerData } from 'node:worker_threads';
import { CancelledError, oneLine } from '../core/errors';
import type { RunContext } from '../core/context';
import type { JobKind } from '../../shared/api';
import type { JobTable } from './runner';
import type { WorkerMessage } from './messages';

const { kind, config, workDir, table } = workerData as { kind: JobKind; config: unknown; workDir: string; table: string };
const port = parentPort!;
const post = (m: WorkerMessage) => port.postMessage(m);
const abort = new AbortController();
port.on('message', (m: { type: string }) => {
  if (m.type === 'cancel') abort.abort();
});

const ctx: RunContext = {
  signal: abort.signal,
  workDir,
  progress: (p) => post({ type: 'progress', ...p }),
  log: (message) => post({ type: 'log', message }),
};

try {
  // the runner's job table, loaded again here (see JobTable)
  const { jobAnalyses } = (await import(table)) as { jobAnalyses: JobTable['analyses'] };
  const analysis = jobAnalyses[kind];
  if (!analysis) throw new Error(`job kind "${kind}" is not in ${table}`);
  const result = await analysis.run(config, ctx);
  post({ type: 'done', result, resultPaths: analysis.resultPaths?.(config, result) ?? [] });
} catch (e) {
  if (e instanceof CancelledError || abort.signal.aborted) post({ type: 'cancelled' });
  else post({ type: 'failed', error: oneLine(e) });
}
port.close();
