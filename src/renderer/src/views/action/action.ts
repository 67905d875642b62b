import type { MetricPoint } from '@shared/api';
import type { ActionClipView, ActionRunView } from '@shared/api-action';

/** HWC bytes (1 or 3 channels) → RGBA for an ImageData. */
export function rgba(px: ArrayLike<number>, w: number, h: number, channels: number): Uint8ClampedArray<ArrayBuffer> {
  const out = new Uint8ClampedArray(w * h * 4);
  for (let i = 0; i < w * h; i++) {
    for (let c = 0; c < 3; c++) out[i * 4 + c] = px[i * channels + (channels === 1 ? 0 : c)];
    out[i * 4 + 3] = 255;
  }
  return out;
}

/** Per-frame probability of the clip's true class in each stream (the timelines), t = frame. */
export function timelinePoints(clip: ActionClipView): MetricPoint[] {
  if (!clip.scores) return [];
  return clip.scores.rgb.map((p, t) => ({ t, rgb: p[clip.label], flow: clip.scores!.flow[t][clip.label] }));
}

/** Offset × class heatmap rows (offsets, as "+d") and values. */
export function offsetHeat(run: ActionRunView): { rows: string[]; cols: string[]; values: number[][] } {
  return { rows: run.offsets.map((d) => (d > 0 ? `+${d}` : String(d))), cols: run.classNames, values: run.offsetWeightsByClass };
}

/** Confusion matrix as row-normalised shares (rows = true class). */
export function normalised(m: number[][]): (number | null)[][] {
  return m.map((row) => {
    const s = row.reduce((a, b) => a + b, 0);
    return row.map((v) => (s ? v / s : null));
  });
}
