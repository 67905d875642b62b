/** The presentation of SLQ against INQ (issue 15); every number comes from the records. */
import { type TableSpec, quantColumns, quantCharts } from './common';

export const slq: TableSpec = {
  title: 'SLQ against INQ at 4 and 3 bits',
  description:
    'SLQ: k-means codebook, low-loss clusters first. INQ: powers-of-two codebook, largest magnitudes first. Same partition steps and retraining budget; reported on test.',
  columns: quantColumns,
  charts: quantCharts,
  claims: [4, 3].map((b) => ({ text: `SLQ beats INQ at ${b} bits`, key: 'test.top1', a: `SLQ ${b}-bit (k-means, cluster-loss order)`, b: `INQ ${b}-bit (powers of two, magnitude order)` })),
};
