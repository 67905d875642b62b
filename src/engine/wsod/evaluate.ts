/** Detections → the metric registry's mAP@0.5 and CorLoc (never re-implemented here), and contract shapes. */
import type { Detection, WsodScores } from '../../shared/api-wsod';
import type { DetectionImage } from '../data/types';
import { getMetric } from '../metrics';
import type { DetectionOutputs } from '../metrics/types';
import type { MapDetails } from '../metrics/map50';
import type { RawDetection } from './detector';

function detectionOutputs(images: readonly DetectionImage[], dets: readonly RawDetection[], classes: number): DetectionOutputs {
  return {
    classes,
    images: images.map((im) => ({ labels: im.labels, boxes: im.boxes })),
    detections: dets.map((d) => ({ image: d.image, label: d.label, score: d.score, box: [d.box.x1, d.box.y1, d.box.x2, d.box.y2] })),
  };
}

export function scoresOf(split: WsodScores['split'], images: readonly DetectionImage[], dets: readonly RawDetection[], classNames: readonly string[]): WsodScores {
  const o = detectionOutputs(images, dets, classNames.length);
  const map = getMetric('mAP50', 'detection').compute(o) as { value: number; details: MapDetails };
  const cl = getMetric('corloc', 'detection').compute(o) as { value: number; details: { perClass: (number | null)[] } };
  return {
    split,
    n: images.length,
    mAP50: map.value,
    corloc: cl.value,
    perClass: classNames.map((name, c) => ({ name, ap: map.details.ap[c] ?? 0, corloc: cl.details.perClass[c] })),
  };
}

/** Contract-shaped detections (image ids instead of indices). */
export function contractDetections(images: readonly DetectionImage[], dets: readonly RawDetection[]): Detection[] {
  return dets.map((d) => ({ imageId: images[d.image].id, label: d.label, score: d.score, box: { ...d.box } }));
}
