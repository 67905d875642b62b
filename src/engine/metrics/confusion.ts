import { argmaxRow } from './common';
import type { ClassificationOutputs, Metric } from './types';

/** counts[true][predicted] */
export function confusionMatrix({ n, classes, scores, labels }: ClassificationOutputs): number[][] {
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < n; i++) m[labels[i]][argmaxRow(scores, i, classes)]++;
  return m;
}

export const confusion: Metric<'classification', number[][]> = {
  name: 'confusion',
  task: 'classification',
  description: 'confusion matrix: rows are true classes, columns predicted classes (counts)',
  scalar: false,
  compute: (o) => ({ value: confusionMatrix(o) }),
};
