/** The presentation of the PTQ agreement runs of docs/formats.md; every number comes from the records. */
import { type TableSpec, col } from './common';

export const ptq: TableSpec = {
  title: 'Post-training quantization: output agreement with the float model',
  description:
    'One `layerlens ptq … --json` run per row (seed 1; the command is in each record), written by `nice -n 19 node --import tsx scripts/experiments/ptq-formats.ts`. ' +
    'Cosine and relative error of the outputs against the float model on the same inputs: the test images, or seeded random inputs where the model has no dataset; for a model with several outputs the worst output is shown (each output\'s cosine is in the record). No setting is chosen here.',
  columns: [
    col('test.top1Float', 'test top-1, float', 'pct'),
    col('test.top1', 'test top-1, quantized', 'pct'),
    col('test.top1Agreement', 'same top-1 as float', 'pct'),
    col('test.cosineGap', '1 − output cosine', 'num'),
    col('test.relError', 'output rel. error', 'num'),
    col('test.n', 'inputs', 'int'),
    col('model.compressionRatio', 'compression (kernels)', 'ratio'),
  ],
  charts: [],
  claims: [],
};
