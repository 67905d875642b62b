/** Chart inputs of the Review view, built from the contract's metrics (the shared ScatterChart / HeatmapChart draw them). */
import type { ReviewMetrics } from '@shared/api-review';
import type { ScatterSet } from '../../components/charts/options-extra';

/** Per-class precision over recall, one line per class (classes without ground truth have no curve). */
export function prSets(m: ReviewMetrics, classes: number[] = []): ScatterSet[] {
  return m.perClass.flatMap((c, k) =>
    (classes.length && !classes.includes(k)) || !c.recall.length
      ? []
      : // the AP sits in the table beside the chart: short legend names keep the legend on one row
        [{ name: c.name, line: true, size: 3, points: c.recall.map((r, i) => ({ x: r, y: c.precision[i] ?? 0 })) }],
  );
}

/** The confusion matrix as heatmap rows; the diagonal blanked when hidden so the off-diagonal errors get the colour range. */
export function confusionCells(m: ReviewMetrics, classNames: string[], hideDiagonal: boolean): { rows: string[]; cols: string[]; values: (number | null)[][] } {
  return {
    rows: [...classNames, 'background'],
    // columns are narrow: "bg" (the title says what it stands for)
    cols: [...classNames, 'bg'],
    values: m.confusion.map((row, i) => row.map((v, j) => (hideDiagonal && i === j ? null : v))),
  };
}
