// Entry of a worker's job thread: Node 20 does not apply `--import` loaders to a worker's own entry file, so register
// tsx here (as jobs/worker-boot.mjs does), then load the TypeScript thread.
import { register } from 'tsx/esm/api';

register();
await import('./job-thread.ts');
