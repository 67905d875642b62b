/** The task registry: one file per task, one line here each. */
import { UserError } from '../core/errors';
import { classification } from './classification';
import { detection } from './detection';
import type { Task, TaskName } from './types';
import { video } from './video';

export type { Task, TaskName } from './types';
export { TaskNames } from './types';

const tasks: Record<TaskName, Task> = { classification, detection, video };

export function getTask(name: TaskName): Task {
  const t = (tasks as Record<string, Task | undefined>)[name];
  if (!t) throw new UserError(`unknown task "${String(name).slice(0, 80)}" (have: ${Object.keys(tasks).join(', ')})`);
  return t;
}

export function listTasks(): Task[] {
  return Object.values(tasks);
}
