/** Number formatting for dense engineering tables: 3 significant digits, SI suffixes for counts. */
export function formatNumber(v: number | null | undefined): string {
  if (v == null || Number.isNaN(v)) return '–';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(2).replace('e+', 'e');
  return Number(v.toPrecision(3)).toString();
}

export function formatCount(v: number): string {
  const a = Math.abs(v);
  if (a < 1e3) return String(v);
  const [d, s] = a >= 1e9 ? [1e9, 'G'] : a >= 1e6 ? [1e6, 'M'] : [1e3, 'k'];
  return `${Number((v / d).toPrecision(3))} ${s}`;
}

export function formatShape(shape: readonly (number | null)[]): string {
  return shape.length ? `${shape.map((d) => (d == null ? '?' : d)).join('×')}` : '–';
}

export function formatPercent(v: number, digits = 1): string {
  return `${(v * 100).toFixed(digits)} %`;
}

export function formatTime(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The first line of a thrown error: what a store shows the user (hosts already send one line; this guards the rest). */
export const firstLine = (e: unknown): string => (e as Error).message.split('\n')[0];

/** A fixed-digit formatter for heatmap cells: narrow cells cannot hold 3 significant digits or exponents. */
export const fixedDigits =
  (digits: number) =>
  (v: number): string =>
    v.toFixed(digits);
