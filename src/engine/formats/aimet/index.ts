// AIMET quantization encodings, version 1.0.0 (lists; docs/peers.md §2.5), written beside a float ONNX file
// whose weights are already the simulated (fake-quantized) values, as AIMET itself exports. Offsets follow the
// QNN convention real = (q + offset)·scale with q unsigned in [0, 2^bw − 1], i.e. offset = −(unsigned zero point).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { FormatModule } from '../format';
import { verifyOnnxFile, writeOnnxFile, type OnnxWritten } from '../onnx';
import { UserError } from '../../core/errors';
import { isAffine } from '../../quant/quantizers';
import type { PlanLayer } from '../../export/plan';
import { flat } from '../tfjs-weights';

interface AimetParamEncoding {
  name: string;
  dtype: 'INT' | 'FLOAT';
  enc_type: 'PER_TENSOR' | 'PER_CHANNEL';
  is_sym: boolean;
  bw: number;
  scale: number[];
  offset: number[];
}
interface AimetEncodings {
  version: '1.0.0';
  activation_encodings: unknown[];
  param_encodings: AimetParamEncoding[];
}

/**
 * One encoding per quantized affine kernel; `tensorOf` maps a layer to the ONNX initializer holding its
 * kernel. Channels are the output channels, i.e. axis 0 of the ONNX weight. Codebook methods are not affine
 * and get no encoding (flagged).
 */
function aimetEncodings(layers: PlanLayer[], tensorOf: (layer: string) => string | undefined, flag: (layer: string, f: string) => void): AimetEncodings {
  const params: AimetParamEncoding[] = [];
  for (const l of layers) {
    if (!l.q) continue;
    const q = l.q;
    if (!isAffine(q)) {
      flag(l.name, `${q.spec.method} codebook has no AIMET encoding (affine only): weights left as float`);
      continue;
    }
    const name = tensorOf(l.name);
    if (!name) continue;
    const bw = Math.max(l.bits, 2);
    if (bw < 4) flag(l.name, `${bw}-bit encoding is below the AIMET spec's minimum of 4 bits`);
    // signed (symmetric) codes are shifted into AIMET's unsigned range by 2^(bw−1)
    const signed = q.spec.symmetric || q.spec.method === 'ternary';
    const shift = signed ? 2 ** (bw - 1) : 0;
    params.push({
      name,
      dtype: 'INT',
      enc_type: q.scales.length > 1 ? 'PER_CHANNEL' : 'PER_TENSOR',
      is_sym: signed,
      bw,
      scale: Array.from(q.scales),
      offset: Array.from(q.zeroPoints, (z) => -(z + shift)),
    });
  }
  return { version: '1.0.0', activation_encodings: [], param_encodings: params };
}

function readAimetEncodings(path: string): AimetEncodings {
  const file = resolve(path);
  if (!existsSync(file)) throw new UserError('encodings file not found', file);
  let j: unknown;
  try {
    j = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError(`encodings are not valid JSON (${flat(e, 120)})`, file);
  }
  const e = j as Partial<AimetEncodings>;
  if (!e || e.version !== '1.0.0' || !Array.isArray(e.param_encodings)) throw new UserError('not AIMET encodings 1.0.0 (version or param_encodings missing)', file);
  for (const p of e.param_encodings) {
    if (typeof p?.name !== 'string' || !Array.isArray(p.scale) || !Array.isArray(p.offset) || p.scale.length !== p.offset.length || !(p.bw >= 1))
      {throw new UserError(`encoding ${flat(JSON.stringify(p?.name), 60)} is malformed`, file);}
  }
  return e as AimetEncodings;
}

/** Fake-quantizes float weights (ONNX layout, channels on axis 0) with an encoding: what QNN would compute. */
function applyEncoding(values: Float32Array, enc: AimetParamEncoding): Float32Array {
  const ch = enc.scale.length;
  const per = values.length / ch;
  const qmax = 2 ** enc.bw - 1;
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const c = ch > 1 ? Math.floor(i / per) : 0;
    const s = enc.scale[c];
    const q = Math.max(0, Math.min(qmax, Math.round(values[i] / s) - enc.offset[c]));
    out[i] = (q + enc.offset[c]) * s;
  }
  return out;
}

/** AIMET: a float ONNX file of the simulated weights plus model.encodings beside it. */
export const aimetFormat: FormatModule = {
  name: 'aimet',
  target: 'aimet',
  canWrite: (plan) => !!plan.model,
  async write(s, dir, opts) {
    const w = writeOnnxFile(s, dir, 'float', opts.metadata);
    const flag = (l: string, f: string) => w.flags.set(l, [...(w.flags.get(l) ?? []), f]);
    const kernelOf = new Map<string, string>();
    for (const l of s.plan.layers) if (l.main >= 0) kernelOf.set(l.name, l.weights[l.main].name.replace(/[^A-Za-z0-9_./-]/g, '_'));
    const enc = aimetEncodings(s.plan.layers, (l) => kernelOf.get(l), flag);
    const file = join(dir, 'model.encodings');
    writeFileSync(file, JSON.stringify(enc, null, 1));
    for (const l of s.plan.layers) if (l.q) w.storage.set(l.name, l.q.codebook ? 'float32 (no encoding)' : `float32 + ${l.bits}-bit encoding`);
    return { ...w, files: [...w.files, file], extra: { ...w.extra, encodings: file } };
  },
  async verify(s, w, _dir, ctx) {
    const x = w.extra as OnnxWritten & { encodings: string };
    const encs = new Map(readAimetEncodings(x.encodings).param_encodings.map((e) => [e.name, e]));
    const transform = (tensor: string, v: Float32Array) => {
      const e = encs.get(tensor);
      return e ? applyEncoding(v, e) : v;
    };
    return verifyOnnxFile(s, { ...w, extra: { ...x, transform } }, ctx);
  },
};
