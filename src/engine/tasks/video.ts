import type { Task } from './types';

/** Action recognition: a clip of frames, one (fine) label per clip, optionally a coarse→fine label hierarchy. */
export const video: Task = {
  name: 'video',
  label: 'one class id per clip of frames (optionally a coarse class above it)',
  defaultMetrics: ['clipTop1'],
  selectionMetric: 'clipTop1',
};
