import { resolve } from 'node:path';
import {
  PartsDataConfig,
  PartsEvalConfig,
  PartsTrainConfig,
  type PartsDataResult,
  type PartsEvalResult,
  type PartsResponses,
  type PartsScores,
  type PartsTrainResult,
} from '../../shared/api-parts';
import { UsageError, numFlag, oneOf, required, runJobToEnd, subcommands, withService, type CliCommand, type CommandArgs, type Subcommand, type Values } from '../util';

const str = (values: Values, k: string) => values[k] as string | undefined;
const splitOpts = (values: Values, schema: typeof PartsEvalConfig | typeof PartsTrainConfig) => ({
  valFraction: numFlag('val-fraction', values['val-fraction'], schema),
  valSeed: numFlag('val-seed', values['val-seed'], schema),
});

const pct = (x: number) => `${(x * 100).toFixed(2)} %`;
/** What `parts eval --json` prints (and train prints per split). */
const scoresJson = (s: PartsScores) => ({ top1Global: s.top1Global, top1Parts: s.top1Parts, top1Both: s.top1Both, corloc: s.corloc, purity: s.purity });
const formatScores = (s: PartsScores) =>
  `${s.split} (${s.n} images): top-1 global ${pct(s.top1Global)}, parts ${pct(s.top1Parts)}, both ${pct(s.top1Both)}; CorLoc ${pct(s.corloc)}${s.purity === null ? '' : `; purity ${s.purity.toFixed(3)}`}`;

const TRAIN_FLAGS = ['data', 'out', 'mil', 'affinity', 'seeds', 'clusters', 'patterns', 'rounds', 'sparsity', 'pyramid', 'proposals', 'pretrain-epochs', 'pretrain-samples', 'pretrain-source', 'backbone', 'limit', 'seed', 'val-fraction', 'val-seed'];

function trainConfig(v: Values, mineOnly: boolean): PartsTrainConfig {
  return {
    data: required('data', str(v, 'data')),
    out: v.out === undefined ? undefined : resolve(String(v.out)),
    mineOnly,
    mil: oneOf('mil', v.mil, ['cls', 'plain'] as const),
    affinity: oneOf('affinity', v.affinity, ['detector', 'kmeans'] as const),
    seeds: numFlag('seeds', v.seeds, PartsTrainConfig),
    clusters: numFlag('clusters', v.clusters, PartsTrainConfig),
    patterns: numFlag('patterns', v.patterns, PartsTrainConfig),
    rounds: numFlag('rounds', v.rounds, PartsTrainConfig),
    sparsity: numFlag('sparsity', v.sparsity, PartsTrainConfig),
    pyramid: v.pyramid === true ? true : undefined,
    proposals: numFlag('proposals', v.proposals, PartsTrainConfig),
    pretrainEpochs: numFlag('pretrain-epochs', v['pretrain-epochs'], PartsTrainConfig),
    pretrainSamples: numFlag('pretrain-samples', v['pretrain-samples'], PartsTrainConfig),
    pretrainSource: oneOf('pretrain-source', v['pretrain-source'], ['mnist', 'fashion-mnist'] as const),
    backbone: v.backbone === undefined ? undefined : resolve(String(v.backbone)),
    limit: numFlag('limit', v.limit, PartsTrainConfig),
    seed: numFlag('seed', v.seed, PartsTrainConfig),
    ...splitOpts(v, PartsTrainConfig),
  };
}

async function train(args: CommandArgs, mineOnly: boolean): Promise<void> {
  const r = (await runJobToEnd(args, { kind: 'parts-train', config: trainConfig(args.values, mineOnly) })) as PartsTrainResult;
  if (args.json) {
    args.out(JSON.stringify({ runDir: r.runDir, val: scoresJson(r.val), test: scoresJson(r.test), mining: r.mining, seed: r.seed, timings: r.timings, wallSeconds: r.wallSeconds }));
    return;
  }
  const p = r.mining.purity;
  args.out(
    [
      `${mineOnly ? 'mined' : 'trained'} ${r.mining.detectors} part detectors on ${r.data} (seed ${r.seed}, backend ${r.backend}) in ${r.wallSeconds.toFixed(0)} s`,
      `  ${formatScores(r.val)}  (selection)`,
      `  ${formatScores(r.test)}`,
      p ? `  purity of the mined clusters: detector-based spectral ${p.spectral.toFixed(3)}, raw k-means ${p.kmeans.toFixed(3)}; distinctive-part cluster ${p.partSpectral.toFixed(3)} vs ${p.partKmeans.toFixed(3)}` : '',
      `run: ${r.runDir}`,
    ]
      .filter(Boolean)
      .join('\n'),
  );
}

const subs: Record<string, Subcommand> = {
  data: {
    usage: `  parts data --out DIR [--images N] [--test-images N] [--classes K] [--size PX] [--max-distractors M]
        [--source mnist|fashion-mnist] [--seed S] [--json]
                                                 write part scenes (PNG + COCO + hidden parts.json)`,
    flags: ['out', 'source', 'classes', 'images', 'test-images', 'size', 'max-distractors', 'seed'],
    positionals: [],
    async run(args) {
      const v = args.values;
      const config: PartsDataConfig = {
        out: resolve(required('out', str(v, 'out'))),
        source: oneOf('source', v.source, ['mnist', 'fashion-mnist'] as const),
        classes: numFlag('classes', v.classes, PartsDataConfig),
        images: numFlag('images', v.images, PartsDataConfig),
        testImages: numFlag('test-images', v['test-images'], PartsDataConfig),
        size: numFlag('size', v.size, PartsDataConfig),
        maxDistractors: numFlag('max-distractors', v['max-distractors'], PartsDataConfig),
        seed: numFlag('seed', v.seed, PartsDataConfig),
      };
      const r = (await runJobToEnd(args, { kind: 'parts-data', config })) as PartsDataResult;
      args.out(args.json ? JSON.stringify(r) : `wrote ${r.train} train and ${r.test} test part scenes (classes ${r.classNames.join(', ')}, seed ${r.seed}) to ${r.out}`);
    },
  },
  mine: { flags: TRAIN_FLAGS, positionals: [], run: (args) => train(args, true) },
  // `mine` is in train's usage lines
  train: {
    usage: `  parts mine|train --data DIR [--out DIR] [--mil cls|plain] [--affinity detector|kmeans] [--seeds N] [--clusters K]
        [--patterns P] [--rounds R] [--sparsity S] [--pyramid] [--proposals N] [--pretrain-epochs N]
        [--pretrain-samples N] [--pretrain-source mnist|fashion-mnist] [--backbone RUN] [--limit N] [--seed S]
        [--val-fraction F] [--val-seed S] [--json]
                                                 mine part patterns (mine), and learn their detectors by MIL (train)`,
    flags: TRAIN_FLAGS,
    positionals: [],
    run: (args) => train(args, false),
  },
  eval: {
    usage: `  parts eval <run> --data DIR [--split val|test] [--limit N] [--json]
                                                 top-1 (global / parts / both), CorLoc and purity of a run`,
    flags: ['data', 'split', 'limit', 'val-fraction', 'val-seed'],
    positionals: ['run'],
    async run(args, [model]) {
      const v = args.values;
      const config: PartsEvalConfig = {
        model: resolve(model),
        data: required('data', str(v, 'data')),
        split: oneOf('split', v.split, ['val', 'test'] as const),
        limit: numFlag('limit', v.limit, PartsEvalConfig),
        ...splitOpts(v, PartsEvalConfig),
      };
      const r = (await runJobToEnd(args, { kind: 'parts-eval', config })) as PartsEvalResult;
      args.out(args.json ? JSON.stringify(scoresJson(r)) : formatScores(r));
    },
  },
  respond: {
    usage: `  parts respond <run> --image FILE|ID [--data DIR [--split train|val|test]] [--detectors 0,1,..] [--json]
                                                 response maps of the run's detectors on one image`,
    flags: ['image', 'data', 'split', 'detectors'],
    positionals: ['run'],
    async run(args, [model]) {
      const v = args.values;
      const detectors = v.detectors === undefined ? undefined : String(v.detectors).split(',').map((s) => {
        const n = Number(s.trim());
        if (!Number.isInteger(n) || n < 0) throw new UsageError(`--detectors takes a comma-separated list of detector indices, got "${String(v.detectors).slice(0, 40)}"`);
        return n;
      });
      const image = required('image', str(v, 'image'));
      const req = { model: resolve(model), image: v.data === undefined ? resolve(image) : image, data: str(v, 'data'), split: oneOf('split', v.split, ['train', 'val', 'test'] as const), detectors };
      const r: PartsResponses = await withService(args.workspace, (s) => s.call('parts.respond', req));
      if (args.json) {
        args.out(JSON.stringify({ image: r.image, width: r.width, height: r.height, gridW: r.gridW, gridH: r.gridH, maps: r.maps, classScores: r.classScores }));
        return;
      }
      const lines = [`${r.maps.length} response maps on ${r.image} (${r.width}×${r.height}, grid ${r.gridW}×${r.gridH})`];
      for (const m of r.maps) lines.push(`  detector ${String(m.detector).padStart(3)} (class ${m.class}): max z ${m.max.toFixed(2)} at [${[m.top[0]?.box.x1, m.top[0]?.box.y1, m.top[0]?.box.x2, m.top[0]?.box.y2].join(', ')}]`);
      args.out(lines.join('\n'));
    },
  },
};

const parts = subcommands('parts', subs, { positionalsAre: 'a parts run folder', booleans: ['pyramid'] });

/** `layerlens` commands of the parts capability. */
export const partsCommands: CliCommand[] = [parts];
