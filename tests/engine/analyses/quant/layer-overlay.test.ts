// The per-layer quantization overlay draws its weight histogram with inspect's histogram (one implementation).
import { describe, expect, it } from 'vitest';
import { quantHandlers } from '../../../../src/engine/analyses/quant/handlers';
import { run as inspect } from '../../../../src/engine/analyses/inspect';
import { plainContext } from '../../../../src/engine/core/context';
import type { ServiceDeps } from '../../../../src/engine/service-deps';

describe('quant.layer histogram', () => {
  it('covers every weight of the layer in 60 equal bins from its min to its max', async () => {
    const model = 'builtin:lenet5-mnist';
    const o = await quantHandlers({} as ServiceDeps)['quant.layer']({ model, layer: 'conv1', bits: 4, method: 'uniform', granularity: 'per-tensor', symmetric: true, sample: 4 });
    const info = (await inspect({ model }, plainContext())).layers.find((l) => l.name === 'conv1')!;
    const { edges, counts } = o.histogram;
    expect(counts).toHaveLength(60);
    expect(edges).toHaveLength(61);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(info.weightShape.reduce((a, b) => a * b, 1)); // the kernel, not the bias
    expect(edges[0]).toBeCloseTo(info.stats.min, 6);
    expect(edges[60]).toBeCloseTo(info.stats.max, 6);
  });
});
