// Output agreement of a changed model (quantized, factorised, re-exported) with the float model, for models whose
// task metric needs labels the user does not have: cosine similarity and relative error of every output, top-1
// agreement where an output is a score vector, and per-task extras through hooks (a detector's top-box IoU).
import type { OutputAgreement } from '../../shared/api-export';

/** One output of both models on the same n inputs, row-major [n, per]. */
export interface OutputPair {
  name: string;
  shape: (number | null)[];
  reference: Float32Array;
  candidate: Float32Array;
  n: number;
}

/** @public A task-specific agreement measure (e.g. top-box IoU for detectors); null when it does not apply. */
export type AgreementHook = (o: OutputPair) => Record<string, number> | null;

/** @public Hooks by name; a detection task adds 'topBoxIoU' here once boxes are decoded from its outputs. */
export const agreementHooks = new Map<string, AgreementHook>();

function rowCosine(a: Float32Array, b: Float32Array, from: number, to: number): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = from; i < to; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  if (aa === 0 && bb === 0) return 1;
  if (aa === 0 || bb === 0) return 0;
  return ab / Math.sqrt(aa * bb);
}

/** Cosine (mean and worst over examples), ‖b − a‖/‖a‖, max |b − a| and, for [n, k] outputs, top-1 agreement. */
export function agreementOf(o: OutputPair): OutputAgreement {
  const { reference: a, candidate: b, n } = o;
  if (a.length !== b.length) throw new Error(`output ${o.name}: ${a.length} vs ${b.length} values`);
  const per = n ? a.length / n : 0;
  let cosSum = 0;
  let cosMin = 1;
  let diff = 0;
  let norm = 0;
  let maxAbs = 0;
  let top1 = 0;
  for (let r = 0; r < n; r++) {
    const c = rowCosine(a, b, r * per, (r + 1) * per);
    cosSum += c;
    cosMin = Math.min(cosMin, c);
    let ia = r * per;
    let ib = r * per;
    for (let i = r * per; i < (r + 1) * per; i++) {
      const d = b[i] - a[i];
      diff += d * d;
      norm += a[i] * a[i];
      maxAbs = Math.max(maxAbs, Math.abs(d));
      if (a[i] > a[ia]) ia = i;
      if (b[i] > b[ib]) ib = i;
    }
    if (ia === ib) top1++;
  }
  const scores = o.shape.length === 2 && per > 1;
  const extra: Record<string, number> = {};
  for (const hook of agreementHooks.values()) Object.assign(extra, hook(o) ?? {});
  return {
    name: o.name,
    shape: o.shape,
    cosine: n ? cosSum / n : 1,
    minCosine: cosMin,
    relError: norm > 0 ? Math.sqrt(diff / norm) : Math.sqrt(diff),
    maxAbsDiff: maxAbs,
    top1Agreement: scores ? top1 / Math.max(1, n) : null,
    ...(Object.keys(extra).length ? { extra } : {}),
  };
}
