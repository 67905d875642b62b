import { describe, expect, it } from 'vitest';
import { formatCount, formatNumber, formatPercent, formatShape } from '@renderer/format';

describe('format', () => {
  it('numbers: 3 significant digits, exponent for tiny and huge', () => {
    expect(formatNumber(0.123456)).toBe('0.123');
    expect(formatNumber(-0.00042)).toBe('-4.20e-4');
    expect(formatNumber(123456)).toBe('1.23e5');
    expect(formatNumber(0)).toBe('0');
    expect(formatNumber(NaN)).toBe('–');
  });
  it('counts, shapes, percents', () => {
    expect(formatCount(850)).toBe('850');
    expect(formatCount(48_120)).toBe('48.1 k');
    expect(formatCount(2_500_000)).toBe('2.5 M');
    expect(formatShape([null, 28, 28, 6])).toBe('?×28×28×6');
    expect(formatShape([])).toBe('–');
    expect(formatPercent(0.25)).toBe('25.0 %');
  });
});
