/**
 * OpenCV's wasm build (@techstark/opencv-js), loaded once per process. The engine uses it for what it should not
 * hand-roll: Farnebäck optical flow and the affine warps of the clip generator.
 */
import cvModule from '@techstark/opencv-js';

type OpenCv = typeof cvModule;
let ready: Promise<{ cv: OpenCv }> | undefined;

/** The initialised OpenCV module (wrapped: the emscripten module object may itself be thenable). */
export function opencv(): Promise<{ cv: OpenCv }> {
  ready ??= (async () => {
    const m = cvModule as unknown as OpenCv & { onRuntimeInitialized?: () => void };
    if ((m as unknown) instanceof Promise) return { cv: (await (m as unknown as Promise<OpenCv>)) as OpenCv };
    if (typeof (m as { Mat?: unknown }).Mat === 'function' && typeof m.calcOpticalFlowFarneback === 'function') return { cv: m };
    await new Promise<void>((resolve) => {
      m.onRuntimeInitialized = () => resolve();
    });
    return { cv: m };
  })();
  return ready;
}
