import { join, resolve } from 'node:path';
import { defaultWorkspaceDir } from '../../engine/jobs/workspace';
import { redisFromEnv } from '../../engine/distributed/connection';
import { readFileSync } from 'node:fs';
import { UserError } from '../../engine/core/errors';
import type { JobKind } from '../../shared/api';
import { finishJob, int, runJob, stringFlags, UsageError, withService, type CliCommand } from '../util';

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

const worker: CliCommand = {
  name: 'worker',
  usage: `  worker --redis <url> [--concurrency N] [--dir DIR] [--blob-dir DIR]
         [--redis-tls-ca F] [--redis-tls-cert F] [--redis-tls-key F] [--lock-ms N] [--stalled-ms N]
                                                 run jobs from a Redis queue (redis://[:password@]host:port, rediss:// for
                                                 TLS; or LAYERLENS_REDIS) until SIGTERM, which lets the current job finish;
                                                 --redis on any other command (or LAYERLENS_REDIS) sends its jobs there`,
  options: { concurrency: { type: 'string' }, ...stringFlags('dir', 'blob-dir', 'redis-tls-ca', 'redis-tls-cert', 'redis-tls-key', 'lock-ms', 'stalled-ms') },
  positionals: { count: 0, what: '' },
  async run({ values, workspace }) {
    const env = redisFromEnv();
    const url = str(values.redis) ?? env?.url;
    if (!url) throw new UsageError('worker needs --redis <url> (or LAYERLENS_REDIS)');
    const { startWorker } = await import('../../engine/distributed/worker');
    const w = await startWorker({
      redis: {
        url,
        tlsCa: str(values['redis-tls-ca']) ?? env?.tlsCa,
        tlsCert: str(values['redis-tls-cert']) ?? env?.tlsCert,
        tlsKey: str(values['redis-tls-key']) ?? env?.tlsKey,
      },
      dir: resolve(str(values.dir) ?? join(workspace ?? defaultWorkspaceDir(), 'worker')),
      blobDir: str(values['blob-dir']) && resolve(str(values['blob-dir'])!),
      concurrency: int('concurrency', values.concurrency, 1) ?? 1,
      lockDurationMs: int('lock-ms', values['lock-ms'], 500),
      stalledIntervalMs: int('stalled-ms', values['stalled-ms'], 500),
    });
    // SIGTERM / Ctrl-C: take no new job, finish the current one, exit 0
    await new Promise<void>((done) => {
      const stop = () => {
        process.stdout.write(`worker ${w.id} stopping after its current job\n`);
        void w.close().then(done);
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
    process.stdout.write(`worker ${w.id} stopped\n`);
  },
};

/** The configurations of a sweep file (one object or a list), each repeated per seed when seeds are given. */
function sweepConfigs(file: string, seeds: number[] | undefined): Record<string, unknown>[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError(`${file}: not a readable JSON file (${(e as Error).message.split('\n')[0]})`);
  }
  const list = Array.isArray(parsed) ? parsed : [parsed];
  if (list.length === 0 || !list.every((c) => c && typeof c === 'object' && !Array.isArray(c))) {
    throw new UserError(`${file}: expected a config object or a non-empty list of config objects`);
  }
  const configs = list as Record<string, unknown>[];
  return seeds ? configs.flatMap((c) => seeds.map((seed) => ({ ...c, seed }))) : configs;
}

const sweep: CliCommand = {
  name: 'sweep',
  usage: `  sweep <kind> <configs.json> [--seeds 1,2,3] --redis <url> [--json]
                                                 one queue job per configuration (the file holds one config or a list;
                                                 --seeds repeats each per seed), run in parallel on the workers; one
                                                 workspace record whose result is the list, in order`,
  options: { ...stringFlags('seeds') },
  positionals: { count: 2, what: 'a job <kind> and a <configs.json>' },
  async run({ values, positionals, json, bar, workspace, out }) {
    const [kind, file] = positionals;
    if (!redisFromEnv()) throw new UsageError('sweep runs on queue workers: give --redis <url> (or LAYERLENS_REDIS)');
    const seeds =
      values.seeds === undefined
        ? undefined
        : String(values.seeds)
            .split(',')
            .map((t) => {
              if (!/^\d+$/.test(t.trim())) throw new UsageError(`--seeds must be a comma-separated list of integers ≥ 0, got "${String(values.seeds)}"`);
              return Number(t.trim());
            });
    const configs = sweepConfigs(file, seeds);
    const { RemoteRunner } = await import('../../engine/distributed/remote-runner');
    const rec = await withService(workspace, async (s) => {
      if (!(s.runner instanceof RemoteRunner)) throw new UsageError('sweep runs on queue workers: give --redis <url>');
      const runner = s.runner;
      return runJob(s, async () => runner.startSweep(kind as JobKind, configs).id, bar);
    });
    const results = finishJob(rec) as unknown[];
    if (json) out(JSON.stringify({ id: rec.id, kind, configs, results }));
    else {
      out(`sweep ${rec.id}: ${results.length} ${kind} jobs done`);
      results.forEach((r, i) => {
        const scalars = Object.fromEntries(Object.entries(r as Record<string, unknown>).filter(([, v]) => typeof v === 'number'));
        out(`  [${i}]${configs[i].seed !== undefined ? ` seed ${String(configs[i].seed)}` : ''}: ${JSON.stringify(scalars)}`);
      });
    }
  },
};

export const workerCommands: CliCommand[] = [worker, sweep];
