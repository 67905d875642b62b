/** What a dataset (and a model trained on it) is for. Each task says its label type and its default metrics. */
export const TaskNames = ['classification', 'detection', 'video'] as const;
export type TaskName = (typeof TaskNames)[number];

export interface Task {
  name: TaskName;
  /** one line: what one example's label is */
  label: string;
  /** metric names (keys of the metric registry) an evaluation reports by default, headline first */
  defaultMetrics: readonly string[];
  /** the scalar metric searches, sensitivity and sweeps select on (on val) unless told otherwise */
  selectionMetric: string;
}
