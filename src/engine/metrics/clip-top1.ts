import { argmaxRow } from './common';
import type { Metric } from './types';

/** Clip accuracy: the scores of a clip's frames (or segments) are averaged, then top-1 against the clip's label. */
export const clipTop1: Metric<'video', number> = {
  name: 'clipTop1',
  task: 'video',
  description: 'top-1 of each clip after averaging its frame/segment scores',
  scalar: true,
  compute({ classes, scores, clipOf, labels }) {
    const clips = labels.length;
    const sum = new Float32Array(clips * classes);
    const count = new Uint32Array(clips);
    const rows = scores.length / classes;
    for (let r = 0; r < rows; r++) {
      const c = clipOf[r];
      count[c]++;
      for (let k = 0; k < classes; k++) sum[c * classes + k] += scores[r * classes + k];
    }
    let hits = 0;
    // a clip without any scored frame counts as wrong, not as absent
    for (let c = 0; c < clips; c++) if (count[c] > 0 && argmaxRow(sum, c, classes) === labels[c]) hits++;
    return { value: clips ? hits / clips : 0 };
  },
};
