// `npm install` step for the optional native backend: builds the addon with node-gyp against Node's own
// headers (no download) and oneDNN (Debian: libdnnl-dev). Never fails the install: without a compiler or
// oneDNN it prints one line and the engine falls back to the wasm backend.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

function say(line) {
  console.log(`layerlens native backend: ${line}`);
}

function nodeGyp() {
  // npm hands lifecycle scripts its bundled node-gyp; otherwise look next to npm itself
  const candidates = [process.env.npm_config_node_gyp];
  if (process.env.npm_execpath) candidates.push(join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  candidates.push(join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  return candidates.find((c) => c && existsSync(c));
}

function main() {
  if (process.env.LAYERLENS_SKIP_NATIVE) return say('skipped (LAYERLENS_SKIP_NATIVE is set); the engine will use wasm');
  try {
    require('node-gyp-build')(here); // a prebuild or an earlier build that loads: nothing to do
    return say('already built');
  } catch {
    /* build it */
  }
  const gyp = nodeGyp();
  if (!gyp) return say('not built (node-gyp not found); the engine will use wasm');
  const args = [gyp, 'rebuild'];
  // Node's headers as installed with it (Debian, nodesource, nvm), so node-gyp needs no download
  const prefix = join(dirname(process.execPath), '..');
  if (existsSync(join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);
  const r = spawnSync(process.execPath, args, { cwd: here, encoding: 'utf8' });
  if (r.status === 0) {
    try {
      require('node-gyp-build')(here);
      return say('built (oneDNN)');
    } catch (err) {
      return say(`built but does not load (${String(err.message).split('\n')[0]}); the engine will use wasm`);
    }
  }
  const log = `${r.stdout ?? ''}\n${r.stderr ?? ''}`;
  const why = /dnnl\.hpp|ldnnl/.test(log)
    ? 'oneDNN not found (apt-get install libdnnl-dev)'
    : /ERR! find Python/.test(log)
      ? 'no Python for node-gyp (apt-get install python3)'
      : /\b(make|g\+\+|c\+\+|cc)\b.*(not found|ENOENT)|(not found|ENOENT).*\b(make|g\+\+|c\+\+)\b/.test(log)
        ? 'no C++ toolchain (apt-get install g++ make)'
        : (log.split('\n').find((l) => /error/i.test(l)) ?? `node-gyp exited ${r.status}`).trim();
  say(`not built: ${why}; the engine will use wasm`);
}

main();
process.exit(0);
