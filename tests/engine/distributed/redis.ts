// A real redis-server for the distributed tests: started on a free loopback port in a temporary folder, stopped after.
// Missing redis-server fails the tests in CI and skips them locally, with the reason.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const haveRedis = spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).status === 0;
if (!haveRedis && process.env.CI) {
  throw new Error('redis-server is not installed: the distributed tests need Debian\'s redis-server (.ci/run installs it)');
}
/** Why the Redis tests are skipped here ('' when they run). */
export const skipReason = haveRedis ? '' : 'redis-server is not installed (apt-get install redis-server); distributed tests skipped locally';

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolvePort(port));
    });
  });
}

export interface RedisServer {
  url: string;
  port: number;
  /** stop with SIGTERM (an append-only server writes its file first) */
  stop(): Promise<void>;
  /** start again on the same port and folder */
  restart(): Promise<void>;
}

export async function startRedis(opts: { password?: string; appendonly?: boolean } = {}): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'll-redis-'));
  let proc: ChildProcess | undefined;
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', opts.appendonly ? 'yes' : 'no', '--dir', dir];
  if (opts.password) args.push('--requirepass', opts.password);
  const launch = () =>
    new Promise<void>((ready, reject) => {
      const p = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      proc = p;
      let log = '';
      const onData = (b: Buffer) => {
        log += b.toString();
        if (log.includes('Ready to accept connections')) {
          p.stdout!.off('data', onData);
          p.stdout!.resume();
          ready();
        }
      };
      p.stdout!.on('data', onData);
      p.once('exit', (code) => reject(new Error(`redis-server exited with code ${code}: ${log.slice(-500)}`)));
    });
  const stop = async () => {
    const p = proc;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((done) => {
      p.once('exit', () => done());
      p.kill('SIGTERM');
    });
  };
  await launch();
  const auth = opts.password ? `:${encodeURIComponent(opts.password)}@` : '';
  return { url: `redis://${auth}127.0.0.1:${port}`, port, stop, restart: launch };
}
