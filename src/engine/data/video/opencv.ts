/**
 * OpenCV's wasm build (@techstark/opencv-js), loaded on first use (10 MB of JS: commands that never need it do
 * not pay for it). The engine uses it for what it should not hand-roll: Farnebäck optical flow and the generator's
 * affine warps. Emscripten's Node glue registers process-wide `unhandledRejection` (abort → exit) and
 * `uncaughtException` handlers on load; they are removed again so that OpenCV cannot end a host's process.
 */
import { createRequire } from 'node:module';
import type cvModule from '@techstark/opencv-js';

type OpenCv = typeof cvModule;
type Listener = (...args: unknown[]) => void;
let ready: Promise<{ cv: OpenCv }> | undefined;

const EVENTS = ['unhandledRejection', 'uncaughtException'] as const;

/** The initialised OpenCV module (wrapped: the emscripten module object may itself be thenable). */
export function opencv(): Promise<{ cv: OpenCv }> {
  ready ??= (async () => {
    const listeners = (e: string) => process.listeners(e as 'warning') as Listener[];
    const before = EVENTS.map(listeners);
    // required, not imported: a bundler or test runner must not transform 10 MB of emscripten output
    const m = createRequire(import.meta.url)('@techstark/opencv-js') as OpenCv & { onRuntimeInitialized?: () => void };
    EVENTS.forEach((e, i) => {
      for (const l of listeners(e)) if (!before[i].includes(l)) process.off(e as 'warning', l);
    });
    if ((m as unknown) instanceof Promise) return { cv: (await (m as unknown as Promise<OpenCv>)) as OpenCv };
    if (typeof (m as { Mat?: unknown }).Mat === 'function' && typeof m.calcOpticalFlowFarneback === 'function') return { cv: m };
    await new Promise<void>((resolve) => {
      m.onRuntimeInitialized = () => resolve();
    });
    return { cv: m };
  })();
  return ready;
}
