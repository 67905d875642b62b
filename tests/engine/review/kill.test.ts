import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Workspace } from '../../../src/engine/jobs/workspace';
import { ReviewStore, type BoxState } from '../../../src/engine/review/store';

const root = resolve(import.meta.dirname, '../../..');
const N = 150;

describe('review store under kill -9', () => {
  it('a review process killed mid-session loses no committed edit and leaves a sound database', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'll-review-kill-'));
    const ws = new Workspace(dir);
    const store = new ReviewStore(ws.db);
    const set = store.createSet(
      { key: 'kill', name: 'kill', data: 'd', split: 'test', detections: 'x', classNames: ['a', 'b'], images: [{ id: 'i', width: 40, height: 40 }] },
      Array.from({ length: 12 }, (_, i) => ({ imageId: 'i', label: i % 2, box: { x1: i, y1: i, x2: i + 10, y2: i + 10 }, score: 0.5, origin: 'detector' as const })),
    );
    ws.close();

    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'tests/engine/review/fixtures/edit-loop.ts'), dir, set.id], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const printed: { seq: number; box: string; version: number }[] = [];
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<NodeJS.Signals | null>((res) => child.on('exit', (_code, signal) => res(signal)));
    let buf = '';
    await new Promise<void>((res, rej) => {
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        const lines = buf.split('\n');
        buf = lines.pop()!;
        for (const l of lines) {
          const [seq, box, version] = l.split(' ');
          printed.push({ seq: Number(seq), box, version: Number(version) });
        }
        if (printed.length >= N) {
          child.kill('SIGKILL');
          res();
        }
      });
      child.on('exit', () => (printed.length >= N ? res() : rej(new Error(`edit loop exited early: ${stderr}`))));
    });
    expect(await exited).toBe('SIGKILL');

    const again = new Workspace(dir);
    try {
      expect(again.db.pragma('integrity_check', { simple: true })).toBe('ok');
      const s = new ReviewStore(again.db);
      const history = s.history(set.id, undefined, 100000);
      const bySeq = new Map(history.map((h) => [h.seq, h]));
      // every edit the process saw committed is there (and possibly a few committed after the last print)
      for (const p of printed) expect(bySeq.get(p.seq)?.box, `seq ${p.seq}`).toBe(p.box);
      expect(history.length).toBeGreaterThanOrEqual(printed.length);
      // each box is exactly its last history state, at version 1 + its edits
      for (const b of s.boxes(set.id)) {
        const mine = history.filter((h) => h.box === b.id);
        expect(b.version).toBe(1 + mine.length);
        const last = mine.at(-1)!.after as BoxState;
        expect({ label: b.label, rect: b.box, status: b.status }).toEqual({ label: last.label, rect: last.rect, status: last.status });
        const lastPrinted = printed.filter((p) => p.box === b.id).at(-1)!;
        expect(b.version).toBeGreaterThanOrEqual(lastPrinted.version);
      }
    } finally {
      again.close();
    }
  }, 60_000);
});
