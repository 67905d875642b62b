import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import vue from '@vitejs/plugin-vue';
import type { Plugin } from 'vite';

const shared = { '@shared': resolve(__dirname, 'src/shared') };

// electron is optional and absent where its binary cannot be fetched; electron-vite only needs its major version
const pinned = JSON.parse(readFileSync(resolve(__dirname, 'package.json'), 'utf8')).optionalDependencies?.electron ?? '39';
process.env.ELECTRON_MAJOR_VER ||= String(pinned).replace(/^\D*/, '').split('.')[0];

// dev server only: Vite injects component styles as <style> elements, which index.html's CSP forbids
const devCsp: Plugin = {
  name: 'layerlens-dev-csp',
  apply: 'serve',
  transformIndexHtml: (html) => html.replace("style-src 'self';", "style-src 'self' 'unsafe-inline';"),
};

export default defineConfig({
  main: {
    resolve: { alias: shared },
    build: {
      // the engine runs in Node from source through tsx in worker threads; keep heavy deps external
      externalizeDeps: true,
    },
  },
  preload: {
    resolve: { alias: shared },
    build: { rollupOptions: { output: { format: 'cjs', entryFileNames: '[name].cjs' } } },
  },
  renderer: {
    resolve: { alias: { ...shared, '@renderer': resolve(__dirname, 'src/renderer/src') } },
    plugins: [vue(), devCsp],
    build: { minify: true },
  },
});
