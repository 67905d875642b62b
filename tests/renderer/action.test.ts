// The Action view's pure helpers: timelines of the true class per stream, the offset heatmap's rows, confusion
// shares, and gray/RGB pixels to RGBA.
import { describe, expect, it } from 'vitest';
import type { ActionClipView, ActionRunView } from '@shared/api-action';
import { normalised, offsetHeat, rgba, timelinePoints } from '../../src/renderer/src/views/action/action';

describe('action view helpers', () => {
  it('timelines follow the true class in each stream, nothing without scores', () => {
    const clip = { label: 1, scores: { rgb: [[0.1, 0.9], [0.6, 0.4]], flow: [[0.5, 0.5], [0.2, 0.8]], fused: [0.3, 0.7], predicted: 1 } } as unknown as ActionClipView;
    expect(timelinePoints(clip)).toEqual([
      { t: 0, rgb: 0.9, flow: 0.5 },
      { t: 1, rgb: 0.4, flow: 0.8 },
    ]);
    expect(timelinePoints({ ...clip, scores: null })).toEqual([]);
  });

  it('names offsets with their sign and normalises confusion rows (empty rows stay empty)', () => {
    const run = { offsets: [-1, 0, 2], classNames: ['a', 'b'], offsetWeightsByClass: [[0.2, 0.1], [0.3, 0.1], [0.5, 0.8]] } as unknown as ActionRunView;
    expect(offsetHeat(run).rows).toEqual(['-1', '0', '+2']);
    expect(normalised([[3, 1], [0, 0]])).toEqual([[0.75, 0.25], [null, null]]);
  });

  it('spreads gray to RGB and keeps RGB, opaque', () => {
    expect(Array.from(rgba([7, 9], 2, 1, 1))).toEqual([7, 7, 7, 255, 9, 9, 9, 255]);
    expect(Array.from(rgba([1, 2, 3], 1, 1, 3))).toEqual([1, 2, 3, 255]);
  });
});
