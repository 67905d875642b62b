// Worker entry: Node 20 does not apply `--import` loaders to a worker's own entry file, so register tsx here,
// then load the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
