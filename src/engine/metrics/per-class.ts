import { confusionMatrix } from './confusion';
import type { Metric } from './types';

/** Accuracy within each true class (null for a class with no example); `details.mean` is their mean. */
export const perClass: Metric<'classification', (number | null)[], { mean: number; support: number[] }> = {
  name: 'perClass',
  task: 'classification',
  description: 'accuracy within each true class (recall per class)',
  scalar: false,
  compute(o) {
    const m = confusionMatrix(o);
    const support = m.map((row) => row.reduce((a, b) => a + b, 0));
    const value = m.map((row, c) => (support[c] ? row[c] / support[c] : null));
    const present = value.filter((v): v is number => v !== null);
    return { value, details: { mean: present.length ? present.reduce((a, b) => a + b, 0) / present.length : 0, support } };
  },
};
