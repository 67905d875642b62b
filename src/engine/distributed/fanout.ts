// Which jobs split into independent children on the queue, and how the children's results join again.
import type { JobKind } from '../../shared/api';
import type { SensitivityResult } from '../../shared/api-quant';
import { UserError } from '../core/errors';

export interface ChildSpec {
  kind: JobKind;
  config: Record<string, unknown>;
}

/**
 * The children a job runs as. A sensitivity grid splits into one child per bit-width (every layer row at that
 * width): each cell quantizes one row from the original weights and evaluates, so cells do not depend on each
 * other and the merged grid equals the one-process grid. A sweep runs one child per configuration. Other kinds
 * (training, DNQ search: sequential by nature) run as one child.
 */
export function planChildren(kind: JobKind, config: Record<string, unknown>): ChildSpec[] {
  if (kind === 'sensitivity' && Array.isArray(config.bits) && config.bits.length > 1) {
    return (config.bits as number[]).map((b) => ({ kind, config: { ...config, bits: [b] } }));
  }
  return [{ kind, config }];
}

/** The parent's result from its children's, in child order. */
export function mergeResults(kind: JobKind, config: Record<string, unknown>, results: unknown[]): unknown {
  const fixRef = (r: unknown) =>
    // a child on a worker saw its local copy of a blob model; the record names the model the user gave
    r && typeof r === 'object' && 'model' in r && typeof config.model === 'string' ? { ...r, model: config.model } : r;
  if (results.length === 1) return fixRef(results[0]);
  if (kind !== 'sensitivity') throw new UserError(`internal error: no merge for ${results.length} ${kind} children`);
  const parts = results as SensitivityResult[];
  const first = parts[0];
  for (const p of parts) {
    if (p.baseline !== first.baseline || p.n !== first.n || p.layers.length !== first.layers.length) {
      throw new UserError('sensitivity children disagree on the baseline or the rows (different engine builds on the workers?)');
    }
  }
  const layers = first.layers.map((row, i) => {
    const spreads = parts.map((p) => p.layers[i].spread).filter((s) => s !== undefined);
    return {
      ...row,
      bits: Object.assign({}, ...parts.map((p) => p.layers[i].bits)) as Record<string, number>,
      ...(spreads.length ? { spread: Object.assign({}, ...spreads) } : {}),
    };
  });
  return fixRef({ ...first, layers });
}
