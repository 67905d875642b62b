// Sandboxed preload (CJS, electron is the only import): exposes the contract's client and nothing else.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { ApiClient, HostEvent, JobEvent } from '../shared/api';

type Envelope = { ok: true; value: unknown } | { ok: false; error: string };

function subscribe<T>(channel: string, listener: (e: T) => void): () => void {
  const handler = (_e: IpcRendererEvent, payload: T) => listener(payload);
  ipcRenderer.on(channel, handler);
  return () => ipcRenderer.removeListener(channel, handler);
}

const client: ApiClient = {
  async call(method, req) {
    const r = (await ipcRenderer.invoke('api:call', method, req)) as Envelope;
    // main answers with an envelope: a thrown IPC error would arrive wrapped in "Error invoking remote method…"
    if (!r.ok) throw new Error(r.error);
    return r.value as never;
  },
  onJob: (listener) => subscribe<JobEvent>('api:job', listener),
  onHost: (listener) => subscribe<HostEvent>('api:host', listener),
};

contextBridge.exposeInMainWorld('layerlens', client);
