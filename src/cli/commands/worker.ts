import { join, resolve } from 'node:path';
import { defaultWorkspaceDir } from '../../engine/jobs/workspace';
import { redisFromEnv } from '../../engine/distributed/connection';
import { int, stringFlags, UsageError, type CliCommand } from '../util';

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

export const workerCommands: CliCommand[] = [worker];
