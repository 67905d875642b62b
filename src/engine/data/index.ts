/**
 * Datasets for the engine: built-ins (`mnist`, `fashion-mnist`) and image folders, as plain typed arrays.
 * No tf here; training code turns splits into tensors.
 */
import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { UserError } from '../core/errors';
import { defaultCacheDir } from './cache';
import { FASHION_MNIST, loadFashionMnist } from './fashion-mnist';
import { loadImageFolder } from './image-folder';
import { MNIST, loadMnist } from './mnist';
import type { BuiltinInfo, Dataset, LoadOptions } from './types';
import type { SplitsInfo } from '../../shared/api-eval';

export type { BuiltinInfo, Dataset, LoadOptions, Split } from './types';
export { batch, subset, DEFAULT_VAL_FRACTION, DEFAULT_VAL_SEED } from './split';
import { checkValFraction, DEFAULT_VAL_FRACTION, DEFAULT_VAL_SEED, valCount } from './split';

const memo = new Map<string, Promise<Dataset>>();

function looksLikePath(ref: string): boolean {
  return isAbsolute(ref) || /[\\/]/.test(ref) || ref.startsWith('.') || ref.startsWith('~');
}

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') || p.startsWith('~\\') ? join(homedir(), p.slice(1)) : p;
}

function isExistingDir(p: string): boolean {
  try {
    return existsSync(p) && statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Loads `mnist`, `fashion-mnist` or an image folder path. Results are memoised per process (per ref, cache
 * folder and size), so callers may load freely; treat the returned arrays as read-only.
 */
export function loadDataset(ref: string, opts: LoadOptions = {}): Promise<Dataset> {
  let key: string;
  let load: () => Promise<Dataset>;
  try {
    checkValFraction(opts.valFraction ?? DEFAULT_VAL_FRACTION);
  } catch (e) {
    return Promise.reject(e);
  }
  const val = `${opts.valFraction ?? DEFAULT_VAL_FRACTION}\0${opts.valSeed ?? DEFAULT_VAL_SEED}`;
  if (ref === MNIST.ref || ref === FASHION_MNIST.ref) {
    const cacheDir = resolve(opts.cacheDir ?? defaultCacheDir());
    key = `${ref}\0${cacheDir}\0${val}`;
    load = () => (ref === MNIST.ref ? loadMnist({ ...opts, cacheDir }) : loadFashionMnist({ ...opts, cacheDir }));
  } else {
    const path = expandHome(ref);
    if (!looksLikePath(ref) && !isExistingDir(path)) {
      return Promise.reject(
        new UserError(`unknown dataset "${ref}": expected mnist, fashion-mnist or an image folder path`),
      );
    }
    key = `folder\0${resolve(path)}\0${opts.size ? opts.size.join('x') : ''}\0${val}`;
    load = () => loadImageFolder(ref, path, opts);
  }
  let p = memo.get(key);
  if (!p) {
    p = load();
    memo.set(key, p);
    // a failure is not remembered: the user may fix the folder and retry
    const mine = p;
    mine.catch(() => {
      if (memo.get(key) === mine) memo.delete(key);
    });
  }
  return p;
}

/** Drops memoised datasets (tests; or to free memory). */
export function forgetLoadedDatasets(): void {
  memo.clear();
}

export function listBuiltinDatasets(): BuiltinInfo[] {
  return [MNIST, FASHION_MNIST].map(({ ref, name, classes, train, test }) => {
    const val = valCount(train, DEFAULT_VAL_FRACTION);
    return { ref, name, classes, train: train - val, val, test };
  });
}

/** The split sizes and seeds a result records. */
export function splitsOf(ds: Dataset): SplitsInfo {
  return { valFraction: ds.valFraction, valSeed: ds.valSeed, splitSeed: ds.splitSeed, nTrain: ds.train.n, nVal: ds.val.n, nTest: ds.test.n };
}
