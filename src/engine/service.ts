import { readFileSync } from 'node:fs';
import { existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { validateRequest, type AppInfo, type Handlers, type JobEvent, type Method, type Request, type Response } from '../shared/api';
import { initBackend } from './backend';
import { UserError } from './core/errors';
import { plainContext } from './core/context';
import { listBuiltinDatasets } from './data';
import { listBuiltinModels } from './models/io';
import * as inspect from './analyses/inspect';
import { JobRunner, type JobTable, type Runner } from './jobs/runner';
import type { RedisTarget } from './distributed/connection';
import { jobAnalyses } from './analyses/registry';
import { Workspace } from './jobs/workspace';
import { quantHandlers } from './analyses/quant/handlers';
import { lowrankHandlers } from './analyses/lowrank/handlers';
import { exportHandlers } from './analyses/export/handlers';
import { wsodHandlers } from './analyses/wsod/handlers';
import { partsHandlers } from './analyses/parts/handlers';
import { reviewHandlers } from './analyses/review/handlers';
import { reportHandlers } from './analyses/report/handlers';
import { actionHandlers } from './analyses/action/handlers';

export interface Service {
  /** handlers fed already-validated requests (hosts validate at their boundary) */
  handlers: Handlers;
  /** validate, then handle: for in-process callers such as the CLI */
  call<M extends Method>(method: M, req: Request<M>): Promise<Response<M>>;
  onJob(listener: (e: JobEvent) => void): () => void;
  close(): Promise<void>;
  readonly workspace: Workspace;
  readonly runner: Runner;
}

export const DEFAULT_MODEL = 'builtin:lenet5-mnist';
export const DEFAULT_DATASET = 'mnist';

const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Every job kind of the engine; the runner is handed this table instead of importing it. */
export const jobTable: JobTable = { analyses: jobAnalyses, module: new URL('./analyses/registry.ts', import.meta.url) };

/** The engine behind every host: the same handlers serve IPC, the browser shell and the CLI. */
export async function createService(opts: { workspaceDir: string; host: AppInfo['host']; redis?: RedisTarget }): Promise<Service> {
  const backend = await initBackend();
  const workspace = new Workspace(opts.workspaceDir);
  // with a Redis target, jobs go to queue workers; without one, nothing Redis is even loaded
  let runner: Runner;
  if (opts.redis) {
    const { RemoteRunner, checkRedis } = await import('./distributed/remote-runner');
    await checkRedis(opts.redis).catch((e: unknown) => {
      workspace.close();
      throw e;
    });
    runner = new RemoteRunner(workspace, jobTable, { redis: opts.redis });
  } else runner = new JobRunner(workspace, jobTable);

  const handlers: Handlers = {
    'app.info': async () => ({
      version,
      backend,
      workspaceDir: workspace.dir,
      host: opts.host,
      defaultModel: DEFAULT_MODEL,
      defaultDataset: DEFAULT_DATASET,
    }),
    'workspace.models': async () => {
      const builtins = listBuiltinModels().map((m) => ({ ref: m.ref, name: m.name, builtin: true }));
      const recent = workspace
        .recentModels()
        .filter((ref) => !ref.startsWith('builtin:') && (!isAbsolute(ref) || existsSync(ref)))
        .map((ref) => ({ ref, name: ref.split(/[\\/]/).slice(-2).join('/'), builtin: false }));
      return [...builtins, ...recent];
    },
    'workspace.datasets': async () => listBuiltinDatasets(),
    'model.inspect': async ({ model }) => {
      const result = await inspect.run({ model }, plainContext());
      workspace.touchModel(model);
      return result;
    },
    'jobs.start': async ({ kind, config }) => ({ id: runner.start(kind, config).id }),
    'jobs.cancel': async ({ id }) => ({ ok: runner.cancel(id) }),
    'jobs.resume': async ({ id }) => ({ id: runner.resume(id).id }),
    'jobs.list': async () => workspace.listJobs(),
    'jobs.get': async ({ id }) => {
      const job = workspace.getJob(id);
      if (!job) throw new UserError(`no job "${id}" in this workspace`);
      return job;
    },
    ...quantHandlers({ workspace, runner }),
    ...lowrankHandlers({ workspace, runner }),
    ...exportHandlers({ workspace, runner }),
    ...wsodHandlers({ workspace, runner }),
    ...reviewHandlers({ workspace, runner }),
    ...reportHandlers({ workspace, runner }),
    ...partsHandlers({ workspace, runner }),
    ...actionHandlers({ workspace, runner }),
  };

  const call = async <M extends Method>(method: M, req: Request<M>): Promise<Response<M>> => {
    let parsed: ReturnType<typeof validateRequest<M>>;
    try {
      parsed = validateRequest<M>(method, req);
    } catch (e) {
      throw new UserError((e as Error).message);
    }
    return (handlers[parsed.method] as (r: unknown) => Promise<Response<M>>)(parsed.req);
  };

  return {
    handlers,
    call,
    onJob: (l) => runner.onJob(l),
    workspace,
    runner,
    async close() {
      await runner.close();
      workspace.close();
    },
  };
}
