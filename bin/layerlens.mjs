#!/usr/bin/env node
// The CLI runs from TypeScript source through tsx, so `npx layerlens` works right after `npm install`.
import { register } from 'tsx/esm/api';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

register();
const here = dirname(fileURLToPath(import.meta.url));
const { main } = await import(pathToFileURL(join(here, '..', 'src', 'cli', 'index.ts')).href);
process.exitCode = await main(process.argv.slice(2));
