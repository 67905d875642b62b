/**
 * CorLoc (correct localisation, Deselaers et al. 2012), as weakly supervised detection reports it: for each
 * class, over the images whose image-level labels include it and that have a box of it, the share where the
 * single highest-scoring detection of that class overlaps a box of that class with IoU ≥ 0.5 (difficult boxes
 * count: CorLoc asks whether the object was found). An image with no detection of the class is a miss. The
 * value is the mean over classes that have such images; equal top scores keep the first detection given.
 */
import { iou, IOU_THRESHOLD } from './common';
import type { Detection, Metric } from './types';

export const corloc: Metric<'detection', number, { perClass: (number | null)[]; images: number[] }> = {
  name: 'corloc',
  task: 'detection',
  description: 'share of positive images whose top-scoring box of the class hits an object of it (IoU ≥ 0.5), mean over classes',
  scalar: true,
  compute(o) {
    // best detection per (image, class)
    const top = new Map<string, Detection>();
    for (const d of o.detections) {
      const key = `${d.image}:${d.label}`;
      const cur = top.get(key);
      if (!cur || d.score > cur.score) top.set(key, d);
    }
    const hits = new Array<number>(o.classes).fill(0);
    const images = new Array<number>(o.classes).fill(0);
    o.images.forEach((im, i) => {
      for (const c of new Set(im.labels)) {
        const boxes = (im.boxes ?? []).filter((b) => b.label === c);
        if (boxes.length === 0) continue;
        images[c]++;
        const d = top.get(`${i}:${c}`);
        if (d && boxes.some((b) => iou(d.box, [b.x1, b.y1, b.x2, b.y2]) >= IOU_THRESHOLD)) hits[c]++;
      }
    });
    const perClass = images.map((n, c) => (n ? hits[c] / n : null));
    const present = perClass.filter((v): v is number => v !== null);
    return { value: present.length ? present.reduce((a, b) => a + b, 0) / present.length : 0, details: { perClass, images } };
  },
};
