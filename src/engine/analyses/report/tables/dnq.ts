/** The presentation of DNQ (issue 15); every number comes from the records. */
import { type TableSpec, quantColumns, quantCharts, type RowStats } from './common';

/** the uniform row whose mean compression is nearest the DNQ row's: "at equal compression" */
const nearestUniform = (rows: RowStats[]): string | undefined => {
  const dnq = rows.find((r) => r.row.startsWith('DNQ policy, distance'))?.mean('model.compressionRatio');
  if (dnq === undefined) return undefined;
  return rows
    .filter((r) => r.row.startsWith('uniform') && r.mean('model.compressionRatio') !== undefined)
    .sort((p, q) => Math.abs(p.mean('model.compressionRatio')! - dnq) - Math.abs(q.mean('model.compressionRatio')! - dnq))[0]?.row;
};

export const dnq: TableSpec = {
  title: 'DNQ: the RL mixed-precision policy against uniform bits, distance against magnitude order',
  description:
    'Every row uses the same quantizer family (k-means per tensor), the same partition steps (50/75/87.5/100 %) and the same retraining budget; ' +
    'the uniform rows and the magnitude-order row are fixed policies run through the same progressive quantizer. The DNQ policy is searched on val; figures are reported on test.',
  columns: quantColumns,
  charts: quantCharts,
  claims: [
    { text: 'DNQ policy more accurate than the uniform policy nearest its compression', key: 'test.top1', a: 'DNQ policy, distance order', b: nearestUniform },
    { text: 'distance order loses less right after each partition step than magnitude order', key: 'val.stepTop1BeforeRetrain', a: 'DNQ policy, distance order', b: 'DNQ policy, magnitude order' },
    { text: 'distance order ends more accurate than magnitude order', key: 'test.top1', a: 'DNQ policy, distance order', b: 'DNQ policy, magnitude order' },
  ],
};
