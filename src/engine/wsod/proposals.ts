/**
 * Object proposals without learning: multi-scale sliding windows ranked by an EdgeBoxes-like objectness (ink
 * density inside the window minus the density on a ring just outside it, times √area so that whole objects beat
 * their parts), a greedy NMS at `nmsIoU` to spread them, then the top `count`. Deterministic for given pixels.
 */
import type { PixelBox } from './meas';

export interface ProposalSettings {
  count: number;
  /** window sides in pixels (each also at the aspect ratios) */
  sizes: number[];
  /** width/height ratios */
  aspects: number[];
  /** slide step as a share of the window side */
  step: number;
  /** ring width as a share of the window side */
  ring: number;
  nmsIoU: number;
}

export const DEFAULT_PROPOSALS: Omit<ProposalSettings, 'count'> = {
  sizes: [12, 16, 20, 24, 28, 32, 40, 48],
  aspects: [0.5, 0.75, 1, 1.33],
  step: 0.25,
  ring: 0.2,
  nmsIoU: 0.7,
};

export function boxIoU(a: PixelBox, b: PixelBox): number {
  const iw = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
  const ih = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  return inter / ((a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter);
}

/** Greedy NMS: indices of the kept boxes, highest score first; at most `max`. */
export function nms(boxes: readonly PixelBox[], scores: ArrayLike<number>, iouThreshold: number, max = Infinity): number[] {
  const order = Array.from(boxes.keys()).sort((a, b) => scores[b] - scores[a] || a - b);
  const kept: number[] = [];
  for (const i of order) {
    if (kept.length >= max) break;
    if (kept.every((k) => boxIoU(boxes[k], boxes[i]) <= iouThreshold)) kept.push(i);
  }
  return kept;
}

/** Summed-area table of the first channel, scaled to [0, 1] ink (bright pixels are ink). */
function integral(pixels: ArrayLike<number>, width: number, height: number, channels: number): Float64Array {
  const w = width + 1;
  const s = new Float64Array(w * (height + 1));
  for (let y = 0; y < height; y++) {
    let row = 0;
    for (let x = 0; x < width; x++) {
      row += pixels[(y * width + x) * channels] / 255;
      s[(y + 1) * w + x + 1] = s[y * w + x + 1] + row;
    }
  }
  return s;
}

function sumIn(s: Float64Array, width: number, height: number, x1: number, y1: number, x2: number, y2: number): number {
  const w = width + 1;
  x1 = Math.max(0, Math.min(width, x1));
  x2 = Math.max(0, Math.min(width, x2));
  y1 = Math.max(0, Math.min(height, y1));
  y2 = Math.max(0, Math.min(height, y2));
  return s[y2 * w + x2] - s[y1 * w + x2] - s[y2 * w + x1] + s[y1 * w + x1];
}

/** The top `count` proposals of one image, best first, with their objectness. */
export function proposeBoxes(pixels: ArrayLike<number>, width: number, height: number, channels: number, settings: ProposalSettings): { boxes: PixelBox[]; objectness: number[] } {
  const s = integral(pixels, width, height, channels);
  const cand: PixelBox[] = [];
  const score: number[] = [];
  for (const side of settings.sizes) {
    for (const aspect of settings.aspects) {
      const bw = Math.min(width, Math.round(side * Math.sqrt(aspect)));
      const bh = Math.min(height, Math.round(side / Math.sqrt(aspect)));
      const step = Math.max(1, Math.round(side * settings.step));
      const ring = Math.max(1, Math.round(side * settings.ring));
      for (let y = 0; y + bh <= height; y += step) {
        for (let x = 0; x + bw <= width; x += step) {
          const area = bw * bh;
          const inside = sumIn(s, width, height, x, y, x + bw, y + bh);
          if (inside <= 0) continue;
          const outer = sumIn(s, width, height, x - ring, y - ring, x + bw + ring, y + bh + ring) - inside;
          const ox1 = Math.max(0, x - ring);
          const oy1 = Math.max(0, y - ring);
          const ringArea = (Math.min(width, x + bw + ring) - ox1) * (Math.min(height, y + bh + ring) - oy1) - area;
          const ringDensity = ringArea > 0 ? outer / ringArea : 0;
          cand.push({ x1: x, y1: y, x2: x + bw, y2: y + bh });
          score.push((inside / area - ringDensity) * Math.sqrt(area));
        }
      }
    }
  }
  // the whole image always competes, so an image without ink still gets a proposal
  cand.push({ x1: 0, y1: 0, x2: width, y2: height });
  score.push(cand.length > 1 ? Math.min(...score) - 1 : 0);
  // NMS only among the best 10 × count: the rest would not make the cut anyway and NMS is quadratic
  const best = Array.from(cand.keys()).sort((a, b) => score[b] - score[a] || a - b).slice(0, 10 * settings.count);
  const kept = nms(best.map((i) => cand[i]), best.map((i) => score[i]), settings.nmsIoU, settings.count);
  const keep = kept.map((k) => best[k]);
  return { boxes: keep.map((i) => cand[i]), objectness: keep.map((i) => score[i]) };
}
