// Per-channel quantized kernels in a tfjs graph model, stored exactly: a manifest holds one scale per tensor, so
// the kernel W becomes integer codes (uint8/uint16 with scale 1, i.e. the codes themselves) times a small Const
// of per-channel scales, joined by a Mul node that keeps W's name, so the ops reading W are unchanged. The same
// idea as ONNX's DequantizeLinear, written with the ops every tfjs runtime has.
import * as tf from '../../backend/tf';
import { isAffine } from '../../quant/quantizers';
import type { ExportPlan, PlanLayer } from '../../export/plan';
import type { GraphNodeDef } from './graphdef';

export const CODES = '/ll_codes';
export const SCALES = '/ll_scales';

const float = { type: 'DT_FLOAT' };
const dims = (shape: number[]) => ({ dim: shape.map((d) => ({ size: String(d) })) });

/** The layers whose kernel this rewrite stores exactly: affine, per channel, symmetric (zero points 0). */
function perChannelLayers(plan: ExportPlan): PlanLayer[] {
  return plan.layers.filter((l) => l.q && isAffine(l.q) && l.q.scales.length > 1 && l.q.zeroPoints.every((z) => z === 0));
}

/** Shape of the scales Const that broadcasts over a kernel of `shape` along `axis`. */
function scalesShape(shape: number[], axis: number): number[] {
  return [shape[axis], ...shape.slice(axis + 1).map(() => 1)];
}

/** The artifacts with each such kernel rewritten as codes × scales; the other weights as they were. */
export function perChannelArtifacts(plan: ExportPlan, a: tf.io.ModelArtifacts): { artifacts: tf.io.ModelArtifacts; layers: Map<string, string> } {
  const topo = a.modelTopology as { node?: GraphNodeDef[] };
  const nodes = [...(topo.node ?? [])];
  const byName = new Map(nodes.map((n, i) => [n.name, i]));
  const rewrite = new Map<string, PlanLayer>();
  for (const l of perChannelLayers(plan)) {
    const w = l.weights[l.main].name;
    const i = byName.get(w);
    if (i !== undefined && nodes[i].op === 'Const') rewrite.set(w, l);
  }
  const specs: tf.io.WeightsManifestEntry[] = [];
  const parts: Uint8Array[] = [];
  const data = a.weightData ? new Uint8Array(tf.io.CompositeArrayBuffer.join(a.weightData)) : new Uint8Array(0);
  let off = 0;
  const layers = new Map<string, string>();
  for (const s of a.weightSpecs ?? []) {
    const n = s.shape.reduce((x, y) => x * y, 1);
    const q = s.quantization?.dtype;
    const width = q ? (q === 'uint8' ? 1 : 2) : s.dtype === 'float32' || s.dtype === 'int32' ? 4 : 1;
    const raw = data.subarray(off, off + n * width);
    off += n * width;
    const l = rewrite.get(s.name);
    if (!l) {
      specs.push(s);
      parts.push(raw);
      continue;
    }
    const qt = l.q!;
    const axis = qt.spec.axis ?? qt.shape.length - 1;
    let lo = Infinity;
    let hi = -Infinity;
    for (const c of qt.codes) {
      if (c < lo) lo = c;
      if (c > hi) hi = c;
    }
    const dt = hi - lo <= 255 ? 'uint8' : 'uint16';
    const codes = dt === 'uint8' ? Uint8Array.from(qt.codes, (c) => c - lo) : new Uint8Array(Uint16Array.from(qt.codes, (c) => c - lo).buffer);
    specs.push({ name: s.name + CODES, shape: s.shape, dtype: 'float32', quantization: { dtype: dt, scale: 1, min: lo } });
    parts.push(codes);
    const sshape = scalesShape(s.shape, axis);
    specs.push({ name: s.name + SCALES, shape: sshape, dtype: 'float32' });
    parts.push(new Uint8Array(Float32Array.from(qt.scales).buffer));
    const i = byName.get(s.name)!;
    const old = nodes[i];
    nodes[i] = { ...old, name: s.name + CODES };
    nodes.push({ name: s.name + SCALES, op: 'Const', attr: { dtype: float, value: { tensor: { dtype: 'DT_FLOAT', tensorShape: dims(sshape) } } } });
    nodes.push({ name: s.name, op: 'Mul', input: [s.name + CODES, s.name + SCALES], attr: { T: float } });
    layers.set(l.name, dt);
  }
  const joined = new Uint8Array(parts.reduce((x, p) => x + p.byteLength, 0));
  let k = 0;
  for (const p of parts) {
    joined.set(p, k);
    k += p.byteLength;
  }
  return { artifacts: { ...a, modelTopology: { ...topo, node: nodes }, weightSpecs: specs, weightData: joined.buffer }, layers };
}

/** W from its codes and scales (shape [C, 1, …] over the kernel's trailing axes), as the graph computes it. */
export function dequantizeStored(codes: ArrayLike<number>, scales: ArrayLike<number>, scaleShape: number[], shape: number[]): Float32Array {
  const axis = shape.length - scaleShape.length;
  const inner = shape.slice(axis + 1).reduce((x, y) => x * y, 1);
  const out = new Float32Array(codes.length);
  for (let i = 0; i < codes.length; i++) out[i] = Math.fround(codes[i] * scales[Math.floor(i / inner) % shape[axis]]);
  return out;
}
