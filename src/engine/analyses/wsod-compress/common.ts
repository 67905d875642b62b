/** What both wsod compression jobs start from: the run folder's detector and the dataset it was trained on. */
import type { DetectionDataset } from '../../data';
import { UserError } from '../../core/errors';
import { loadDetector, type Detector } from '../../wsod/detector';
import { openDetectionData, runDirOf } from '../wsod/eval';

export interface OpenedRun {
  dir: string;
  det: Detector;
  data: string;
  ds: DetectionDataset;
}

/** The run's detector and its data: the given ref, else the run's own (with its val carve unless told otherwise). */
export async function openRun(cfg: { model: string; data?: string; valFraction?: number; valSeed?: number }): Promise<OpenedRun> {
  const dir = runDirOf(cfg.model);
  const det = await loadDetector(dir);
  const trained = (det.meta.config ?? {}) as { data?: unknown; valFraction?: unknown; valSeed?: unknown };
  const data = cfg.data ?? (typeof trained.data === 'string' ? trained.data : undefined);
  if (!data) throw new UserError('records no dataset (wsod.json config.data): give --data', dir);
  const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
  const ds = await openDetectionData(data, { valFraction: cfg.valFraction ?? num(trained.valFraction), valSeed: cfg.valSeed ?? num(trained.valSeed) });
  if (ds.classNames.length !== det.meta.classNames.length) throw new UserError(`the run detects ${det.meta.classNames.length} classes but ${data} has ${ds.classNames.length}`, dir);
  return { dir, det, data, ds };
}

export function disposeDetector(det: Detector): void {
  det.backbone.dispose();
  det.head.dispose();
}
