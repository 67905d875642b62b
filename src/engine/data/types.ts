/** One side of a dataset: `n` examples, pixels NHWC in [0,1], one class id per example. */
export interface Split {
  x: Float32Array;
  y: Uint8Array;
  n: number;
}

export interface Dataset {
  ref: string;
  name: string;
  /** [height, width, channels] of one example. */
  shape: [number, number, number];
  classes: number;
  classNames: string[];
  train: Split;
  test: Split;
  /** Seed of the train/test split, so a run can be reproduced. */
  splitSeed: number;
}

export interface LoadOptions {
  /** Where built-in datasets keep their binary cache; default $LAYERLENS_CACHE or ~/.cache/layerlens. */
  cacheDir?: string;
  /** Image folders only: resize every image to [height, width] instead of the first image's size. */
  size?: [number, number];
}

export interface BuiltinInfo {
  ref: string;
  name: string;
  classes: number;
  train: number;
  test: number;
}

/** Compact form the built-ins are built into and cached as: uint8 pixels, values 0..255. */
export interface RawSplit {
  x: Uint8Array;
  y: Uint8Array;
  n: number;
}
