/** The dataset-kind registry: tried in order, the first kind whose `match` takes the ref loads it. */
import { builtinKind } from './builtin';
import { detectionFolderKind } from './detection-folder';
import { frameFolderKind } from './frame-folder';
import { imageFolderKind } from './image-folder';
import type { DatasetKind } from './types';

export type { DatasetKind } from './types';

// built-ins first: a folder that happens to be called "mnist" in the cwd does not shadow the built-in
const kinds: DatasetKind[] = [builtinKind, detectionFolderKind, frameFolderKind, imageFolderKind];

export function datasetKinds(): readonly DatasetKind[] {
  return kinds;
}

/** Adds a kind (before the catch-all image folders); returns a function that removes it again. */
export function registerDatasetKind(kind: DatasetKind): () => void {
  if (kinds.some((k) => k.name === kind.name)) throw new Error(`dataset kind "${kind.name}" is already registered`);
  kinds.splice(Math.max(0, kinds.indexOf(imageFolderKind)), 0, kind);
  return () => {
    const i = kinds.indexOf(kind);
    if (i >= 0) kinds.splice(i, 1);
  };
}

export function findDatasetKind(ref: string): DatasetKind | undefined {
  return kinds.find((k) => k.match(ref));
}
