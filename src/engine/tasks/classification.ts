import type { Task } from './types';

export const classification: Task = {
  name: 'classification',
  label: 'one class id per image',
  defaultMetrics: ['top1', 'top5', 'perClass', 'confusion'],
  selectionMetric: 'top1',
};
