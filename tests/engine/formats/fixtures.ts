// Shared by the models/, formats/ and analyses/inspect/ tests: temp folders, a hand-written tfjs graph model,
// and the assertion every bad-input test makes.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { UserError } from '../../../src/engine/core/errors';

export const tmp = (tag = 'll-fmt-') => mkdtempSync(join(tmpdir(), tag));

/** float32 → IEEE half bits (round to nearest even; enough for test values). */
export function toHalf(v: number): number {
  const f = new Float32Array([v]);
  const x = new Uint32Array(f.buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = ((x >>> 23) & 0xff) - 127 + 15;
  let mant = x & 0x7fffff;
  if (Number.isNaN(v)) return 0x7e00;
  if (exp >= 31) return sign | 0x7c00;
  if (exp <= 0) return sign; // tiny values flush to zero
  let h = sign | (exp << 10) | (mant >>> 13);
  mant &= 0x1fff;
  if (mant > 0x1000 || (mant === 0x1000 && (h & 1))) h++;
  return h;
}

/** W (4×3), b (3): x·W + b then relu. For x = [1,2,3,4]: [-1.9, 7.8, 3.3] → [0, 7.8, 3.3]. */
export const GRAPH_W = [1, 0, -1, 0.5, 2, 0, 0, 0, 1, -1, 1, 0.25];
export const GRAPH_B = [0.1, -0.2, 0.3];
export const GRAPH_X = [1, 2, 3, 4];
export const GRAPH_Y = [0, 7.8, 3.3];

const dim = (...d: number[]) => ({ dim: d.map((s) => ({ size: String(s) })) });
const float = { type: 'DT_FLOAT' };

/** Placeholder x[?,4] → MatMul(x, w) → BiasAdd(b) → Relu, as a tfjs graph model.json + weights.bin. */
export function writeGraphModel(dir: string, storage: 'float32' | 'float16' | 'uint8' = 'float32', values = { w: GRAPH_W, b: GRAPH_B }): string {
  mkdirSync(dir, { recursive: true });
  const topology = {
    node: [
      { name: 'x', op: 'Placeholder', attr: { dtype: float, shape: { shape: dim(-1, 4) } } },
      { name: 'w', op: 'Const', attr: { dtype: float, value: { tensor: { dtype: 'DT_FLOAT', tensorShape: dim(4, 3) } } } },
      { name: 'b', op: 'Const', attr: { dtype: float, value: { tensor: { dtype: 'DT_FLOAT', tensorShape: dim(3) } } } },
      { name: 'mm', op: 'MatMul', input: ['x', 'w'], attr: { T: float, transpose_a: { b: false }, transpose_b: { b: false } } },
      { name: 'bias', op: 'BiasAdd', input: ['mm', 'b'], attr: { T: float, data_format: { s: Buffer.from('NHWC').toString('base64') } } },
      { name: 'out', op: 'Relu', input: ['bias'], attr: { T: float } },
    ],
    library: {},
    versions: { producer: 1 },
  };
  const all = [...values.w, ...values.b];
  let bytes: Uint8Array;
  const entries: Record<string, unknown>[] = [
    { name: 'w', shape: [4, 3], dtype: 'float32' },
    { name: 'b', shape: [3], dtype: 'float32' },
  ];
  if (storage === 'float32') bytes = new Uint8Array(new Float32Array(all).buffer);
  else if (storage === 'float16') {
    bytes = new Uint8Array(new Uint16Array(all.map(toHalf)).buffer);
    for (const e of entries) e.quantization = { dtype: 'float16' };
  } else {
    // affine uint8 per tensor: v ≈ q·scale + min
    const parts: number[] = [];
    for (const [e, vals] of [[entries[0], values.w], [entries[1], values.b]] as const) {
      const min = Math.min(...vals);
      const scale = (Math.max(...vals) - min) / 255 || 1;
      e.quantization = { dtype: 'uint8', min, scale };
      parts.push(...vals.map((v) => Math.round((v - min) / scale)));
    }
    bytes = new Uint8Array(parts);
  }
  const json = {
    format: 'graph-model',
    generatedBy: 'hand-written',
    convertedBy: 'LayerLens tests',
    modelTopology: topology,
    weightsManifest: [{ paths: ['weights.bin'], weights: entries }],
  };
  writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
  writeFileSync(join(dir, 'weights.bin'), bytes);
  return join(dir, 'model.json');
}

/** Placeholder x[?,6,6,2] → Conv2D(3×3×2×4, SAME, stride 1) as a graph model; weights 0.01·i. */
export function writeGraphConvModel(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const json = {
    format: 'graph-model',
    modelTopology: {
      node: [
        { name: 'x', op: 'Placeholder', attr: { dtype: float, shape: { shape: dim(-1, 6, 6, 2) } } },
        { name: 'f', op: 'Const', attr: { dtype: float, value: { tensor: { dtype: 'DT_FLOAT', tensorShape: dim(3, 3, 2, 4) } } } },
        {
          name: 'conv',
          op: 'Conv2D',
          input: ['x', 'f'],
          attr: { T: float, strides: { list: { i: ['1', '1', '1', '1'] } }, padding: { s: b64('SAME') }, data_format: { s: b64('NHWC') }, dilations: { list: { i: ['1', '1', '1', '1'] } } },
        },
      ],
    },
    weightsManifest: [{ paths: ['weights.bin'], weights: [{ name: 'f', shape: [3, 3, 2, 4], dtype: 'float32' }] }],
  };
  writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
  writeFileSync(join(dir, 'weights.bin'), new Uint8Array(new Float32Array(72).map((_, i) => 0.01 * i).buffer));
  return join(dir, 'model.json');
}

/** A graph model from nodes and float32 weights (one Const node per weight is added first). */
export function writeGraph(dir: string, inputShape: number[], nodes: Record<string, unknown>[], weights: { name: string; shape: number[]; values: number[] }[]): string {
  mkdirSync(dir, { recursive: true });
  const consts = weights.map((w) => ({ name: w.name, op: 'Const', attr: { dtype: float, value: { tensor: { dtype: 'DT_FLOAT', tensorShape: dim(...w.shape) } } } }));
  const json = {
    format: 'graph-model',
    modelTopology: { node: [{ name: 'x', op: 'Placeholder', attr: { dtype: float, shape: { shape: dim(...inputShape) } } }, ...consts, ...nodes], versions: { producer: 1 } },
    weightsManifest: [{ paths: ['weights.bin'], weights: weights.map((w) => ({ name: w.name, shape: w.shape, dtype: 'float32' })) }],
  };
  writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
  writeFileSync(join(dir, 'weights.bin'), new Uint8Array(new Float32Array(weights.flatMap((w) => w.values)).buffer));
  return join(dir, 'model.json');
}

/** The promise rejects with a UserError whose one-line message names `file`. */
export async function expectUserError(p: Promise<unknown> | (() => unknown), file: string, pattern?: RegExp): Promise<UserError> {
  let err: unknown;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    err = e;
  }
  expect(err, 'expected a UserError').toBeInstanceOf(UserError);
  const msg = (err as UserError).message;
  expect(msg).toContain(file);
  expect(msg).not.toMatch(/[\r\n]/);
  if (pattern) expect(msg).toMatch(pattern);
  return err as UserError;
}
