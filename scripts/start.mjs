#!/usr/bin/env node
// `npm start`: the Electron studio when its binary is available (fetched first where the network allows),
// else the browser shell on 127.0.0.1 with one line saying why.
//   npm start -- [--port N] [--workspace DIR] [--browser]   (--browser or LAYERLENS_BROWSER=1 skips Electron)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { register } from 'tsx/esm/api';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = createRequire(join(root, 'package.json'))('./package.json');
const electronVersion = pkg.optionalDependencies?.electron;

const { values } = parseArgs({
  options: { port: { type: 'string' }, workspace: { type: 'string' }, browser: { type: 'boolean' } },
  strict: true,
});
if (values.port !== undefined && !/^\d+$/.test(values.port)) {
  process.stderr.write(`layerlens: --port must be an integer, got "${values.port}"\n`);
  process.exit(2);
}

// where `npm start` installs Electron when the project's optional dependency was dropped (offline install):
// a folder of its own, so the project's node_modules is never re-resolved
const electronCache = join(root, '.cache', 'electron');

/** The Electron binary's path, or why there is none. */
function electronBinary() {
  let why = 'the electron package is not installed';
  for (const base of [root, electronCache]) {
    try {
      // a fresh require each time: the package may have been installed a moment ago
      const p = createRequire(join(base, 'package.json'))('electron');
      if (typeof p === 'string' && existsSync(p)) return { path: p };
      why = 'the electron package has no binary';
    } catch (e) {
      const msg = String(e?.message ?? e).split('\n')[0];
      if (!/Cannot find module 'electron'/.test(msg)) why = msg;
    }
  }
  return { why };
}

function fetchElectron() {
  if (!electronVersion) return 'no electron version pinned in package.json';
  if (process.env.CI || process.env.LAYERLENS_OFFLINE) return 'CI or LAYERLENS_OFFLINE is set';
  process.stderr.write(`installing electron@${electronVersion} (binary download) into .cache/electron …\n`);
  mkdirSync(electronCache, { recursive: true });
  if (!existsSync(join(electronCache, 'package.json'))) writeFileSync(join(electronCache, 'package.json'), '{"private":true}\n');
  const r = spawnSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', `electron@${electronVersion}`], {
    cwd: electronCache,
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
    timeout: 600_000,
    shell: process.platform === 'win32',
  });
  if (r.status === 0) return null;
  // npm ends with log-file pointers; the cause (e.g. a failed binary download) sits above them
  const lines = (r.stderr ?? '').split('\n').map((l) => l.replace(/^npm (error|ERR!)\s*/, '').trim());
  const useful = lines.filter((l) => l && !/complete log|^at |^(code|path|command|cwd|errno|syscall)\b/.test(l));
  const cause = useful.find((l) => /Error\b/.test(l)) ?? useful.pop();
  return cause ?? `npm exit ${r.status}`;
}

register();
const server = await import(pathToFileURL(join(root, 'src', 'server', 'index.ts')).href);
try {
  server.ensureBuilt((line) => process.stderr.write(line + '\n'));
} catch (e) {
  process.stderr.write(`layerlens: ${String(e?.message ?? e).split('\n')[0]}\n`);
  process.exit(1);
}

let electron = values.browser || process.env.LAYERLENS_BROWSER ? { why: 'the browser shell was asked for' } : electronBinary();
if (!electron.path && !values.browser && !process.env.LAYERLENS_BROWSER) {
  const failed = fetchElectron();
  electron = failed ? { why: `${electron.why}; fetching electron@${electronVersion} failed: ${failed}` } : electronBinary();
}

if (electron.path) {
  const child = spawn(electron.path, ['.'], {
    cwd: root,
    stdio: 'inherit',
    env: {
      ...process.env,
      // the engine runs under this Node (see src/main/engine-client.ts)
      LAYERLENS_NODE: process.execPath,
      ...(values.workspace ? { LAYERLENS_WORKSPACE: values.workspace } : {}),
    },
  });
  child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 0)));
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
} else {
  console.log(`Electron is not available (${electron.why}): starting the browser shell instead.`);
  await server.serveCommand({ port: values.port ? Number(values.port) : undefined, workspace: values.workspace });
}
