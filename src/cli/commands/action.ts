import { resolve } from 'node:path';
import {
  ActionDataConfig,
  ActionEvalConfig,
  ActionImportConfig,
  ActionTrainConfig,
  type ActionDataResult,
  type ActionEvalResult,
  type ActionFlowResult,
  type ActionImportResult,
  type ActionTrainResult,
} from '../../shared/api-action';
import { numFlag, oneOf, required, runJobToEnd, subcommands, type CliCommand, type Subcommand, type Values } from '../util';

const str = (values: Values, k: string) => values[k] as string | undefined;
const splitOpts = (values: Values, schema: typeof ActionEvalConfig | typeof ActionTrainConfig) => ({
  valFraction: numFlag('val-fraction', values['val-fraction'], schema),
  valSeed: numFlag('val-seed', values['val-seed'], schema),
});
const pct = (x: number) => `${(x * 100).toFixed(2)} %`;
const weightsLine = (offsets: number[], w: number[]) => offsets.map((d, i) => `${d >= 0 ? '+' : ''}${d}:${w[i].toFixed(3)}`).join(' ');

const subs: Record<string, Subcommand> = {
  data: {
    usage: `  action data --out DIR [--clips N] [--test-clips N] [--frames T] [--size PX] [--lag L] [--lag-jitter J] [--seed S] [--json]
                                                 write the moving-digit clips (UCF101-style frame folders)`,
    flags: ['out', 'clips', 'test-clips', 'frames', 'size', 'lag', 'lag-jitter', 'seed'],
    positionals: [],
    async run(args) {
      const v = args.values;
      const config: ActionDataConfig = {
        out: resolve(required('out', str(v, 'out'))),
        clips: numFlag('clips', v.clips, ActionDataConfig),
        testClips: numFlag('test-clips', v['test-clips'], ActionDataConfig),
        frames: numFlag('frames', v.frames, ActionDataConfig),
        size: numFlag('size', v.size, ActionDataConfig),
        lag: numFlag('lag', v.lag, ActionDataConfig),
        lagJitter: numFlag('lag-jitter', v['lag-jitter'], ActionDataConfig),
        seed: numFlag('seed', v.seed, ActionDataConfig),
      };
      const r = (await runJobToEnd(args, { kind: 'action-data', config })) as ActionDataResult;
      args.out(args.json ? JSON.stringify(r) : `wrote ${r.train} train and ${r.test} test clips of ${r.classNames.length} classes (${r.coarseNames.length} coarse), lag ${r.lag} ± ${r.lagJitter}, seed ${r.seed}, to ${r.out}`);
    },
  },
  flow: {
    usage: `  action flow --data DIR [--json]                Farnebäck optical flow of every clip, cached in the folder`,
    flags: ['data'],
    positionals: [],
    async run(args) {
      const r = (await runJobToEnd(args, { kind: 'action-flow', config: { data: required('data', str(args.values, 'data')) } })) as ActionFlowResult;
      args.out(
        args.json
          ? JSON.stringify(r)
          : `flow of ${r.clips} clips: ${r.computed} computed${r.msPerClip === null ? '' : ` (${r.msPerClip.toFixed(1)} ms per clip)`}, ${r.cached} from the cache, in ${r.wallSeconds.toFixed(1)} s → ${r.cacheDir}`,
      );
    },
  },
  import: {
    usage: `  action import --videos DIR --out DIR [--frames T] [--size PX] [--json]
                                                 <Class>/<video> files to frame folders (needs ffmpeg on the PATH)`,
    flags: ['videos', 'out', 'frames', 'size'],
    positionals: [],
    async run(args) {
      const v = args.values;
      const config: ActionImportConfig = {
        videos: required('videos', str(v, 'videos')),
        out: resolve(required('out', str(v, 'out'))),
        frames: numFlag('frames', v.frames, ActionImportConfig),
        size: numFlag('size', v.size, ActionImportConfig),
      };
      const r = (await runJobToEnd(args, { kind: 'action-import', config })) as ActionImportResult;
      args.out(args.json ? JSON.stringify(r) : `imported ${r.clips} videos of ${r.classes.length} classes as frame folders in ${r.out}`);
    },
  },
  train: {
    usage: `  action train --data DIR [--out DIR] [--fusion async|sync] [--levels coarse-to-fine|fine] [--max-offset D]
        [--flow-stack S] [--epochs N] [--lr X] [--batch-size B] [--limit N] [--seed S] [--val-fraction F] [--val-seed S] [--json]
                                                 two-stream network, asynchronous or synchronous fusion`,
    flags: ['data', 'out', 'fusion', 'levels', 'max-offset', 'flow-stack', 'epochs', 'lr', 'batch-size', 'limit', 'seed', 'val-fraction', 'val-seed'],
    positionals: [],
    async run(args) {
      const v = args.values;
      const config: ActionTrainConfig = {
        data: required('data', str(v, 'data')),
        out: v.out === undefined ? undefined : resolve(String(v.out)),
        fusion: oneOf('fusion', v.fusion, ['async', 'sync'] as const),
        levels: oneOf('levels', v.levels, ['coarse-to-fine', 'fine'] as const),
        maxOffset: numFlag('max-offset', v['max-offset'], ActionTrainConfig),
        flowStack: numFlag('flow-stack', v['flow-stack'], ActionTrainConfig),
        epochs: numFlag('epochs', v.epochs, ActionTrainConfig),
        learningRate: numFlag('lr', v.lr, ActionTrainConfig, 'learningRate'),
        batchSize: numFlag('batch-size', v['batch-size'], ActionTrainConfig),
        limit: numFlag('limit', v.limit, ActionTrainConfig),
        seed: numFlag('seed', v.seed, ActionTrainConfig),
        ...splitOpts(v, ActionTrainConfig),
      };
      const r = (await runJobToEnd(args, { kind: 'action-train', config })) as ActionTrainResult;
      if (args.json) {
        args.out(
          JSON.stringify({
            runDir: r.runDir,
            bestEpoch: r.bestEpoch,
            val: { top1Fine: r.val.top1Fine, top1Coarse: r.val.top1Coarse },
            test: { top1Fine: r.test.top1Fine, top1Coarse: r.test.top1Coarse },
            offsets: r.offsets,
            offsetWeights: r.offsetWeights,
            timings: r.timings,
            seed: r.seed,
          }),
        );
        return;
      }
      args.out(
        [
          `trained ${r.levels} streams with ${r.fusion} fusion on ${r.data} (seed ${r.seed}, backend ${r.backend}) in ${r.wallSeconds.toFixed(0)} s; best val epoch ${r.bestEpoch}`,
          `  val (selection): top-1 fine ${pct(r.val.top1Fine)}, coarse ${pct(r.val.top1Coarse)}`,
          `  test:            top-1 fine ${pct(r.test.top1Fine)}, coarse ${pct(r.test.top1Coarse)} on ${r.test.n} clips`,
          `  offset weights:  ${weightsLine(r.offsets, r.offsetWeights)}`,
          `  flow ${r.timings.flowSeconds.toFixed(1)} s${r.timings.flowMsPerClip === null ? ' (cached)' : ` (${r.timings.flowMsPerClip.toFixed(1)} ms per clip)`}, ${r.timings.secondsPerEpoch.toFixed(1)} s per epoch`,
          `run: ${r.runDir}`,
        ].join('\n'),
      );
    },
  },
  eval: {
    usage: `  action eval <run> --data DIR [--split val|test] [--json]
                                                 top-1 (fine, coarse) and the learned offset weights`,
    flags: ['data', 'split', 'val-fraction', 'val-seed'],
    positionals: ['run'],
    async run(args, [model]) {
      const v = args.values;
      const config: ActionEvalConfig = {
        model,
        data: required('data', str(v, 'data')),
        split: oneOf('split', v.split, ['val', 'test'] as const),
        ...splitOpts(v, ActionEvalConfig),
      };
      const r = (await runJobToEnd(args, { kind: 'action-eval', config })) as ActionEvalResult;
      args.out(
        args.json
          ? JSON.stringify({ top1Fine: r.top1Fine, top1Coarse: r.top1Coarse, offsetWeights: r.offsetWeights, offsets: r.offsets, n: r.n, split: r.split })
          : `${r.split}: top-1 fine ${pct(r.top1Fine)}, coarse ${pct(r.top1Coarse)} on ${r.n} clips\noffset weights: ${weightsLine(r.offsets, r.offsetWeights)}`,
      );
    },
  },
};

const action = subcommands('action', subs, { positionalsAre: 'an action run folder' });

/** `layerlens` commands of the action capability. */
export const actionCommands: CliCommand[] = [action];
