import * as tf from '../backend/tf';
import { UserError } from '../core/errors';
import { makeRng } from '../core/random';
import type { Arch } from '../../shared/api';

export interface BuildOptions {
  inputShape: [number, number, number];
  classes: number;
  seed: number;
}

/** A per-layer seed from (model seed, layer name): adding a layer never reseeds the others. */
export function layerSeed(seed: number, name: string): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  const rng = makeRng(h >>> 0);
  return Math.floor(rng() * 0x7fffffff);
}

type Sym = tf.SymbolicTensor;

class Builder {
  constructor(private readonly seed: number) {}

  private init(name: string, kind: 'he' | 'glorot'): ReturnType<typeof tf.initializers.heNormal> {
    const seed = layerSeed(this.seed, name);
    return kind === 'he' ? tf.initializers.heNormal({ seed }) : tf.initializers.glorotUniform({ seed });
  }

  conv(x: Sym, name: string, filters: number, kernel: number, opts: { strides?: number; padding?: 'same' | 'valid'; bias?: boolean; activation?: 'relu' } = {}): Sym {
    return tf.layers
      .conv2d({
        name,
        filters,
        kernelSize: kernel,
        strides: opts.strides ?? 1,
        padding: opts.padding ?? 'same',
        useBias: opts.bias ?? true,
        activation: opts.activation,
        kernelInitializer: this.init(name, 'he'),
        biasInitializer: 'zeros',
      })
      .apply(x) as Sym;
  }

  dense(x: Sym, name: string, units: number, activation?: 'relu' | 'softmax'): Sym {
    return tf.layers
      .dense({ name, units, activation, kernelInitializer: this.init(name, activation === 'relu' ? 'he' : 'glorot'), biasInitializer: 'zeros' })
      .apply(x) as Sym;
  }

  bn(x: Sym, name: string): Sym {
    // momentum 0.9: short runs on small data need moving statistics that catch up quickly
    return tf.layers.batchNormalization({ name, axis: -1, momentum: 0.9, epsilon: 1e-5 }).apply(x) as Sym;
  }

  relu(x: Sym, name: string): Sym {
    return tf.layers.activation({ name, activation: 'relu' }).apply(x) as Sym;
  }

  maxPool(x: Sym, name: string): Sym {
    return tf.layers.maxPooling2d({ name, poolSize: 2, strides: 2 }).apply(x) as Sym;
  }
}

function checkOptions(arch: string, opts: BuildOptions): void {
  const [h, w, c] = opts.inputShape;
  const ok = (n: number) => Number.isInteger(n) && n > 0;
  if (!ok(h) || !ok(w) || !ok(c)) throw new UserError(`${arch}: input shape must be three positive integers, got ${opts.inputShape.join('×')}`);
  if (!ok(opts.classes)) throw new UserError(`${arch}: classes must be a positive integer, got ${opts.classes}`);
  if (!Number.isInteger(opts.seed)) throw new UserError(`${arch}: seed must be an integer, got ${opts.seed}`);
}

/** LeNet-5: the first conv is 'same'-padded so 28×28 digits give the classic 5×5×16 map (32×32 gives 6×6×16). */
function lenet5(b: Builder, x: Sym, classes: number): Sym {
  let y = b.conv(x, 'conv1', 6, 5, { activation: 'relu', padding: 'same' });
  y = b.maxPool(y, 'pool1');
  y = b.conv(y, 'conv2', 16, 5, { activation: 'relu', padding: 'valid' });
  y = b.maxPool(y, 'pool2');
  y = tf.layers.flatten({ name: 'flatten' }).apply(y) as Sym;
  y = b.dense(y, 'fc1', 120, 'relu');
  y = b.dense(y, 'fc2', 84, 'relu');
  return b.dense(y, 'fc3', classes, 'softmax');
}

/** Caffe's cifar10_quick with 2×2 max pools: 32×32 → 4×4×64 → fc 64 → classes. */
function cifarQuick(b: Builder, x: Sym, classes: number): Sym {
  let y = x;
  const filters = [32, 32, 64];
  filters.forEach((f, i) => {
    y = b.conv(y, `conv${i + 1}`, f, 5, { activation: 'relu' });
    y = b.maxPool(y, `pool${i + 1}`);
  });
  y = tf.layers.flatten({ name: 'flatten' }).apply(y) as Sym;
  y = b.dense(y, 'fc1', 64, 'relu');
  return b.dense(y, 'fc2', classes, 'softmax');
}

/** CIFAR ResNet (He et al. 2016, §4.2) with projection shortcuts (option B: 1×1 conv + BN) where the shape changes. */
function resnet(b: Builder, x: Sym, classes: number, depth: number): Sym {
  const n = (depth - 2) / 6;
  let y = b.conv(x, 'conv1', 16, 3, { bias: false });
  y = b.bn(y, 'bn1');
  y = b.relu(y, 'relu1');
  let channels = 16;
  [16, 32, 64].forEach((filters, s) => {
    for (let i = 0; i < n; i++) {
      const p = `s${s + 1}b${i}`;
      const strides = s > 0 && i === 0 ? 2 : 1;
      let r = b.conv(y, `${p}_conv1`, filters, 3, { strides, bias: false });
      r = b.bn(r, `${p}_bn1`);
      r = b.relu(r, `${p}_relu1`);
      r = b.conv(r, `${p}_conv2`, filters, 3, { bias: false });
      r = b.bn(r, `${p}_bn2`);
      let shortcut = y;
      if (strides !== 1 || channels !== filters) {
        shortcut = b.conv(y, `${p}_sc_conv`, filters, 1, { strides, bias: false });
        shortcut = b.bn(shortcut, `${p}_sc_bn`);
      }
      y = tf.layers.add({ name: `${p}_add` }).apply([r, shortcut]) as Sym;
      y = b.relu(y, `${p}_relu2`);
      channels = filters;
    }
  });
  y = tf.layers.globalAveragePooling2d({ name: 'pool' }).apply(y) as Sym;
  return b.dense(y, 'fc', classes, 'softmax');
}

const depths: Record<string, number> = { resnet8: 8, resnet14: 14, resnet20: 20 };

/**
 * Builds an uncompiled model of the zoo. Outputs are softmax probabilities (the last dense layer's activation).
 * Every initializer is seeded from `opts.seed` and the layer's name, so the same seed gives the same weights.
 */
export function buildModel(arch: Arch, opts: BuildOptions): tf.LayersModel {
  checkOptions(arch, opts);
  const b = new Builder(opts.seed);
  const input = tf.input({ shape: [...opts.inputShape], name: 'input' });
  let output: Sym;
  if (arch === 'lenet5') output = lenet5(b, input, opts.classes);
  else if (arch === 'cifar-quick') output = cifarQuick(b, input, opts.classes);
  else if (arch in depths) output = resnet(b, input, opts.classes, depths[arch]);
  else throw new UserError(`unknown architecture "${String(arch)}"`);
  return tf.model({ inputs: input, outputs: output, name: arch });
}
