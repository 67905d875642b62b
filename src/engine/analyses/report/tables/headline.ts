/** The presentation of the earlier single-seed headline runs (results/headline/); every number comes from the records. */
import { type TableSpec, quantColumns, quantCharts, lowrankColumns, lowrankCharts } from './common';

export const headlineQuant: TableSpec = {
  title: 'Headline quantization runs (LeNet-5 / MNIST, one seed each)',
  description: 'The earlier single-seed runs kept in results/headline/ (read through the headline adapter); the docs\' NOTES.md table shows the same records.',
  columns: quantColumns,
  charts: quantCharts,
  claims: [
    { text: 'MLQ layer compensation beats all at once (single seed)', key: 'test.top1', a: 'MLQ ternary, one layer per group', b: 'MLQ ternary, all layers at once' },
    { text: 'SLQ cluster-loss order beats WLQ code order (single seed)', key: 'test.top1', a: 'SLQ 4-bit, cluster-loss order', b: 'SLQ 4-bit, WLQ code order' },
  ],
};

export const headlineTrp: TableSpec = {
  title: 'Headline TRP runs (kept in results/headline/)',
  description: 'The earlier TRP runs with their λ, read through the headline adapter; docs/lowrank-experiments.md shows the same records.',
  columns: lowrankColumns,
  charts: lowrankCharts,
  claims: [],
};
