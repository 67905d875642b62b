/**
 * Datasets for the engine, as plain typed arrays (no tf here; training code turns splits into tensors).
 * Where a dataset comes from is a registry of kinds (./kinds): built-ins, image folders, and later VOC/COCO and
 * frame folders. What it is for is its `task`; code that needs one task asks for it (`loadDataset`).
 */
import { UserError } from '../core/errors';
import { datasetKinds, findDatasetKind } from './kinds';
import { checkValFraction, DEFAULT_VAL_FRACTION, DEFAULT_VAL_SEED } from './split';
import type { BuiltinInfo, ClassificationDataset, Dataset, LoadOptions } from './types';
import type { SplitsInfo } from '../../shared/api-eval';

export type { BuiltinInfo, ClassificationDataset, Dataset, LoadOptions, Split } from './types';
/** @public the other members of the Dataset union, for the detection and video loaders to come */
export type { DetectionDataset, VideoDataset } from './types';
export { batch, subset } from './split';
export { registerDatasetKind } from './kinds';
export { detectionDataset, videoDataset } from './memory';

const memo = new Map<string, Promise<Dataset>>();

/**
 * Loads any dataset through the first kind that matches the ref. Results are memoised per process (per kind's
 * key and val options), so callers may load freely; treat the returned arrays as read-only.
 */
export function openDataset(ref: string, opts: LoadOptions = {}): Promise<Dataset> {
  const kind = findDatasetKind(ref);
  if (!kind) {
    const ways = datasetKinds().map((k) => k.expects);
    const list = ways.length > 1 ? `${ways.slice(0, -1).join(', ')} or ${ways[ways.length - 1]}` : ways[0];
    return Promise.reject(new UserError(`unknown dataset "${ref.slice(0, 200)}": expected ${list}`));
  }
  try {
    checkValFraction(opts.valFraction ?? DEFAULT_VAL_FRACTION);
  } catch (e) {
    return Promise.reject(e);
  }
  const key = `${kind.name}\0${kind.key(ref, opts)}\0${opts.valFraction ?? DEFAULT_VAL_FRACTION}\0${opts.valSeed ?? DEFAULT_VAL_SEED}`;
  let p = memo.get(key);
  if (!p) {
    p = kind.load(ref, opts);
    memo.set(key, p);
    // a failure is not remembered: the user may fix the folder and retry
    const mine = p;
    mine.catch(() => {
      if (memo.get(key) === mine) memo.delete(key);
    });
  }
  return p;
}

/** The dataset as a classification dataset, or a one-line error naming its task and what needed it. */
function asClassification(ds: Dataset, what = 'this command'): ClassificationDataset {
  if (ds.task !== 'classification') throw new UserError(`${what} needs a classification dataset; ${ds.ref} is a ${ds.task} dataset`);
  return ds;
}

/** Loads a classification dataset (what training, quantization and low-rank need today). */
export async function loadDataset(ref: string, opts: LoadOptions = {}, what?: string): Promise<ClassificationDataset> {
  return asClassification(await openDataset(ref, opts), what);
}

/** Drops memoised datasets (tests; or to free memory). */
export function forgetLoadedDatasets(): void {
  memo.clear();
}

export function listBuiltinDatasets(): BuiltinInfo[] {
  return datasetKinds().flatMap((k) => k.list?.() ?? []);
}

/** The split sizes and seeds a result records. */
export function splitsOf(ds: Dataset): SplitsInfo {
  return { valFraction: ds.valFraction, valSeed: ds.valSeed, splitSeed: ds.splitSeed, nTrain: ds.train.n, nVal: ds.val.n, nTest: ds.test.n };
}
