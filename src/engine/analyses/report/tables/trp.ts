/** The presentation of TRP (issue 15); every number comes from the records. */
import { type RowStats, type TableSpec, lowrankColumns, lowrankCharts } from './common';

const budgetRow = (rows: RowStats[]) => rows.find((r) => r.row.startsWith('TRP+Nu,'))?.row;

/** the energy-rule row (either scheme, any e) whose mean speed-up is nearest the FLOPs-budget row's: "at equal FLOPs" */
const nearestEnergy = (rows: RowStats[]): string | undefined => {
  const target = rows.find((r) => r.row === budgetRow(rows))?.mean('model.speedup');
  if (target === undefined) return undefined;
  return rows
    .filter((r) => /energy e /.test(r.row) && r.mean('model.speedup') !== undefined)
    .sort((p, q) => Math.abs(p.mean('model.speedup')! - target) - Math.abs(q.mean('model.speedup')! - target))[0]?.row;
};

export const trp: TableSpec = {
  title: 'TRP: with and without the nuclear norm, energy rule against the FLOPs-budget rule, against post-hoc SVD',
  description:
    'Baseline and TRP net are fine-tuned from the same start with the same seed and schedule; the TRP net is cut with no fine-tuning, the baseline is cut at the same ranks (same FLOPs) as the post-hoc comparison without fine-tuning. ' +
    'The post-hoc row with fine-tuning trains the start for 70 % of the epochs, cuts it at the ranks TRP+Nu reached for the same seed, and fine-tunes the factorised net for the remaining 30 % (same total epochs, same FLOPs).',
  columns: lowrankColumns,
  charts: lowrankCharts,
  claims: [
    { text: 'TRP+Nu beats TRP without the nuclear norm (2× budget)', key: 'test.top1', a: budgetRow, b: (rows) => rows.find((r) => r.row.startsWith('TRP without Nu'))?.row },
    { text: 'TRP+Nu (no fine-tune after the cut) beats post-hoc SVD with fine-tuning for the same total epochs', key: 'test.top1', a: budgetRow, b: (rows) => rows.find((r) => r.row.startsWith('post-hoc SVD'))?.row },
    { text: "the project's FLOPs-budget rule beats the paper's energy rule at the nearest speed-up (the energy row whose mean speed-up is nearest)", key: 'test.top1', a: budgetRow, b: nearestEnergy },
    { text: 'TRP+Nu beats post-hoc SVD at the same FLOPs (no fine-tune on either)', key: 'test.top1', keyB: 'test.posthocTop1', a: budgetRow, b: budgetRow },
  ],
};
