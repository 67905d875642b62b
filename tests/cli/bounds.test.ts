// CLI numeric flags take their limits from the contract's zod schemas: a value outside a field's bounds is
// refused before anything runs, in one line naming the flag and the bound.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { z } from 'zod';
import { main } from '../../src/cli/index';
import { boundsOf, describeBounds, numFlag, type NumberBounds } from '../../src/cli/util';
import { EvalConfig, TrainConfig } from '../../src/shared/api';
import { QuantizeConfig, SensitivityConfig } from '../../src/shared/api-quant';
import { LowrankConfig } from '../../src/shared/api-lowrank';
import { DiffConfig, ExportConfig, PtqConfig } from '../../src/shared/api-export';

const field = (schema: z.AnyZodObject, key: string) => schema.shape[key] as z.ZodTypeAny;

/** A value just outside the bounds: past the max when there is one, else below the min. */
function outside(b: NumberBounds): string {
  if (b.max) return String(b.max.inclusive ? b.max.value + 1 : b.max.value);
  return String(b.min!.inclusive ? b.min!.value - 1 : b.min!.value);
}

// [command and its required arguments, flag, schema, field]
const base = {
  train: ['train', '--arch', 'lenet5', '--data', 'mnist', '--epochs', '1'],
  eval: ['eval', 'builtin:lenet5-mnist', '--data', 'mnist'],
  sensitivity: ['sensitivity', 'builtin:lenet5-mnist', '--data', 'mnist'],
  quantize: ['quantize', 'builtin:lenet5-mnist', '--data', 'mnist', '--method', 'dnq'],
  lowrank: ['lowrank', 'builtin:lenet5-mnist', '--data', 'mnist', '--method', 'trp', '--out', '/tmp/ll-never-written'],
  export: ['export', 'builtin:lenet5-mnist', '--format', 'onnx', '--out', '/tmp/ll-never-written'],
  ptq: ['ptq', 'builtin:lenet5-mnist'],
  diff: ['diff', 'builtin:lenet5-mnist', 'builtin:lenet5-mnist'],
};
const cases: [keyof typeof base, string, z.AnyZodObject, string][] = [
  ['train', 'epochs', TrainConfig, 'epochs'],
  ['train', 'batch-size', TrainConfig, 'batchSize'],
  ['train', 'lr', TrainConfig, 'learningRate'],
  ['train', 'seed', TrainConfig, 'seed'],
  ['train', 'limit', TrainConfig, 'limit'],
  ['eval', 'batch-size', EvalConfig, 'batchSize'],
  ['eval', 'limit', EvalConfig, 'limit'],
  ['sensitivity', 'bits', SensitivityConfig, 'bits'],
  ['sensitivity', 'subsets', SensitivityConfig, 'subsets'],
  ['quantize', 'bits', QuantizeConfig, 'bits'],
  ['quantize', 'episodes', QuantizeConfig, 'episodes'],
  ['quantize', 'retrain-epochs', QuantizeConfig, 'retrainEpochs'],
  ['quantize', 'fractions', QuantizeConfig, 'fractions'],
  ['quantize', 'eval-size', QuantizeConfig, 'episodeEvalSize'],
  ['quantize', 'lr', QuantizeConfig, 'learningRate'],
  ['lowrank', 'energy', LowrankConfig, 'energy'],
  ['lowrank', 'speedup', LowrankConfig, 'speedup'],
  ['lowrank', 'nuclear', LowrankConfig, 'nuclear'],
  ['lowrank', 'period', LowrankConfig, 'period'],
  ['lowrank', 'epochs', LowrankConfig, 'epochs'],
  ['export', 'limit', ExportConfig, 'limit'],
  ['ptq', 'bits', PtqConfig, 'bits'],
  ['ptq', 'limit', PtqConfig, 'limit'],
  ['diff', 'limit', DiffConfig, 'limit'],
];

afterEach(() => vi.restoreAllMocks());

async function run(argv: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
    stderr += String(s);
    return true;
  });
  const code = await main(argv, () => {});
  vi.restoreAllMocks();
  return { code, stderr };
}

describe('CLI numeric bounds from the schemas', () => {
  it('reads int, min/max and open bounds from zod checks, through optional and default', () => {
    expect(boundsOf(field(TrainConfig, 'epochs'))).toEqual({ int: true, min: { value: 1, inclusive: true }, max: { value: 1000, inclusive: true } });
    expect(boundsOf(field(LowrankConfig, 'energy'))).toEqual({ int: false, min: { value: 0, inclusive: false }, max: { value: 1, inclusive: true } });
    // a list's elements
    expect(describeBounds(boundsOf(field(SensitivityConfig, 'bits')))).toBe('an integer ≥ 2 and ≤ 8');
    expect(() => numFlag('arch', 'x', TrainConfig)).toThrow(/not a number schema/);
  });

  it.each(cases)('%s --%s out of the bounds of %s.%s is refused in one line naming flag and bound', async (cmd, flag, schema, key) => {
    const b = boundsOf(field(schema, key));
    const bad = outside(b);
    const r = await run([...base[cmd], `--${flag}=${bad}`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`layerlens: --${flag} must be ${describeBounds(b)}, got "${bad}"\n`);
  });

  it('refuses what is not a number, and a fraction where the schema wants an integer', async () => {
    expect((await run([...base.train, '--epochs', 'many'])).stderr).toBe('layerlens: --epochs must be an integer ≥ 1 and ≤ 1000, got "many"\n');
    expect((await run([...base.train, '--batch-size', '1.5'])).stderr).toMatch(/^layerlens: --batch-size must be an integer ≥ 1 and ≤ 4096, got "1\.5"\n$/);
    expect((await run([...base.lowrank, '--energy', ''])).stderr).toMatch(/^layerlens: --energy must be a number > 0 and ≤ 1, got ""\n$/);
  });
});
