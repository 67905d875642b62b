// Graph checks before conversion: the importer walks nodes in file order, so a cycle or a dangling input would
// surface as "produced by no supported node", and an absurd input size as a failed allocation in the probe run.
import { findCycle } from '../../core/cycle';
import { UserError } from '../../core/errors';
import type { ModelProto } from './proto';

/** Elements per example an input may have: loading runs a probe batch of it (2^28 floats = 1 GiB). */
const MAX_INPUT_ELEMENTS = 2 ** 28;

const WINDOW_ATTRS = new Set(['kernel_shape', 'strides', 'dilations', 'pads']);
const MAX_WINDOW = 65535;

export function checkOnnxGraph(m: ModelProto, where: string): void {
  const g = m.graph!;
  const nodes = g.node ?? [];
  const producer = new Map<string, number>();
  nodes.forEach((n, k) => (n.output ?? []).forEach((o) => o && producer.set(o, k)));
  const given = new Set([...(g.input ?? []).map((i) => i.name ?? ''), ...(g.initializer ?? []).map((t) => t.name ?? '')]);
  for (const t of g.initializer ?? []) {
    const d = (t.dims ?? []).map(Number);
    if (!d.every((x) => Number.isSafeInteger(x) && x >= 0)) throw new UserError(`initializer ${t.name} has invalid dims [${d}]`, where);
  }
  const label = (k: number) => `${nodes[k].opType} ${nodes[k].name || `#${k}`}`;
  nodes.forEach((n, k) => {
    for (const i of n.input ?? []) {
      if (i && !producer.has(i) && !given.has(i)) throw new UserError(`${label(k)} reads ${i}, which no node, graph input or initializer provides`, where);
    }
  });
  for (const i of g.input ?? []) {
    const all = (i.type?.tensorType?.shape?.dim ?? []).map((d) => Number(d.dimValue ?? 0));
    if (all.some((v) => !Number.isSafeInteger(v))) throw new UserError(`input ${i.name} has invalid dims [${all}]`, where);
    const per = (i.type?.tensorType?.shape?.dim ?? []).slice(1).reduce((a, d) => a * Math.max(1, Number(d.dimValue ?? 1) || 1), 1);
    if (per > MAX_INPUT_ELEMENTS) throw new UserError(`input ${i.name} has ${per} elements per example, more than the ${MAX_INPUT_ELEMENTS} this tool will allocate`, where);
  }
  // window attributes out of any image's range: tfjs and ONNX Runtime loop or overrun on a stride of 2^31
  for (const [k, n] of nodes.entries()) {
    for (const a of n.attribute ?? []) {
      if (!WINDOW_ATTRS.has(a.name ?? '')) continue;
      const v = (a.ints ?? []).map(Number);
      const min = a.name === 'pads' ? 0 : 1;
      if (!v.every((x) => Number.isSafeInteger(x) && x >= min && x <= MAX_WINDOW)) throw new UserError(`${label(k)}: ${a.name} [${v}] outside ${min}..${MAX_WINDOW}`, where);
    }
  }
  const deps = nodes.map((n) => (n.input ?? []).map((i) => producer.get(i)).filter((j): j is number => j !== undefined));
  const cycle = findCycle(deps.keys(), (k) => deps[k]);
  if (cycle) throw new UserError(`the graph has a cycle (${label(cycle[0])} depends on itself through ${label(cycle[1])})`, where);
}
