import type { Task } from './types';

/** Weakly supervised detection: every image has image-level labels; boxes (for scoring) are optional. */
export const detection: Task = {
  name: 'detection',
  label: 'image-level class ids, optional boxes (x1, y1, x2, y2, class, difficult) in pixels; each image its own size',
  defaultMetrics: ['mAP50', 'corloc'],
  selectionMetric: 'mAP50',
};
