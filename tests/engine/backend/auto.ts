// The backend the engine picks by itself here: native when its addon is built (CI builds it), else wasm.
// Tests that check a result's recorded backend compare against this instead of a fixed name.
import { loadAddon } from '../../../src/engine/backend/native';

export const AUTO_BACKEND: 'native' | 'wasm' = loadAddon().addon != null ? 'native' : 'wasm';
