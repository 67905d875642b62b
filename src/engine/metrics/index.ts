/** The metric registry: one file per metric, one line here each; every metric says which task it serves. */
import { UserError } from '../core/errors';
import { getTask, type TaskName } from '../tasks';
import { clipTop1 } from './clip-top1';
import { confusion } from './confusion';
import { corloc } from './corloc';
import { mAP50 } from './map50';
import { perClass } from './per-class';
import { top1 } from './top1';
import { top5 } from './top5';
import type { Metric, OutputsOf } from './types';

export type { Detection, DetectionOutputs, Metric, OutputsOf } from './types';

const metrics: Record<string, Metric> = Object.fromEntries(
  ([top1, top5, perClass, confusion, mAP50, corloc, clipTop1] as Metric[]).map((m) => [m.name, m]),
);

export function listMetrics(): Metric[] {
  return Object.values(metrics);
}

/** A metric by name, checked against the task it is asked for (one-line error naming both). */
export function getMetric(name: string, task?: TaskName): Metric {
  const m = Object.prototype.hasOwnProperty.call(metrics, name) ? metrics[name] : undefined;
  if (!m) throw new UserError(`unknown metric "${name.slice(0, 80)}" (have: ${Object.keys(metrics).join(', ')})`);
  if (task && m.task !== task) {
    const fits = listMetrics().filter((x) => x.task === task).map((x) => x.name);
    throw new UserError(`metric ${name} is for ${m.task}, not ${task} (${task} metrics: ${fits.join(', ')})`);
  }
  return m;
}

/** The metric a search or sweep selects on: the one asked for (if scalar and of the task), else the task's. */
export function selectionMetric(task: TaskName, name?: string): Metric {
  const m = getMetric(name ?? getTask(task).selectionMetric, task);
  if (!m.scalar) throw new UserError(`metric ${m.name} is not one number; searches select on one of: ${listMetrics().filter((x) => x.task === task && x.scalar).map((x) => x.name).join(', ')}`);
  return m;
}

/** Computes the named metrics (default: the task's) on one task's outputs. */
export function computeMetrics<T extends TaskName>(
  task: T,
  outputs: OutputsOf[T],
  names: readonly string[] = getTask(task).defaultMetrics,
): { metrics: Record<string, unknown>; details: Record<string, unknown> } {
  const out: Record<string, unknown> = {};
  const details: Record<string, unknown> = {};
  for (const name of names) {
    const r = (getMetric(name, task) as Metric<T>).compute(outputs);
    out[name] = r.value;
    if (r.details !== undefined) details[name] = r.details;
  }
  return { metrics: out, details };
}

/** One scalar metric on one task's outputs. */
export function scalarMetric<T extends TaskName>(task: T, outputs: OutputsOf[T], name?: string): number {
  return (selectionMetric(task, name) as Metric<T, number>).compute(outputs).value;
}
