import type { JobEvent } from '../shared/api';

/** Messages between the Electron main process and its engine host (engine-host.ts). */
export type MainToHost = { type: 'call'; id: number; method: string; req: unknown } | { type: 'close' };
export type HostToMain =
  | { type: 'ready' }
  | { type: 'fatal'; error: string }
  | { type: 'job'; event: JobEvent }
  | { type: 'result'; id: number; ok: true; value: unknown }
  | { type: 'result'; id: number; ok: false; error: string };
