import { argmaxRow } from './common';
import type { Metric } from './types';

export const top1: Metric<'classification', number> = {
  name: 'top1',
  task: 'classification',
  description: 'share of examples whose highest score is their class',
  scalar: true,
  compute({ n, classes, scores, labels }) {
    let hits = 0;
    for (let i = 0; i < n; i++) if (argmaxRow(scores, i, classes) === labels[i]) hits++;
    return { value: n ? hits / n : 0 };
  },
};
