import { describe, expect, it } from 'vitest';
import { UserError } from '../../../src/engine/core/errors';
import { getTask, listTasks, TaskNames, type TaskName } from '../../../src/engine/tasks';

describe('task registry', () => {
  it('declares classification, detection and video, each with its label type and default metrics, selection first', () => {
    expect(listTasks().map((t) => t.name)).toEqual([...TaskNames]);
    for (const t of listTasks()) {
      expect(getTask(t.name)).toBe(t);
      expect(t.label.length).toBeGreaterThan(10);
      expect(t.defaultMetrics[0]).toBe(t.selectionMetric);
    }
    expect(getTask('detection').label).toMatch(/image-level.*boxes.*own size/);
    expect(getTask('video').label).toMatch(/clip/);
  });

  it('an unknown task is a one-line error listing the known ones', () => {
    expect(() => getTask('segmentation' as TaskName)).toThrow(UserError);
    expect(() => getTask('segmentation' as TaskName)).toThrow('unknown task "segmentation" (have: classification, detection, video)');
  });
});
