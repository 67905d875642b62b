// The bad-input corpus: broken files of every format the CLI opens, each derived from a valid file written here
// (the builtin LeNet-5 tfjs layers model, the hand-written tfjs graph and ONNX fixtures, a packed file built
// from LeNet's weights, a PNG/JPEG image folder). Each case says which CLI arguments open it, which file the
// one-line error must name and a pattern for the problem.
import { mkdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { crc32 } from 'node:zlib';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { decodeModel, encodeModel } from '../../src/engine/formats/onnx';
import { writeGraphModel } from '../engine/formats/fixtures';
import { torchStyleCnn } from '../engine/formats/onnx-fixtures';

export type CaseFormat = 'tfjs-layers' | 'tfjs-graph' | 'onnx' | 'packed' | 'dataset';

export interface BadCase {
  name: string;
  format: CaseFormat;
  /** CLI arguments (without --workspace) */
  args: string[];
  /** the file or folder the error line must name; null for a valid control case that must succeed */
  names: string | null;
  problem?: RegExp;
}

const LENET = resolve(import.meta.dirname, '../../resources/models/lenet5-mnist');
const json = (v: unknown) => JSON.stringify(v);
type Json = Record<string, any>;

/** IEEE float32 little-endian bytes of `v`, written over `buf` at element `i`. */
function setF32(buf: Buffer, i: number, v: number): Buffer {
  const out = Buffer.from(buf);
  out.writeFloatLE(v, 4 * i);
  return out;
}

/** A .llpk file (docs/packed-format.md) from a header and payload, with a correct CRC unless told otherwise. */
export function packedBytes(header: unknown, payload: Uint8Array, headerText = JSON.stringify(header)): Buffer {
  const h = Buffer.from(headerText, 'utf8');
  const body = Buffer.concat([h, payload]);
  const head = Buffer.alloc(16);
  head.write('LLPK', 0, 'latin1');
  head.writeUInt32LE(1, 4);
  head.writeUInt32LE(h.byteLength, 8);
  head.writeUInt32LE(payload.byteLength, 12);
  const tail = Buffer.alloc(4);
  tail.writeUInt32LE(crc32(body), 0);
  return Buffer.concat([head, body, tail]);
}

/** LeNet-5 as a packed file: float32 entries, fc1/kernel as 8-bit symmetric per-tensor codes. */
export function lenetPacked(): { header: Json; payload: Buffer } {
  const mj = JSON.parse(readFileSync(join(LENET, 'model.json'), 'utf8')) as Json;
  const weights = readFileSync(join(LENET, 'weights.bin'));
  const specs = mj.weightsManifest[0].weights as { name: string; shape: number[] }[];
  const parts: Buffer[] = [];
  let size = 0;
  const put = (b: Buffer): [number, number] => {
    parts.push(b);
    size += b.byteLength;
    return [size - b.byteLength, b.byteLength];
  };
  const entries: Json[] = [];
  let o = 0;
  for (const s of specs) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const v = new Float32Array(weights.buffer.slice(weights.byteOffset + o, weights.byteOffset + o + 4 * n));
    o += 4 * n;
    const layer = s.name.split('/')[0];
    if (s.name === 'fc1/kernel') {
      const scale = Math.max(...v.map(Math.abs)) / 127;
      const codes = Buffer.from(Uint8Array.from(v, (x) => Math.round(x / scale) + 127));
      entries.push({
        name: s.name, layer, shape: s.shape, kind: 'affine', bits: 8, codeOffset: -127,
        spec: { bits: 8, method: 'uniform', granularity: 'per-tensor', symmetric: true }, levels: 255, channels: 1,
        data: put(codes), scales: put(Buffer.from(new Float32Array([scale]).buffer)),
      });
    } else entries.push({ name: s.name, layer, shape: s.shape, kind: 'float32', data: put(Buffer.from(v.buffer)) });
  }
  const header = { format: 'layerlens-packed', modelTopology: mj.modelTopology, weightOrder: specs.map((s) => s.name), metadata: {}, entries };
  return { header, payload: Buffer.concat(parts) };
}

/** `n`×`n` grayscale PNG whose pixels depend on `seed`. */
export function grayPng(n: number, seed: number): Buffer {
  const png = new PNG({ width: n, height: n });
  for (let i = 0; i < n * n; i++) {
    const g = (i * 37 + seed * 101) % 256;
    png.data.set([g, g, g, 255], 4 * i);
  }
  return PNG.sync.write(png);
}

export function grayJpeg(n: number, seed: number): Buffer {
  const data = Buffer.alloc(n * n * 4);
  for (let i = 0; i < n * n; i++) {
    const g = (i * 53 + seed * 29) % 256;
    data.set([g, g, g, 255], 4 * i);
  }
  return Buffer.from(jpeg.encode({ data, width: n, height: n }, 90).data);
}

/** Ten class folders (the builtin LeNet-5's ten outputs) of three 28×28 gray images each: a valid image folder. */
export function writeDigitFolder(dir: string, classes = 10): string {
  for (let c = 0; c < classes; c++) {
    mkdirSync(join(dir, `c${String(c).padStart(2, '0')}`), { recursive: true });
    for (let k = 0; k < 3; k++) writeFileSync(join(dir, `c${String(c).padStart(2, '0')}`, `i${k}.png`), grayPng(28, c * 3 + k));
  }
  return dir;
}

/** A PNG with a valid signature and IHDR chunk (CRC included) claiming `w`×`h` pixels, and no image data. */
function pngHeaderOnly(w: number, h: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 0, 0, 0, 0], 8); // 8-bit gray
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.byteLength);
    const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', Buffer.alloc(0)), chunk('IEND', Buffer.alloc(0))]);
}

/** A baseline JPEG whose SOF0 says `w`×`h` (the scan data is whatever follows). */
function jpegClaiming(w: number, h: number): Buffer {
  const b = grayJpeg(8, 1);
  for (let i = 2; i < b.length - 8; i++) {
    if (b[i] === 0xff && (b[i + 1] === 0xc0 || b[i + 1] === 0xc2)) {
      b.writeUInt16BE(h, i + 5);
      b.writeUInt16BE(w, i + 7);
      return b;
    }
  }
  throw new Error('no SOF marker in the test JPEG');
}

/** Builds every case under `root`; returns them in a fixed order. */
export function buildCorpus(root: string): BadCase[] {
  const cases: BadCase[] = [];
  let k = 0;
  const caseDir = (tag: string) => {
    const d = join(root, `${String(++k).padStart(2, '0')}-${tag}`);
    mkdirSync(d, { recursive: true });
    return d;
  };

  // ---- tfjs layers: the builtin LeNet-5 (model.json + weights.bin), then one change per case
  const lenetJson = readFileSync(join(LENET, 'model.json'), 'utf8');
  const lenetBin = readFileSync(join(LENET, 'weights.bin'));
  const layers = (name: string, problem: RegExp | null, edit: { json?: (j: Json) => void; text?: string | Buffer; bin?: Buffer | null; names?: 'json' | 'bin' }) => {
    const d = caseDir(`layers-${name}`);
    const mj = join(d, 'model.json');
    let text: string | Buffer = lenetJson;
    if (edit.json) {
      const j = JSON.parse(lenetJson) as Json;
      edit.json(j);
      text = json(j);
    }
    writeFileSync(mj, edit.text ?? text);
    if (edit.bin !== null) writeFileSync(join(d, 'weights.bin'), edit.bin ?? lenetBin);
    cases.push({ name: `tfjs-layers: ${name}`, format: 'tfjs-layers', args: ['inspect', mj], names: problem ? (edit.names === 'bin' ? join(d, 'weights.bin') : mj) : null, problem: problem ?? undefined });
    return mj;
  };
  const w0 = (j: Json) => j.weightsManifest[0].weights as Json[];
  const layerNamed = (j: Json, n: string) => (j.modelTopology.model_config ?? j.modelTopology).config.layers.find((l: Json) => l.name === n) as Json;
  layers('valid control', null, {});
  layers('zero-byte model.json', /not valid JSON/, { text: '' });
  layers('truncated model.json', /not valid JSON/, { text: lenetJson.slice(0, lenetJson.length >> 1) });
  layers('binary model.json (wrong magic)', /not valid JSON/, { text: grayPng(4, 1) });
  layers('JSON that is not a model', /not a TensorFlow\.js model/, { text: '{"hello": [1, 2, 3]}' });
  layers('missing shard', /shard is missing/, { bin: null, names: 'bin' });
  layers('zero-byte shard', /truncated/, { bin: Buffer.alloc(0), names: 'bin' });
  layers('truncated shard', /truncated/, { bin: lenetBin.subarray(0, lenetBin.length - 1001), names: 'bin' });
  layers('padded shard', /more than/, { bin: Buffer.concat([lenetBin, Buffer.alloc(64)]), names: 'bin' });
  layers('wrong dtype', /unsupported dtype "float64"/, { json: (j) => (w0(j)[0].dtype = 'float64') });
  layers('shape lie (manifest needs more bytes)', /truncated/, { json: (j) => (w0(j)[0].shape = [5, 5, 1, 7]), names: 'bin' });
  layers('shape lie (same bytes, wrong layout)', /shape mismatch: weight conv1\/kernel/, { json: (j) => (w0(j)[0].shape = [5, 5, 6, 1]) });
  layers('huge dims 2^31 x 2^31', /conv1\/bias has an invalid shape \[2147483648,2147483648\]/, { json: (j) => (w0(j)[1].shape = [2 ** 31, 2 ** 31]) });
  layers('dims beyond 2^53', /invalid shape/, { json: (j) => (w0(j)[1].shape = [1e300, 1e300]) });
  layers('negative dim', /invalid shape/, { json: (j) => (w0(j)[1].shape = [-6]) });
  layers('NaN weight', /conv2\/kernel contains NaN/, { bin: setF32(lenetBin, 6 * 25 + 6 + 17, NaN) });
  layers('Inf weight', /conv1\/bias contains Inf/, { bin: setF32(lenetBin, 150 + 2, -Infinity) });
  layers('unknown layer class', /FancyConv2D/, { json: (j) => (layerNamed(j, 'conv1').class_name = 'FancyConv2D') });
  layers('cyclic layer graph', /cycle|cyclic/i, { json: (j) => (layerNamed(j, 'conv1').inbound_nodes = [[['fc3', 0, 0, {}]]]) });
  // found by scripts/fuzz.ts: tfjs looped forever on these
  layers('layer without a name', /layer 4 of the topology has no name/, { json: (j) => (j.modelTopology.config.layers[4].name = null) });
  layers('inbound reference that is no reference', /layer fc3: inbound_nodes is not a list/, { json: (j) => (layerNamed(j, 'fc3').inbound_nodes = [[[2 ** 53, 0, 0, {}]]]) });
  layers('layer with no inbound node that others read', /layer pool1 reads node 0 of conv1, which has 0/, { json: (j) => (layerNamed(j, 'conv1').inbound_nodes = []) });
  layers('weightsManifest not a list', /weightsManifest is not a list/, { json: (j) => (j.weightsManifest = { paths: ['weights.bin'] }) });
  layers('weight of no layer', /conv9\/bias .*belongs to no layer/, { json: (j) => (w0(j)[1].name = 'conv9/bias') });

  // ---- tfjs graph: the hand-written MatMul + BiasAdd + Relu model of tests/engine/formats/fixtures.ts
  const graph = (name: string, problem: RegExp | null, edit: { json?: (j: Json) => void; bin?: (b: Buffer) => Buffer; storage?: 'float32' | 'float16' | 'uint8'; values?: { w: number[]; b: number[] }; names?: 'bin' }) => {
    const d = caseDir(`graph-${name}`);
    const mj = writeGraphModel(d, edit.storage ?? 'float32', edit.values);
    if (edit.json) {
      const j = JSON.parse(readFileSync(mj, 'utf8')) as Json;
      edit.json(j);
      writeFileSync(mj, json(j));
    }
    if (edit.bin) writeFileSync(join(d, 'weights.bin'), edit.bin(readFileSync(join(d, 'weights.bin'))));
    cases.push({ name: `tfjs-graph: ${name}`, format: 'tfjs-graph', args: ['inspect', mj], names: problem ? (edit.names ? join(d, 'weights.bin') : mj) : null, problem: problem ?? undefined });
  };
  const node = (j: Json, n: string) => (j.modelTopology.node as Json[]).find((x) => x.name === n) as Json;
  graph('valid control', null, {});
  graph('cyclic graph (MatMul reads the Relu)', /cycle|cyclic/i, { json: (j) => (node(j, 'mm').input = ['out', 'w']) });
  graph('self loop', /cycle|cyclic/i, { json: (j) => (node(j, 'out').input = ['out']) });
  graph('unknown op', /FrobnicateOp/, { json: (j) => (node(j, 'out').op = 'FrobnicateOp') });
  graph('input from a missing node', /nosuch/, { json: (j) => (node(j, 'bias').input = ['nosuch', 'b']) });
  graph('Const without a weight', /constant b has no weight/, { json: (j) => (j.weightsManifest[0].weights = j.weightsManifest[0].weights.slice(0, 1)), bin: (b) => b.subarray(0, 48) });
  graph('Const shape lie', /shape mismatch: weight w/, { json: (j) => (j.weightsManifest[0].weights[0].shape = [3, 4]) });
  graph('truncated weights', /truncated/, { bin: (b) => b.subarray(0, 20), names: 'bin' });
  graph('float16 NaN', /weight b contains NaN/, { storage: 'float16', values: { w: [1, 0, -1, 0.5, 2, 0, 0, 0, 1, -1, 1, 0.25], b: [0.1, NaN, 0.3] } });
  graph('uint8 quantization without a scale', /finite scale/, { storage: 'uint8', json: (j) => (j.weightsManifest[0].weights[0].quantization.scale = 'big') });
  graph('huge input dims', /too large|huge|2147483648/, { json: (j) => (node(j, 'x').attr.shape.shape.dim = [{ size: '-1' }, { size: String(2 ** 31) }]) });
  graph('input dim that is no number', /input x has an invalid shape/, { json: (j) => (node(j, 'x').attr.shape.shape.dim[1] = { size: 'four' }) });
  graph('fixed batch of 2^31', /8589934592 elements per batch/, { json: (j) => (node(j, 'x').attr.shape.shape.dim = [{ size: String(2 ** 31) }, { size: '4' }]) });
  graph('node without op', /node\[5\] has no name or op/, { json: (j) => delete node(j, 'out').op });

  // ---- ONNX: the PyTorch-style CNN of tests/engine/formats/onnx-fixtures.ts
  const cnn = torchStyleCnn();
  const onnx = (name: string, problem: RegExp | null, bytes: Uint8Array | ((m: Json) => void)) => {
    const d = caseDir(`onnx-${name}`);
    const f = join(d, 'model.onnx');
    if (typeof bytes === 'function') {
      const m = decodeModel(cnn, f) as unknown as Json;
      bytes(m);
      bytes = encodeModel(m);
    }
    writeFileSync(f, bytes);
    cases.push({ name: `onnx: ${name}`, format: 'onnx', args: ['inspect', f], names: problem ? f : null, problem: problem ?? undefined });
  };
  const onode = (m: Json, n: string) => (m.graph.node as Json[]).find((x) => x.name === n) as Json;
  const init = (m: Json, n: string) => (m.graph.initializer as Json[]).find((x) => x.name === n) as Json;
  onnx('valid control', null, cnn);
  onnx('zero-byte file', /empty/, new Uint8Array(0));
  onnx('truncated', /not a valid ONNX file/, cnn.subarray(0, cnn.length >> 1));
  onnx('wrong magic (text)', /not a valid ONNX file/, Buffer.from('this is a README, not a model\n'.repeat(20)));
  onnx('random bytes', /not a valid ONNX file/, Uint8Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24));
  onnx('cyclic graph', /cycle|cyclic/i, (m) => (onode(m, '/conv1/Conv').input = ['r2', 'conv1.weight', 'conv1.bias']));
  onnx('huge initializer dims', /conv1\.weight/, (m) => (init(m, 'conv1.weight').dims = [2 ** 31, 2 ** 31]));
  onnx('wrong dtype', /conv1\.weight .*data type/, (m) => (init(m, 'conv1.weight').dataType = 999));
  onnx('NaN initializer', /contains NaN/, (m) => {
    const t = init(m, 'fc.weight');
    const raw = Buffer.from(t.rawData as Uint8Array);
    raw.writeFloatLE(NaN, 4);
    t.rawData = raw;
  });
  onnx('unknown op', /FrobnicateOp/, (m) => (onode(m, '/relu1/Relu').opType = 'FrobnicateOp'));
  onnx('input from no node', /nosuch/, (m) => (onode(m, '/relu1/Relu').input = ['nosuch']));
  onnx('negative initializer dims', /initializer fc\.weight has invalid dims/, (m) => (init(m, 'fc.weight').dims = [3, -1]));
  onnx('weight shape the converted layer refuses', /cannot convert the ONNX graph/, (m) => (onode(m, '/Flatten').input = ['ap']));
  onnx('stride of 2^31 (hung the probe run)', /Conv \/conv1\/Conv: strides \[1,2147483648\] outside/, (m) => {
    const a = (onode(m, '/conv1/Conv').attribute as Json[]).find((x) => x.name === 'strides')!;
    a.ints = [1, 2 ** 31];
  });
  onnx('fixed batch the probe cannot run', /does not run on a probe batch/, (m) => (m.graph.input[0].type.tensorType.shape.dim[0] = { dimValue: 2 ** 31 }));
  onnx('node name with a newline and an escape', /Relu \/relu1\/Relu \[31m evil reads nosuch/, (m) => {
    const n = onode(m, '/relu1/Relu');
    n.name = '/relu1/Relu\n\u001b[31m evil';
    n.input = ['nosuch'];
  });
  onnx('no opset', /no opset_import/, (m) => (m.opsetImport = []));
  onnx('initializer with too few bytes', /conv2\.weight/, (m) => {
    const t = init(m, 'conv2.weight');
    t.rawData = (t.rawData as Uint8Array).subarray(0, 10);
  });

  // ---- packed (.llpk): LeNet-5's weights with fc1 as 8-bit codes
  const lp = lenetPacked();
  const packed = (name: string, problem: RegExp | null, make: (h: Json, p: Buffer) => Buffer) => {
    const d = caseDir(`packed-${name}`);
    const f = join(d, 'model.llpk');
    writeFileSync(f, make(structuredClone(lp.header), Buffer.from(lp.payload)));
    cases.push({ name: `packed: ${name}`, format: 'packed', args: ['inspect', f], names: problem ? f : null, problem: problem ?? undefined });
  };
  const entry = (h: Json, n: string) => (h.entries as Json[]).find((e) => e.name === n) as Json;
  const valid = packedBytes(lp.header, lp.payload);
  packed('valid control', null, () => valid);
  packed('zero-byte file', /bad magic/, () => Buffer.alloc(0));
  packed('truncated', /truncated/, () => valid.subarray(0, valid.length - 5000));
  packed('wrong magic', /bad magic/, () => Buffer.concat([Buffer.from('PK\x03\x04'), valid.subarray(4)]));
  packed('unsupported version', /version 7/, () => {
    const b = Buffer.from(valid);
    b.writeUInt32LE(7, 4);
    return b;
  });
  packed('bit flip (CRC mismatch)', /CRC-32/, () => {
    const b = Buffer.from(valid);
    b[b.length - 300] ^= 0x10;
    return b;
  });
  packed('header not JSON', /header is not JSON/, (h, p) => packedBytes(h, p, json(h).slice(0, -40) + ' '.repeat(40)));
  packed('section outside the payload', /conv2\/kernel: data lies outside the payload/, (h, p) => {
    entry(h, 'conv2/kernel').data = [p.byteLength - 8, 9600];
    return packedBytes(h, p);
  });
  packed('huge dims 2^31 x 2^31', /fc2\/kernel/, (h, p) => {
    entry(h, 'fc2/kernel').shape = [2 ** 31, 2 ** 31];
    return packedBytes(h, p);
  });
  packed('shape not a list', /conv1\/bias.*shape/, (h, p) => {
    entry(h, 'conv1/bias').shape = 'six';
    return packedBytes(h, p);
  });
  packed('NaN weight', /conv1\/kernel .*contains NaN/, (h, p) => {
    p.writeFloatLE(NaN, entry(h, 'conv1/kernel').data[0] + 8);
    return packedBytes(h, p);
  });
  packed('bits out of range', /fc1\/kernel.*bits/, (h, p) => {
    entry(h, 'fc1/kernel').bits = 40;
    return packedBytes(h, p);
  });
  packed('quantizer spec the decoder does not know', /fc1\/kernel: cannot decode its codes/, (h, p) => {
    entry(h, 'fc1/kernel').spec.method = 1.5;
    return packedBytes(h, p);
  });
  packed('weight missing', /fc3\/bias is missing/, (h, p) => {
    h.entries = (h.entries as Json[]).filter((e) => e.name !== 'fc3/bias');
    return packedBytes(h, p);
  });
  packed('unknown layer class', /FancyDense/, (h, p) => {
    layerNamed({ modelTopology: h.modelTopology }, 'fc2').class_name = 'FancyDense';
    return packedBytes(h, p);
  });

  // ---- image folders, evaluated with the builtin LeNet-5 (28×28 gray, ten classes)
  const folder = (name: string, problem: RegExp | null, edit: (d: string) => string | void, opts: { classes?: number } = {}) => {
    const d = writeDigitFolder(caseDir(`data-${name}`), opts.classes);
    const named = edit(d) ?? d;
    cases.push({ name: `dataset: ${name}`, format: 'dataset', args: ['eval', 'builtin:lenet5-mnist', '--data', d], names: problem ? named : null, problem: problem ?? undefined });
  };
  const img = (d: string, f = 'i1.png') => join(d, 'c03', f);
  folder('valid control', null, () => undefined);
  folder('corrupt PNG', /cannot decode PNG/, (d) => (writeFileSync(img(d), Buffer.concat([grayPng(28, 0).subarray(0, 33), Buffer.alloc(200, 7)])), img(d)));
  folder('truncated PNG', /cannot decode PNG/, (d) => (writeFileSync(img(d), grayPng(28, 0).subarray(0, 60)), img(d)));
  folder('zero-byte JPEG', /cannot decode JPEG/, (d) => (writeFileSync(img(d, 'z.jpg'), ''), img(d, 'z.jpg')));
  folder('PNG bytes in a .jpg (wrong magic)', /cannot decode JPEG/, (d) => (writeFileSync(img(d, 'p.jpg'), grayPng(28, 1)), img(d, 'p.jpg')));
  folder('PNG claiming 100000 x 100000 pixels', /too large|pixels/, (d) => (writeFileSync(img(d), pngHeaderOnly(100000, 100000)), img(d)));
  folder('JPEG claiming 65535 x 65535 pixels', /cannot decode JPEG|too large/, (d) => (writeFileSync(img(d, 'big.jpg'), jpegClaiming(65535, 65535)), img(d, 'big.jpg')));
  folder('dangling symlink', /cannot read|not found|no such/i, (d) => (unlinkSync(img(d)), symlinkSync(join(d, 'nowhere.png'), img(d)), img(d)));
  folder('FIFO named like an image (unreadable)', /not a regular file/, (d) => {
    unlinkSync(img(d));
    execFileSync('mkfifo', [img(d)]); // node has no mkfifo; coreutils has
    return img(d);
  });
  folder('labels beyond the model outputs', /12 classes.*10/, () => undefined, { classes: 12 });
  folder('images of the wrong size', /expects input 28×28×1/, (d) => {
    rmSync(join(d, 'c03'), { recursive: true });
    mkdirSync(join(d, 'c03'));
    for (const c of ['c00', 'c01', 'c02', 'c03', 'c04', 'c05', 'c06', 'c07', 'c08', 'c09']) {
      for (const f of ['i0.png', 'i1.png', 'i2.png']) writeFileSync(join(d, c, f), grayPng(32, 1));
    }
  });
  folder('class folder with no images', /class folder has no PNG or JPEG images/, (d) => {
    rmSync(join(d, 'c05'), { recursive: true });
    mkdirSync(join(d, 'c05'));
    writeFileSync(join(d, 'c05', 'notes.txt'), 'nothing here');
    return join(d, 'c05');
  });

  // ---- detection folders (COCO instances JSON, VOC XML): the loader names the annotation or image file at fault
  const cocoFolder = (name: string, problem: RegExp, edit: (d: string, instances: Json) => string) => {
    const d = caseDir(`coco-${name.replace(/\W+/g, '-')}`);
    mkdirSync(join(d, 'annotations'), { recursive: true });
    mkdirSync(join(d, 'images', 'train'), { recursive: true });
    writeFileSync(join(d, 'images', 'train', 'a.png'), grayPng(32, 3));
    const instances: Json = {
      images: [{ id: 1, file_name: 'a.png', width: 32, height: 32 }],
      annotations: [{ id: 1, image_id: 1, category_id: 5, bbox: [2, 3, 10, 12], area: 120, iscrowd: 0 }],
      categories: [{ id: 5, name: 'five' }],
    };
    const named = edit(d, instances);
    cases.push({ name: `dataset: ${name}`, format: 'dataset', args: ['eval', 'builtin:lenet5-mnist', '--data', d], names: named, problem });
  };
  const instancesFile = (d: string) => join(d, 'annotations', 'instances_train.json');
  cocoFolder('COCO instances not JSON', /not valid JSON/, (d, inst) => (writeFileSync(instancesFile(d), json(inst).slice(0, -7)), instancesFile(d)));
  cocoFolder('COCO bbox with negative width', /annotation 1: bbox has negative width/, (d, inst) => {
    inst.annotations[0].bbox = [20, 3, -10, 12];
    writeFileSync(instancesFile(d), json(inst));
    return instancesFile(d);
  });
  cocoFolder('COCO unknown category id', /annotation 1 refers to unknown category id 77/, (d, inst) => {
    inst.annotations[0].category_id = 77;
    writeFileSync(instancesFile(d), json(inst));
    return instancesFile(d);
  });
  cocoFolder('COCO image file missing', /image file is missing/, (d, inst) => {
    inst.images.push({ id: 2, file_name: 'gone.png', width: 32, height: 32 });
    writeFileSync(instancesFile(d), json(inst));
    return join(d, 'images', 'train', 'gone.png');
  });
  const vocFolder = (name: string, problem: RegExp, xml: string) => {
    const d = caseDir(`voc-${name.replace(/\W+/g, '-')}`);
    mkdirSync(join(d, 'Annotations'), { recursive: true });
    mkdirSync(join(d, 'JPEGImages'), { recursive: true });
    writeFileSync(join(d, 'JPEGImages', 'a.png'), grayPng(32, 4));
    writeFileSync(join(d, 'Annotations', 'a.xml'), xml);
    cases.push({ name: `dataset: ${name}`, format: 'dataset', args: ['eval', 'builtin:lenet5-mnist', '--data', d], names: join(d, 'Annotations', 'a.xml'), problem });
  };
  const vocXml = (box: string) =>
    `<annotation><filename>a.png</filename><size><width>32</width><height>32</height><depth>1</depth></size><object><name>five</name><bndbox>${box}</bndbox></object></annotation>`;
  vocFolder('VOC annotation not well-formed XML', /not well-formed XML/, vocXml('<xmin>3</xmin><ymin>4</ymin><xmax>12</xmax><ymax>14</ymax>').replace('</size>', '</sise>'));
  vocFolder('VOC box with xmax left of xmin', /object 1: xmax 2 is left of xmin 12/, vocXml('<xmin>12</xmin><ymin>4</ymin><xmax>2</xmax><ymax>14</ymax>'));
  return cases;
}
