import type { Metric } from './types';

/** Share of examples whose class is among the 5 highest scores (all of them when there are ≤ 5 classes). */
export const top5: Metric<'classification', number> = {
  name: 'top5',
  task: 'classification',
  description: 'share of examples whose class is among the five highest scores',
  scalar: true,
  compute({ n, classes, scores, labels }) {
    let hits = 0;
    for (let i = 0; i < n; i++) {
      const own = scores[i * classes + labels[i]];
      // rank = classes scoring strictly higher, plus ties that come first (argMax's order)
      let above = 0;
      for (let c = 0; c < classes; c++) {
        const v = scores[i * classes + c];
        if (v > own || (v === own && c < labels[i])) above++;
      }
      if (above < 5) hits++;
    }
    return { value: n ? hits / n : 0 };
  },
};
