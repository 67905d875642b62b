import { describe, expect, it } from 'vitest';
import { spectrumOption } from '../../src/renderer/src/components/charts/options';

describe('spectrumOption', () => {
  it('log σ axis, a rank marker on the first series, and the energy curve on a 0…1 right axis', () => {
    const o = spectrumOption([{ name: 'σ', values: [4, 2, 0] }, { name: 'after', values: [3, 1, 0.5] }], { rank: 2, energy: [0.8, 1, 1] }) as any;
    expect(o.yAxis[0].type).toBe('log');
    expect(o.yAxis[1]).toMatchObject({ min: 0, max: 1, show: true });
    expect(o.series).toHaveLength(3);
    // zeros cannot sit on a log axis: they become gaps
    expect(o.series[0].data).toEqual([[1, 4], [2, 2], [3, null]]);
    expect(o.series[0].markLine.data).toEqual([{ xAxis: 2 }]);
    expect(o.series[1].markLine).toBeUndefined();
    expect(o.series[2]).toMatchObject({ yAxisIndex: 1, data: [[1, 0.8], [2, 1], [3, 1]] });
  });
  it('without energy or rank: σ lines only, right axis hidden', () => {
    const o = spectrumOption([{ name: 'σ', values: [1] }]) as any;
    expect(o.series).toHaveLength(1);
    expect(o.series[0].markLine).toBeUndefined();
    expect(o.yAxis[1].show).toBe(false);
  });
});
