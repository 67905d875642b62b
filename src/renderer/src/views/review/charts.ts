/** Chart inputs of the Review view, built from the contract's metrics (the shared ScatterChart / HeatmapChart draw them). */
import type { ReviewMetrics } from '@shared/api-review';
import type { ScatterSet } from '../../components/charts/options-extra';

/** Per-class precision over recall, one line per class (classes without ground truth have no curve). */
export function prSets(m: ReviewMetrics, classes: number[] = []): ScatterSet[] {
  return m.perClass.flatMap((c, k) =>
    (classes.length && !classes.includes(k)) || !c.recall.length
      ? []
      : [{ name: `${c.name} (AP ${c.ap === null ? '–' : c.ap.toFixed(3)})`, line: true, size: 3, points: c.recall.map((r, i) => ({ x: r, y: c.precision[i] ?? 0 })) }],
  );
}

/** The confusion matrix as heatmap rows; the diagonal blanked when hidden so the off-diagonal errors get the colour range. */
export function confusionCells(m: ReviewMetrics, classNames: string[], hideDiagonal: boolean): { rows: string[]; cols: string[]; values: (number | null)[][] } {
  const names = [...classNames, 'background'];
  return {
    rows: names.map((n) => `gt ${n}`),
    cols: names,
    values: m.confusion.map((row, i) => row.map((v, j) => (hideDiagonal && i === j ? null : v))),
  };
}
