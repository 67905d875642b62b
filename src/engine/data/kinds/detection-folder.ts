import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { annotationFiles, detectionFormatOf, readDetectionFolder } from '../detection/folder';
import { detectionDataset } from '../memory';
import type { DatasetKind } from './types';

const DETECTION_SPLIT_SEED = 0; // the split is the files' own (train/test parts); recorded as 0

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') || p.startsWith('~\\') ? join(homedir(), p.slice(1)) : p;
}

const mtime = (f: string): number => {
  try {
    return statSync(f).mtimeMs;
  } catch {
    return 0;
  }
};

/** A COCO (`annotations/instances_*.json`) or VOC (`Annotations/` + `JPEGImages/`) folder: a detection dataset. */
export const detectionFolderKind: DatasetKind = {
  name: 'detection-folder',
  task: 'detection',
  expects: 'a COCO or VOC detection folder',
  match: (ref) => detectionFormatOf(expandHome(ref)) !== null,
  // the folder and every annotation file's mtime: an edited annotation loads afresh, pixels are assumed stable
  key: (ref) => {
    const dir = resolve(expandHome(ref));
    return [dir, ...annotationFiles(dir).map((f) => `${f}@${mtime(f)}`)].join('\0');
  },
  load: async (ref, opts) => {
    const dir = resolve(expandHome(ref));
    const parts = await readDetectionFolder(dir);
    const ds = detectionDataset({
      ref,
      name: basename(dir),
      classNames: parts.classNames,
      train: parts.train,
      test: parts.test,
      splitSeed: DETECTION_SPLIT_SEED,
      valFraction: opts.valFraction,
      valSeed: opts.valSeed,
    });
    return parts.categoryIds ? { ...ds, categoryIds: parts.categoryIds } : ds;
  },
};
