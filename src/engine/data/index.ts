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

export type { BuiltinInfo, Dataset, LoadOptions, Split } from './types';
export { batch, subset } from './split';

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
  if (ref === MNIST.ref || ref === FASHION_MNIST.ref) {
    const cacheDir = resolve(opts.cacheDir ?? defaultCacheDir());
    key = `${ref}\0${cacheDir}`;
    load = () => (ref === MNIST.ref ? loadMnist({ cacheDir }) : loadFashionMnist({ cacheDir }));
  } else {
    const path = expandHome(ref);
    if (!looksLikePath(ref) && !isExistingDir(path)) {
      return Promise.reject(
        new UserError(`unknown dataset "${ref}": expected mnist, fashion-mnist or an image folder path`),
      );
    }
    key = `folder\0${resolve(path)}\0${opts.size ? opts.size.join('x') : ''}`;
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
  return [MNIST, FASHION_MNIST].map(({ ref, name, classes, train, test }) => ({ ref, name, classes, train, test }));
}
