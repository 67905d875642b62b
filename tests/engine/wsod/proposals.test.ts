import { describe, expect, it } from 'vitest';
import { boxIoU, DEFAULT_PROPOSALS, nms, proposeBoxes } from '../../../src/engine/wsod/proposals';

describe('boxIoU and nms', () => {
  it('computes IoU with exclusive x2/y2', () => {
    expect(boxIoU({ x1: 0, y1: 0, x2: 2, y2: 2 }, { x1: 1, y1: 0, x2: 3, y2: 2 })).toBeCloseTo(2 / 6, 12);
    expect(boxIoU({ x1: 0, y1: 0, x2: 2, y2: 2 }, { x1: 2, y1: 0, x2: 4, y2: 2 })).toBe(0);
  });
  it('keeps the best box and drops the ones overlapping it beyond the threshold', () => {
    const boxes = [
      { x1: 0, y1: 0, x2: 10, y2: 10 },
      { x1: 1, y1: 0, x2: 11, y2: 10 },
      { x1: 20, y1: 20, x2: 30, y2: 30 },
    ];
    expect(nms(boxes, [0.5, 0.9, 0.4], 0.5)).toEqual([1, 2]);
    expect(nms(boxes, [0.5, 0.9, 0.4], 0.5, 1)).toEqual([1]);
  });
});

describe('proposeBoxes', () => {
  // a 48×48 dark image with one bright 16×16 square and a few stray pixels
  const w = 48;
  const px = new Uint8Array(w * w);
  for (let y = 20; y < 36; y++) for (let x = 8; x < 24; x++) px[y * w + x] = 255;
  px[5 * w + 40] = 200;
  const settings = { ...DEFAULT_PROPOSALS, count: 30 };

  it('ranks the window that frames the object first and is deterministic', () => {
    const a = proposeBoxes(px, w, w, 1, settings);
    expect(a.boxes.length).toBe(30);
    expect(boxIoU(a.boxes[0], { x1: 8, y1: 20, x2: 24, y2: 36 })).toBeGreaterThan(0.7);
    expect(proposeBoxes(px, w, w, 1, settings)).toEqual(a);
  });

  it('still proposes the whole image when there is no ink', () => {
    const empty = proposeBoxes(new Uint8Array(w * w), w, w, 1, settings);
    expect(empty.boxes).toEqual([{ x1: 0, y1: 0, x2: w, y2: w }]);
  });
});
