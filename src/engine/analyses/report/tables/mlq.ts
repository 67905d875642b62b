/** The presentation of MLQ (issue 15); every number comes from the records. */
import { type TableSpec, quantColumns, quantCharts } from './common';

export const mlq: TableSpec = {
  title: 'MLQ: ternary with incremental layer compensation against all layers at once',
  description: 'Both rows ternarize every layer (3 k-means centroids, zero fixed) in the same two partition steps with the same retraining per step; reported on test.',
  columns: quantColumns,
  charts: quantCharts,
  claims: [{ text: 'incremental layer compensation beats ternarizing all layers at once', key: 'test.top1', a: 'MLQ ternary, incremental layer compensation', b: 'MLQ ternary, all layers at once' }],
};
