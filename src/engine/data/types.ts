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
  /** what is left of the source's train part once val is carved out: what models train on */
  train: Split;
  /** carved from the source's train part (seeded): what every selection reads */
  val: Split;
  /** touched only for the figures a result reports */
  test: Split;
  /** Seed of the train/test split, so a run can be reproduced. */
  splitSeed: number;
  /** share of the source's train part that became val, and the seed that chose it */
  valFraction: number;
  valSeed: number;
}

export interface LoadOptions {
  /** Where built-in datasets keep their binary cache; default $LAYERLENS_CACHE or ~/.cache/layerlens. */
  cacheDir?: string;
  /** Image folders only: resize every image to [height, width] instead of the first image's size. */
  size?: [number, number];
  /** share of the train part carved out as val (default 0.1) and its seed (default 4321) */
  valFraction?: number;
  valSeed?: number;
}

export interface BuiltinInfo {
  ref: string;
  name: string;
  classes: number;
  /** sizes after val is carved out at the default fraction */
  train: number;
  val: number;
  test: number;
}

/** Compact form the built-ins are built into and cached as: uint8 pixels, values 0..255. */
export interface RawSplit {
  x: Uint8Array;
  y: Uint8Array;
  n: number;
}
