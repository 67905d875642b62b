/** Keeps `out/` (main, preload, renderer) in step with the sources, so `npm start` and `layerlens serve` just work. */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const rendererOutDir = join(repoRoot, 'out', 'renderer');

const outputs = ['out/main/index.js', 'out/preload/index.cjs', 'out/renderer/index.html'];
const inputs = ['src/main', 'src/preload', 'src/renderer', 'src/shared', 'src/server/csp.ts', 'electron.vite.config.ts', 'package.json'];

function newest(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let m = st.mtimeMs;
  for (const name of readdirSync(path)) m = Math.max(m, newest(join(path, name)));
  return m;
}

/** Why the build output is missing or older than its sources, or null when it is current. */
export function staleReason(root = repoRoot): string | null {
  const outs = outputs.map((p) => join(root, p));
  const missing = outs.find((p) => !existsSync(p));
  if (missing) return `${missing} is missing`;
  const built = Math.min(...outs.map((p) => statSync(p).mtimeMs));
  const changed = inputs.find((p) => newest(join(root, p)) > built);
  return changed ? `${changed} changed since the last build` : null;
}

/** Build with electron-vite (~3 s) when needed; throws a one-line error when the build fails. */
export function ensureBuilt(log: (line: string) => void = () => {}, root = repoRoot): void {
  const reason = staleReason(root);
  if (!reason) return;
  log(`building the studio (${reason}) …`);
  const r = spawnSync('npx', ['electron-vite', 'build'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', shell: process.platform === 'win32' });
  if (r.status !== 0) {
    const last = `${r.stderr ?? ''}${r.stdout ?? ''}`.trim().split('\n').filter(Boolean).pop() ?? `exit ${r.status}`;
    throw new Error(`electron-vite build failed: ${last}`);
  }
}
