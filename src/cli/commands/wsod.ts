import { resolve } from 'node:path';
import type { JobStart } from '../../shared/api';
import {
  WsodDataConfig,
  WsodDetectConfig,
  WsodEvalConfig,
  WsodTrainConfig,
  type WsodDataResult,
  type WsodDetectResult,
  type WsodEvalResult,
  type WsodRankings,
  type WsodScores,
  type WsodTrainResult,
} from '../../shared/api-wsod';
import { numFlag, oneOf, required, runJobToEnd, subcommands, withService, type CliCommand, type Subcommand, type Values } from '../util';
import { wsodCompressSubcommands } from './wsod-compress';

const str = (values: Values, k: string) => values[k] as string | undefined;
const path = (values: Values, k: string) => (values[k] === undefined ? undefined : resolve(String(values[k])));
const splitOpts = (values: Values, schema: typeof WsodEvalConfig | typeof WsodTrainConfig | typeof WsodDetectConfig) => ({
  valFraction: numFlag('val-fraction', values['val-fraction'], schema),
  valSeed: numFlag('val-seed', values['val-seed'], schema),
});

const pct = (x: number) => `${(x * 100).toFixed(2)} %`;
function formatScores(s: WsodScores): string {
  const lines = [`${s.split}: mAP@0.5 ${pct(s.mAP50)}, CorLoc ${pct(s.corloc)} on ${s.n} images`];
  for (const c of s.perClass) lines.push(`  ${c.name.padEnd(14)} AP ${pct(c.ap).padStart(8)}  CorLoc ${c.corloc === null ? '     —' : pct(c.corloc).padStart(8)}`);
  return lines.join('\n');
}

const subs: Record<string, Subcommand> = {
  data: {
    usage: `  wsod data --out DIR [--images N] [--test-images N] [--classes K] [--difficulty D] [--size PX] [--max-objects M]
        [--source mnist|fashion-mnist] [--format coco|voc] [--seed S] [--json]
                                                 write the cluttered-digit detection benchmark (PNG + COCO/VOC)`,
    flags: ['out', 'source', 'classes', 'images', 'test-images', 'size', 'difficulty', 'max-objects', 'format', 'seed'],
    positionals: [],
    async run(args) {
      const v = args.values;
      const config: WsodDataConfig = {
        out: resolve(required('out', str(v, 'out'))),
        source: oneOf('source', v.source, ['mnist', 'fashion-mnist'] as const),
        classes: numFlag('classes', v.classes, WsodDataConfig),
        images: numFlag('images', v.images, WsodDataConfig),
        testImages: numFlag('test-images', v['test-images'], WsodDataConfig),
        size: numFlag('size', v.size, WsodDataConfig),
        difficulty: numFlag('difficulty', v.difficulty, WsodDataConfig),
        maxObjects: numFlag('max-objects', v['max-objects'], WsodDataConfig),
        format: oneOf('format', v.format, ['coco', 'voc'] as const),
        seed: numFlag('seed', v.seed, WsodDataConfig),
      };
      const r = (await runJobToEnd(args, { kind: 'wsod-data', config })) as WsodDataResult;
      args.out(
        args.json
          ? JSON.stringify(r)
          : `wrote ${r.train} train and ${r.test} test images (${r.format}, classes ${r.classNames.join(', ')}, seed ${r.seed}, mean difficulty ${r.meanDifficulty.toFixed(3)}) to ${r.out}`,
      );
    },
  },
  train: {
    usage: `  wsod train --data DIR [--out DIR] [--curriculum] [--masking] [--mask-prob P] [--mask-region pseudo-box|random]
        [--groups K] [--no-rerank] [--epochs N] [--pretrain-epochs N] [--pretrain-samples N]
        [--pretrain-source mnist|fashion-mnist] [--proposals N] [--lr X] [--batch-size B] [--limit N] [--seed S]
        [--stage0-share F] [--refine-stages K] [--roi-grid G] [--fc N] [--val-fraction F] [--val-seed S] [--json]
                                                 weakly supervised detector (WSDDN + refinement), image labels only`,
    flags: [
      ...['data', 'out', 'curriculum', 'masking', 'mask-prob', 'mask-region', 'groups', 'no-rerank', 'epochs', 'pretrain-epochs', 'pretrain-samples', 'pretrain-source'],
      ...['proposals', 'lr', 'batch-size', 'limit', 'seed', 'stage0-share', 'refine-stages', 'roi-grid', 'fc', 'val-fraction', 'val-seed'],
    ],
    positionals: [],
    async run(args) {
      const v = args.values;
      const config: WsodTrainConfig = {
        data: required('data', str(v, 'data')),
        out: path(v, 'out'),
        curriculum: v.curriculum === true ? true : undefined,
        masking: v.masking === true ? true : undefined,
        maskProb: numFlag('mask-prob', v['mask-prob'], WsodTrainConfig),
        maskRegion: oneOf('mask-region', v['mask-region'], ['pseudo-box', 'random'] as const),
        groups: numFlag('groups', v.groups, WsodTrainConfig),
        rerank: v['no-rerank'] === true ? false : undefined,
        epochs: numFlag('epochs', v.epochs, WsodTrainConfig),
        pretrainEpochs: numFlag('pretrain-epochs', v['pretrain-epochs'], WsodTrainConfig),
        proposals: numFlag('proposals', v.proposals, WsodTrainConfig),
        learningRate: numFlag('lr', v.lr, WsodTrainConfig, 'learningRate'),
        batchSize: numFlag('batch-size', v['batch-size'], WsodTrainConfig),
        limit: numFlag('limit', v.limit, WsodTrainConfig),
        seed: numFlag('seed', v.seed, WsodTrainConfig),
        pretrainSamples: numFlag('pretrain-samples', v['pretrain-samples'], WsodTrainConfig),
        pretrainSource: oneOf('pretrain-source', v['pretrain-source'], ['mnist', 'fashion-mnist'] as const),
        stage0Share: numFlag('stage0-share', v['stage0-share'], WsodTrainConfig, 'stage0Share'),
        refineStages: numFlag('refine-stages', v['refine-stages'], WsodTrainConfig),
        roiGrid: numFlag('roi-grid', v['roi-grid'], WsodTrainConfig),
        fc: numFlag('fc', v.fc, WsodTrainConfig),
        ...splitOpts(v, WsodTrainConfig),
      };
      const r = (await runJobToEnd(args, { kind: 'wsod-train', config })) as WsodTrainResult;
      if (args.json) {
        args.out(
          JSON.stringify({
            runDir: r.runDir,
            val: { mAP50: r.val.mAP50, corloc: r.val.corloc },
            test: { mAP50: r.test.mAP50, corloc: r.test.corloc, perClass: r.test.perClass },
            correlation: r.correlation,
            stages: r.stages,
            seed: r.seed,
            wallSeconds: r.wallSeconds,
          }),
        );
        return;
      }
      const c = r.correlation;
      args.out(
        [
          `trained a weakly supervised detector on ${r.data} (seed ${r.seed}, backend ${r.backend}) in ${r.wallSeconds.toFixed(0)} s`,
          `  val (selection): mAP@0.5 ${pct(r.val.mAP50)}, CorLoc ${pct(r.val.corloc)}`,
          formatScores(r.test),
          `mEAS rank correlation: with top-box IoU ${c.iou.toFixed(3)}${c.difficulty === null ? '' : `, with difficulty ${c.difficulty.toFixed(3)}`}`,
          `run: ${r.runDir}`,
        ].join('\n'),
      );
    },
  },
  eval: {
    usage: `  wsod eval <run> --data DIR [--split val|test] [--limit N] [--val-fraction F] [--val-seed S] [--json]
                                                 mAP@0.5, CorLoc and per-class AP of a trained run`,
    flags: ['data', 'split', 'limit', 'val-fraction', 'val-seed'],
    positionals: ['model'],
    async run(args, [model]) {
      const v = args.values;
      const config: WsodEvalConfig = {
        model,
        data: required('data', str(v, 'data')),
        split: oneOf('split', v.split, ['val', 'test'] as const),
        limit: numFlag('limit', v.limit, WsodEvalConfig),
        ...splitOpts(v, WsodEvalConfig),
      };
      const r = (await runJobToEnd(args, { kind: 'wsod-eval', config })) as WsodEvalResult;
      args.out(args.json ? JSON.stringify({ mAP50: r.mAP50, corloc: r.corloc, perClass: r.perClass }) : formatScores(r));
    },
  },
  rank: {
    usage: `  wsod rank <run> --data DIR [--split train|val|test] [--json]
                                                 mEAS per (image, class), ranked into difficulty groups`,
    flags: ['data', 'split', 'val-fraction', 'val-seed'],
    positionals: ['model'],
    async run(args, [model]) {
      const v = args.values;
      const req = {
        model,
        data: required('data', str(v, 'data')),
        split: oneOf('split', v.split, ['train', 'val', 'test'] as const),
        ...splitOpts(v, WsodEvalConfig),
      };
      const r: WsodRankings = await withService(args.workspace, (s) => s.call('wsod.rankings', req));
      if (args.json) {
        args.out(JSON.stringify({ items: r.items.map((i) => ({ image: i.image, class: i.class, meas: i.meas, group: i.group })), spearmanIoU: r.spearmanIoU }));
        return;
      }
      const lines = [`${r.items.length} (image, class) pairs of ${r.split}, ${r.groups} groups per class; Spearman(mEAS, top-box IoU) ${r.spearmanIoU.toFixed(3)}`];
      for (const i of r.items) lines.push(`  ${r.classNames[i.class].padEnd(12)} group ${i.group}  mEAS ${i.meas.toFixed(4)}  ${i.image}`);
      args.out(lines.join('\n'));
    },
  },
  detect: {
    usage: `  wsod detect <run> --images DIR --out FILE [--split train|val|test] [--min-score S] [--json]
                                                 detections as COCO results JSON`,
    flags: ['images', 'split', 'out', 'min-score', 'val-fraction', 'val-seed'],
    positionals: ['model'],
    async run(args, [model]) {
      const v = args.values;
      const config: WsodDetectConfig = {
        model,
        images: required('images', str(v, 'images')),
        split: oneOf('split', v.split, ['train', 'val', 'test'] as const),
        out: resolve(required('out', str(v, 'out'))),
        minScore: numFlag('min-score', v['min-score'], WsodDetectConfig),
        ...splitOpts(v, WsodDetectConfig),
      };
      const r = (await runJobToEnd(args, { kind: 'wsod-detect', config } satisfies JobStart)) as WsodDetectResult;
      args.out(args.json ? JSON.stringify(r) : `${r.detections} detections on ${r.images} images → ${r.out}`);
    },
  },
};

const wsod = subcommands('wsod', { ...subs, ...wsodCompressSubcommands }, { positionalsAre: 'a wsod run folder', booleans: ['curriculum', 'masking', 'no-rerank'] });

/** `layerlens` commands of the wsod capability. */
export const wsodCommands: CliCommand[] = [wsod];
