import { resolve } from 'node:path';
import { ensureBuilt, rendererOutDir } from './build';
import { startServer } from './server';

export { startServer, TOKEN_HEADER, type ServiceLike, type StartedServer } from './server';
export { contentSecurityPolicy } from './csp';
export { ensureBuilt, staleReason, rendererOutDir } from './build';

/** `layerlens serve`: the studio in a browser on 127.0.0.1 until SIGINT/SIGTERM. */
export async function serveCommand(args: { port?: number; workspace?: string }): Promise<void> {
  const { defaultWorkspaceDir } = await import('../engine/jobs/workspace');
  ensureBuilt((line) => process.stderr.write(line + '\n'));
  const server = await startServer({
    port: args.port,
    workspaceDir: resolve(args.workspace ?? defaultWorkspaceDir()),
    rendererDir: rendererOutDir,
  });
  process.stdout.write(`LayerLens studio: ${server.url}\n`);
  await new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await server.close();
}
