// The backend the engine picks by itself here: the one LAYERLENS_BACKEND forces, else native when its addon is
// built (CI builds it), else wasm. Tests that check a result's recorded backend compare against this instead of a
// fixed name, so the whole suite also runs with LAYERLENS_BACKEND=wasm.
import { BACKEND_ENV_VAR } from '../../../src/engine/backend';
import { loadAddon } from '../../../src/engine/backend/native';

const forced = process.env[BACKEND_ENV_VAR];
export const AUTO_BACKEND: string = forced ? forced : loadAddon().addon != null ? 'native' : 'wasm';
