import type { TaskName } from '../tasks';
import type { Box } from '../data/types';

/** A classifier's outputs on n examples: one row of `classes` scores each (logits or probabilities). */
export interface ClassificationOutputs {
  n: number;
  classes: number;
  scores: Float32Array;
  labels: ArrayLike<number>;
}

/** One scored box of one image (pixels of that image, x2/y2 exclusive). */
export interface Detection {
  image: number;
  label: number;
  score: number;
  box: [number, number, number, number];
}
/** A detector's outputs on a set of images, with their ground truth (boxes may be absent where unknown). */
export interface DetectionOutputs {
  classes: number;
  images: { labels: number[]; boxes?: Box[] }[];
  detections: Detection[];
}

/** @public Scores of frames (or segments) of clips: row i belongs to clip clipOf[i]; one label per clip. */
export interface VideoOutputs {
  classes: number;
  scores: Float32Array;
  clipOf: ArrayLike<number>;
  labels: ArrayLike<number>;
}

export interface OutputsOf {
  classification: ClassificationOutputs;
  detection: DetectionOutputs;
  video: VideoOutputs;
}

/** @public What a metric gives: its headline value (what `metrics.<name>` shows) and optional supporting tables. */
export interface MetricResult<V = unknown, D = unknown> {
  value: V;
  details?: D;
}

export interface Metric<T extends TaskName = TaskName, V = unknown, D = unknown> {
  name: string;
  task: T;
  description: string;
  /** true when `value` is one number a search or sweep may select on (higher is better) */
  scalar: boolean;
  compute(o: OutputsOf[T]): MetricResult<V, D>;
}
