// Backend selection: tfjs-node is absent here, so the engine must land on native when its addon is built,
// else on wasm (with its kernels).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { backendName, initBackend, BACKEND_ENV_VAR } from '../../../src/engine/backend';
import { loadAddon } from '../../../src/engine/backend/native';
import { UserError } from '../../../src/engine/core/errors';
import * as tf from '../../../src/engine/backend/tf';

const AUTO = loadAddon().addon != null ? 'native' : 'wasm';

describe('initBackend', () => {
  // these tests are about the choice itself: they run unforced even in a suite run with LAYERLENS_BACKEND set
  const forced = process.env[BACKEND_ENV_VAR];
  beforeAll(() => {
    delete process.env[BACKEND_ENV_VAR];
  });
  afterAll(() => {
    if (forced !== undefined) process.env[BACKEND_ENV_VAR] = forced;
  });
  afterEach(async () => {
    delete process.env[BACKEND_ENV_VAR];
    await initBackend('wasm');
  });

  it(`picks ${AUTO} here, registers the wasm training kernels with wasm, and is idempotent`, async () => {
    expect(await initBackend()).toBe(AUTO);
    expect(backendName()).toBe(AUTO);
    expect(tf.getBackend()).toBe(AUTO);
    expect(await initBackend('wasm')).toBe('wasm');
    for (const k of ['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput', 'UnsortedSegmentSum']) {
      expect(tf.getKernel(k, 'wasm'), k).toBeDefined();
    }
    const [a, b] = await Promise.all([initBackend(), initBackend()]);
    expect([a, b]).toEqual(['wasm', 'wasm']); // an explicit preference sticks
  });

  it('falls back from a preferred tensorflow backend that is not installed', async () => {
    expect(await initBackend('tensorflow')).toBe(AUTO);
  });

  it('re-activates its choice when something switched backends behind its back', async () => {
    expect(await initBackend('wasm')).toBe('wasm');
    await tf.setBackend('cpu');
    expect(backendName()).toBe('cpu');
    expect(await initBackend()).toBe('wasm');
    expect(backendName()).toBe('wasm');
  });

  it('honours an explicit preference and LAYERLENS_BACKEND', async () => {
    expect(await initBackend('cpu')).toBe('cpu');
    expect(backendName()).toBe('cpu');
    process.env[BACKEND_ENV_VAR] = 'wasm';
    expect(await initBackend('cpu')).toBe('wasm'); // the variable wins over the argument
    process.env[BACKEND_ENV_VAR] = 'cpu';
    expect(await initBackend()).toBe('cpu');
  });

  it('rejects a forced backend that cannot run, and an unknown name, as user errors', async () => {
    process.env[BACKEND_ENV_VAR] = 'tensorflow';
    await expect(initBackend()).rejects.toThrow(UserError);
    await expect(initBackend()).rejects.toThrow(/LAYERLENS_BACKEND=tensorflow cannot be used/);
    process.env[BACKEND_ENV_VAR] = 'webgpu';
    await expect(initBackend()).rejects.toThrow(/not a backend/);
  });

  it('prints nothing on stdout and no tfjs-node banner, also when the cpu backend is first used', async () => {
    const seen: string[] = [];
    const orig = { log: console.log, info: console.info, warn: console.warn, write: process.stdout.write };
    const capture = (...args: unknown[]): void => void seen.push(args.map(String).join(' '));
    console.log = capture;
    console.info = capture;
    console.warn = capture;
    process.stdout.write = ((chunk: string | Uint8Array) => capture(String(chunk))) as typeof process.stdout.write;
    try {
      await initBackend();
      await tf.setBackend('cpu');
      tf.tidy(() => tf.add(tf.tensor([1, 2]), 1).dataSync());
      await initBackend('wasm');
      tf.tidy(() => tf.add(tf.tensor([1, 2]), 1).dataSync());
    } finally {
      Object.assign(console, { log: orig.log, info: orig.info, warn: orig.warn });
      process.stdout.write = orig.write;
    }
    expect(seen.filter((s) => /tfjs-node|looks like|Hi there/i.test(s))).toEqual([]);
    expect(seen.filter((s) => s.trim() !== '')).toEqual([]);
  });
});
