import type { ApiClient } from '../shared/api';

declare global {
  interface Window {
    /** the Electron preload's client (src/preload/index.ts); absent in the browser shell */
    layerlens?: ApiClient;
  }
}

export {};
