// Queue workers as separate processes (`layerlens worker`), with their output kept for the assertions.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const bin = resolve(import.meta.dirname, '../../../bin/layerlens.mjs');

export interface WorkerProc {
  proc: ChildProcess;
  /** hostname-pid, as the worker names itself in the queue */
  id: string;
  output: () => string;
  exited: Promise<number | null>;
}

export async function spawnWorker(url: string, extra: string[] = []): Promise<WorkerProc> {
  const dir = mkdtempSync(join(tmpdir(), 'll-worker-'));
  const proc = spawn(process.execPath, [bin, 'worker', '--redis', url, '--dir', join(dir, 'own'), '--workspace', join(dir, 'ws'), '--lock-ms', '2000', '--stalled-ms', '1000', ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LAYERLENS_REDIS: '' },
  });
  let out = '';
  proc.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  proc.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const id = await new Promise<string>((ready, reject) => {
    const timer = setInterval(() => {
      const m = /worker (\S+) ready/.exec(out);
      if (m) {
        clearInterval(timer);
        ready(m[1]);
      }
    }, 100);
    void exited.then((code) => {
      clearInterval(timer);
      reject(new Error(`worker exited with code ${code} before it was ready: ${out.slice(-800)}`));
    });
  });
  return { proc, id, output: () => out, exited };
}

/** SIGTERM, then wait for the exit code. */
export async function stopWorker(w: WorkerProc): Promise<number | null> {
  if (w.proc.exitCode !== null || w.proc.signalCode !== null) return w.proc.exitCode;
  w.proc.kill('SIGTERM');
  return w.exited;
}
