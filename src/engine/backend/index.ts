// The one place that decides which TensorFlow.js backend the engine runs on.
// Order: tfjs-node ('tensorflow', when @tensorflow/tfjs-node is installed and loads), else 'native' (the
// oneDNN addon in native/, when it was built), else wasm with the project's training kernels, else cpu.
// LAYERLENS_BACKEND=tensorflow|native|wasm|cpu forces one (tests, bench).
import { UserError } from '../core/errors';
import { registerBatchNormGradient, registerWasmTrainingKernels } from './kernels';
import { registerNativeBackend } from './native';
import * as tf from './tf';

export type BackendChoice = 'tensorflow' | 'native' | 'wasm' | 'cpu';

const AUTO_ORDER: readonly BackendChoice[] = ['tensorflow', 'native', 'wasm', 'cpu'];
export const BACKEND_ENV_VAR = 'LAYERLENS_BACKEND';

let decided: { key: string; name: Promise<string> } | undefined;
let saidWhyNotNative = false;

function isChoice(v: string): v is BackendChoice {
  return (AUTO_ORDER as readonly string[]).includes(v);
}

function forcedChoice(): BackendChoice | undefined {
  const raw = process.env[BACKEND_ENV_VAR]?.trim().toLowerCase();
  if (!raw) return undefined;
  if (!isChoice(raw)) {
    throw new UserError(`${BACKEND_ENV_VAR}=${raw} is not a backend; use one of ${AUTO_ORDER.join(', ')}`);
  }
  return raw;
}

/**
 * Picks and activates the backend; returns the name of the one in use. Idempotent: later calls reuse the
 * first decision (and re-activate it if something switched away), unless they prefer another backend.
 */
export async function initBackend(prefer?: BackendChoice): Promise<string> {
  const forced = forcedChoice();
  if (prefer != null && !isChoice(prefer)) throw new UserError(`unknown backend '${String(prefer)}'`);
  const order = forced ? [forced] : prefer ? [prefer, ...AUTO_ORDER.filter((c) => c !== prefer)] : AUTO_ORDER;
  const key = order.join('>');
  if (decided == null || (key !== decided.key && (forced != null || prefer != null))) {
    const attempt = { key, name: decide(order, forced != null) };
    decided = attempt;
    attempt.name.catch(() => {
      if (decided === attempt) decided = undefined;
    });
  }
  const name = await decided.name;
  if (tf.engine().backendName !== name && !(await tf.setBackend(name))) {
    throw new Error(`TensorFlow.js backend '${name}' could not be re-activated`);
  }
  return name;
}

/** The backend in use (every result records it). Throws before initBackend() (or tf.setBackend) ran. */
export function backendName(): string {
  const name = tf.engine().backendName as string | undefined;
  if (!name) throw new Error('no TensorFlow.js backend yet: call initBackend() first');
  return name;
}

async function decide(order: readonly BackendChoice[], strict: boolean): Promise<string> {
  const failures: string[] = [];
  for (const choice of order) {
    const why = await tryActivate(choice);
    if (why == null) {
      // the fast path is optional but should not go missing silently: say why, once per process, to a person
      // (a terminal); scripts read stderr as one error line, and results record the backend anyway
      const native = failures.find((f) => f.startsWith('native: '));
      if (native != null && !saidWhyNotNative && process.stderr.isTTY) {
        saidWhyNotNative = true;
        process.stderr.write(`LayerLens: no native backend (${native.slice(8)}); using ${choice}\n`);
      }
      return choice;
    }
    failures.push(`${choice}: ${why}`);
  }
  const detail = failures.join('; ');
  if (strict) throw new UserError(`${BACKEND_ENV_VAR}=${order[0]} cannot be used (${detail})`);
  throw new Error(`no TensorFlow.js backend could be started (${detail})`);
}

/** Activates one backend; returns why it could not, or undefined on success. */
async function tryActivate(choice: BackendChoice): Promise<string | undefined> {
  quietCpuBanner();
  try {
    if (choice === 'tensorflow') {
      process.env.TF_CPP_MIN_LOG_LEVEL ??= '2'; // libtensorflow's start-up chatter
      const spec = '@tensorflow/tfjs-node'; // optional dependency: a variable keeps bundlers and tsc from resolving it
      await import(/* @vite-ignore */ spec);
    } else if (choice === 'native') {
      const why = registerNativeBackend();
      if (why != null) return why;
      registerBatchNormGradient();
    } else if (choice === 'wasm') {
      await import('@tensorflow/tfjs-backend-wasm');
      registerWasmTrainingKernels();
    }
  } catch (err) {
    return `cannot be loaded: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
  }
  if (tf.findBackendFactory(choice) == null) return 'not registered';
  // a failed init is logged by tfjs on stderr
  return (await tf.setBackend(choice)) ? undefined : 'failed to initialise';
}

/** The cpu backend warns "Hi, looks like you are running TensorFlow.js in Node.js ..." on first use. */
function quietCpuBanner(): void {
  if (tf.findBackendFactory('cpu') == null) return;
  const cpu = tf.findBackend('cpu') as { firstUse?: boolean } | null;
  if (cpu != null && 'firstUse' in cpu) cpu.firstUse = false;
}
