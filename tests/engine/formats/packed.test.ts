import { describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packBits, unpackBits, readPacked, writePacked } from '../../../src/engine/formats/packed';
import { buildPlan } from '../../../src/engine/export/plan';
import { loadModel } from '../../../src/engine/models/io';
import { initBackend } from '../../../src/engine/backend';

const dir = mkdtempSync(join(tmpdir(), 'll-packed-'));

describe('packed format', () => {
  it('bit streams round-trip for every width 1..16', () => {
    for (let b = 1; b <= 16; b++) {
      const codes = Array.from({ length: 37 }, (_, i) => (i * 2654435761) % 2 ** b);
      const raw = packBits(codes, b);
      expect(raw.byteLength).toBe(Math.ceil((37 * b) / 8));
      expect(Array.from(unpackBits(raw, b, 37))).toEqual(codes);
    }
  });

  it('stores b bits per weight for every method; the reader gives back the codes exactly; damage is a one-line error', async () => {
    await initBackend();
    const m = await loadModel('builtin:lenet5-mnist');
    const plan = await buildPlan(m, {
      version: 1,
      layers: {
        conv1: { bits: 3, method: 'uniform', granularity: 'per-channel', symmetric: false },
        conv2: { bits: 2, method: 'ternary', granularity: 'per-channel', symmetric: true },
        fc1: { bits: 4, method: 'kmeans', granularity: 'per-tensor', symmetric: true },
        fc2: { bits: 5, method: 'pow2', granularity: 'per-channel', symmetric: true },
      },
    });
    try {
      const file = join(dir, 'm.llpk');
      await writePacked(plan, file, {});
      const p = readPacked(file);
      for (const l of plan.layers) {
        const t = p.tensors.find((x) => x.entry.name === l.weights[l.main].name)!;
        if (l.q) {
          expect(Array.from(t.q!.codes)).toEqual(Array.from(l.q.codes));
          expect(t.entry.data[1]).toBe(Math.ceil((l.q.codes.length * t.entry.bits!) / 8));
        }
        expect(Array.from(t.values)).toEqual(Array.from(l.weights[l.main].values));
      }
      expect(p.tensors.find((x) => x.entry.name === 'fc1/kernel')!.entry).toMatchObject({ kind: 'codebook', bits: 4 });
      expect(p.tensors.find((x) => x.entry.name === 'conv2/kernel')!.entry.bits).toBe(2);

      const bytes = readFileSync(file);
      const flip = Buffer.from(bytes);
      flip[bytes.length - 100] ^= 0xff;
      const bad = join(dir, 'bad.llpk');
      writeFileSync(bad, flip);
      expect(() => readPacked(bad)).toThrow(/corrupt \(CRC-32 mismatch\)/);
      writeFileSync(bad, bytes.subarray(0, 1000));
      expect(() => readPacked(bad)).toThrow(/truncated/);
      copyFileSync(join(import.meta.dirname, 'packed.test.ts'), bad);
      expect(() => readPacked(bad)).toThrow(/bad magic/);
    } finally {
      plan.dispose();
      m.dispose();
    }
  });
});
