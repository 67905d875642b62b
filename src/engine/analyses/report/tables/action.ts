/** The presentation of the action lab's ablation (issue 13); every number comes from the records. */
import { type TableSpec, col } from './common';

const setup =
  'Moving-digit clips (generator v3: still flashes, half the clips ambiguous), 16 frames of 32×32, 12 fine classes (6 motion patterns × 2 objects) under 3 motion families; ' +
  'the cue object comes lag ± 1 frames before the motion; in an ambiguous clip a second flash shows the other object, so only pairing the cue with the motion lag frames later tells the class. ' +
  'Two streams (frames, Farnebäck flow stacks), coarse-to-fine (c2f) or fine-only heads, fusion over offsets −10..10 (async) or 0 (sync); data seed 1, 384 train / 96 val / 240 test clips; ' +
  'up to 20 epochs, Adam 5e-3, the epoch with the best val top-1 (fine) kept; reported on test. Fine-only heads with async fusion only; `-n96` rows train on the first 96 train clips (8 a class). Seeds are model seeds. Details: src/engine/action/NOTES.md, results/action/README.md.';

export const action: TableSpec = {
  title: 'Action recognition: asynchronous vs synchronous fusion and coarse-to-fine vs fine-only heads over the generator lag',
  description: setup,
  columns: [
    col('test.top1Fine', 'test top-1 (fine)', 'pct'),
    col('test.top1FineAmbiguous', 'test top-1 (fine), ambiguous clips', 'pct'),
    col('test.top1FineUnambiguous', 'test top-1 (fine), unambiguous clips', 'pct'),
    col('test.top1Coarse', 'test top-1 (coarse)', 'pct'),
    col('val.top1Fine', 'val top-1 (fine)', 'pct'),
    col('model.peakOffset', 'offset of the peak fusion weight', 'num'),
    col('timings.seconds', 'wall per run', 'sec'),
  ],
  charts: [
    { name: 'top1', title: 'test top-1 (fine) (bar: mean over seeds, dots: seeds)', kind: 'bars', key: 'test.top1Fine' },
    { name: 'ambiguous', title: 'test top-1 (fine) on the ambiguous clips (bar: mean over seeds, dots: seeds)', kind: 'bars', key: 'test.top1FineAmbiguous' },
    { name: 'val', title: 'val top-1 (fine) per epoch (mean over seeds)', kind: 'curves', curve: 'valTop1Fine' },
  ],
  claims: [
    { text: 'async fusion beats sync fusion at lag 4 (fine top-1)', key: 'test.top1Fine', a: 'c2f-async-lag4', b: 'c2f-sync-lag4' },
    { text: 'async fusion beats sync fusion at lag 8 (fine top-1)', key: 'test.top1Fine', a: 'c2f-async-lag8', b: 'c2f-sync-lag8' },
    { text: 'async fusion beats sync fusion at lag 4 on the ambiguous clips', key: 'test.top1FineAmbiguous', a: 'c2f-async-lag4', b: 'c2f-sync-lag4' },
    { text: 'async fusion beats sync fusion at lag 8 on the ambiguous clips', key: 'test.top1FineAmbiguous', a: 'c2f-async-lag8', b: 'c2f-sync-lag8' },
    { text: 'coarse-to-fine beats fine-only at lag 0 (async, fine top-1)', key: 'test.top1Fine', a: 'c2f-async-lag0', b: 'fine-async-lag0' },
    { text: 'coarse-to-fine beats fine-only at lag 4 (async, fine top-1)', key: 'test.top1Fine', a: 'c2f-async-lag4', b: 'fine-async-lag4' },
    { text: 'coarse-to-fine beats fine-only at lag 8 (async, fine top-1)', key: 'test.top1Fine', a: 'c2f-async-lag8', b: 'fine-async-lag8' },
    { text: 'coarse-to-fine beats fine-only with scarce data, 8 train clips a class (async, lag 4, fine top-1)', key: 'test.top1Fine', a: 'c2f-async-n96-lag4', b: 'fine-async-n96-lag4' },
    { text: 'the learned offset peak moves with the lag: lag 4 above lag 0', key: 'model.peakOffset', a: 'c2f-async-lag4', b: 'c2f-async-lag0' },
    { text: 'the learned offset peak moves with the lag: lag 8 above lag 4', key: 'model.peakOffset', a: 'c2f-async-lag8', b: 'c2f-async-lag4' },
  ],
};

/** The paired async − sync gap per (levels, lag, seed), derived from the two run records. */
export const actionGap: TableSpec = {
  title: 'Action recognition: the async − sync gap against the generator lag (paired by seed)',
  description:
    `Each record is the difference of two runs of the action table with the same seed, levels and lag (async minus sync), in top-1 points. ${setup} ` +
    'Sync fusion can pair the cue with the motion inside its 2-field flow stack only at lag ≤ 2, so the gap is expected near 0 at lag 0 and positive at 4 and 8.',
  columns: [
    col('test.gapFine', 'test top-1 (fine), async − sync', 'pp'),
    col('test.gapFineAmbiguous', 'test top-1 (fine) on ambiguous clips, async − sync', 'pp'),
    col('test.gapCoarse', 'test top-1 (coarse), async − sync', 'pp'),
    col('val.gapFine', 'val top-1 (fine), async − sync', 'pp'),
  ],
  charts: [{ name: 'gap', title: 'test top-1 (fine), async − sync, per lag (bar: mean over seeds, dots: seeds)', kind: 'bars', key: 'test.gapFine' }],
  claims: [
    { text: 'the async − sync gap grows with the lag: lag 4 above lag 0', key: 'test.gapFine', a: 'c2f-lag4', b: 'c2f-lag0' },
    { text: 'the async − sync gap grows with the lag: lag 8 above lag 4', key: 'test.gapFine', a: 'c2f-lag8', b: 'c2f-lag4' },
    { text: 'on the ambiguous clips the gap grows with the lag: lag 4 above lag 0', key: 'test.gapFineAmbiguous', a: 'c2f-lag4', b: 'c2f-lag0' },
    { text: 'on the ambiguous clips the gap grows with the lag: lag 8 above lag 4', key: 'test.gapFineAmbiguous', a: 'c2f-lag8', b: 'c2f-lag4' },
  ],
};
