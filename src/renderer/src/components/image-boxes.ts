/** Geometry for ImageBoxes (pure, so the drag/resize rules are unit-tested): image-pixel rects, x2/y2 exclusive. */
import type { Rect } from '@shared/api-wsod';

export type Handle = 'nw' | 'ne' | 'sw' | 'se';

export interface OverlayBox {
  id: string;
  rect: Rect;
  color: string;
  /** ground truth the detector missed, drawn dashed */
  dashed?: boolean;
  /** faded (e.g. rejected) */
  dim?: boolean;
  label?: string;
}

/** An energy map on a grid over the image, values in [0, 1], row-major. */
export interface HeatGrid {
  gridW: number;
  gridH: number;
  values: number[];
}

const MIN_SIDE = 1;

export function clampRect(r: Rect, width: number, height: number): Rect {
  const w = Math.min(r.x2 - r.x1, width);
  const h = Math.min(r.y2 - r.y1, height);
  const x1 = Math.min(Math.max(0, r.x1), width - w);
  const y1 = Math.min(Math.max(0, r.y1), height - h);
  return { x1, y1, x2: x1 + w, y2: y1 + h };
}

/** Shift a box, keeping its size and keeping it inside the image. */
export function moveRect(r: Rect, dx: number, dy: number, width: number, height: number): Rect {
  return clampRect({ x1: r.x1 + dx, y1: r.y1 + dy, x2: r.x2 + dx, y2: r.y2 + dy }, width, height);
}

/** Drag one corner; the opposite corner stays; never smaller than 1 px or outside the image. */
export function resizeRect(r: Rect, handle: Handle, dx: number, dy: number, width: number, height: number): Rect {
  let { x1, y1, x2, y2 } = r;
  if (handle === 'nw' || handle === 'sw') x1 = Math.min(Math.max(0, x1 + dx), x2 - MIN_SIDE);
  else x2 = Math.max(Math.min(width, x2 + dx), x1 + MIN_SIDE);
  if (handle === 'nw' || handle === 'ne') y1 = Math.min(Math.max(0, y1 + dy), y2 - MIN_SIDE);
  else y2 = Math.max(Math.min(height, y2 + dy), y1 + MIN_SIDE);
  return { x1, y1, x2, y2 };
}

/** The box spanned by a drag from a to b, clipped to the image; null when too small to be meant. */
export function rectFromDrag(a: { x: number; y: number }, b: { x: number; y: number }, width: number, height: number, minSide = 2): Rect | null {
  const x1 = Math.max(0, Math.min(a.x, b.x));
  const y1 = Math.max(0, Math.min(a.y, b.y));
  const x2 = Math.min(width, Math.max(a.x, b.x));
  const y2 = Math.min(height, Math.max(a.y, b.y));
  return x2 - x1 >= minSide && y2 - y1 >= minSide ? { x1: Math.round(x1), y1: Math.round(y1), x2: Math.round(x2), y2: Math.round(y2) } : null;
}

export function handlePoints(r: Rect): { handle: Handle; x: number; y: number }[] {
  return [
    { handle: 'nw', x: r.x1, y: r.y1 },
    { handle: 'ne', x: r.x2, y: r.y1 },
    { handle: 'sw', x: r.x1, y: r.y2 },
    { handle: 'se', x: r.x2, y: r.y2 },
  ];
}

/** A colour for an energy value: blue → yellow → red (the overlay's alpha and opacity are applied on top). */
export function heatRgb(v: number): [number, number, number] {
  const t = Math.min(1, Math.max(0, v));
  const r = Math.round(255 * Math.min(1, t * 2));
  const g = Math.round(255 * (t < 0.5 ? t * 2 * 0.85 : 0.85 - (t - 0.5) * 2 * 0.85));
  const b = Math.round(255 * Math.max(0, 1 - t * 3));
  return [r, g, b];
}
