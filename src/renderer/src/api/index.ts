import type { ApiClient } from '@shared/api';
import { createBrowserClient } from './browser';

let client: ApiClient | null = null;

/** The host seam: the preload client inside Electron, else the browser shell's HTTP/WebSocket client. */
export function api(): ApiClient {
  client ??= window.layerlens ?? createBrowserClient();
  return client;
}

/** For tests: use this client from now on. */
export function setApi(c: ApiClient | null): void {
  client = c;
}
