import { parseArgs, type ParseArgsConfig } from 'node:util';
import { resolve } from 'node:path';
import { Archs, EvalConfig, TrainConfig, type Arch, type TrainResult } from '../shared/api';
import { EvaluatorChoice } from '../shared/common';
import { firstLine, oneLine } from '../engine/core/errors';
import { defaultWorkspaceDir } from '../engine/jobs/workspace';
import { formatInspect, formatJobs } from './format';
import { stringFlags, UsageError, finishJob, int, numFlag, oneOf, required, runJob, withService, type CliCommand } from './util';
import { quantCommands } from './commands/quant';
import { lowrankCommands } from './commands/lowrank';
import { exportCommands } from './commands/export';
import { wsodCommands } from './commands/wsod';
import { wsodCompressCommands } from './commands/wsod-compress';
import { partsCommands } from './commands/parts';
import { actionCommands } from './commands/action';
import { annotationCommands } from './commands/annotations';
import { reportCommands } from './commands/report';
import { workerCommands } from './commands/worker';
import { formatEval } from './commands/eval-format';
import type { EvalResult } from '../shared/api-eval';

/** Commands of the capabilities beyond the engine core, one file per domain. */
const extra: CliCommand[] = [...quantCommands, ...lowrankCommands, ...exportCommands, ...wsodCommands, ...wsodCompressCommands, ...partsCommands, ...actionCommands, ...annotationCommands, ...reportCommands, ...workerCommands];

const USAGE = `usage: layerlens <command> [options]

commands:
  inspect <model> [--json]                       list every weighted layer: shapes, params, FLOPs, stats
  train --arch <${Archs.join('|')}> --data <ref> --epochs N [--out DIR]
        [--seed S] [--optimizer adam|sgd] [--lr X] [--schedule constant|cosine] [--augment none|shift]
        [--batch-size B] [--limit N] [--eval-limit N] [--val-fraction F] [--val-seed S] [--json]
                                                 per-epoch valTop1 on val (first --eval-limit), final top-1 on test
  eval <model> --data <ref> [--split val|test] [--metrics a,b] [--limit N] [--evaluator auto|tfjs|ort] [--json]
                                                 the dataset task's metrics (top1, top5, perClass, confusion
                                                 for classification) on one split (default test)
  jobs [--json]                                  jobs recorded in the workspace
  resume <job-id> [--json]                       continue a resumable (killed) job from its checkpoint
  serve [--port N]                               studio in the browser, on 127.0.0.1 only
${extra.map((c) => c.usage).join('\n')}

  <model>  a path to model.json (or its folder) or builtin:<name>
  <ref>    mnist, fashion-mnist, or an image folder (one sub-folder per class)
  --workspace DIR  where jobs are recorded (default ${defaultWorkspaceDir()})
  --redis URL      run the jobs on queue workers (layerlens worker) instead of local threads (or LAYERLENS_REDIS)`;

const common = {
  json: { type: 'boolean' },
  workspace: { type: 'string' },
  redis: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

const commands = {
  inspect: { ...common },
  train: {
    ...common,
    ...stringFlags('arch', 'data', 'epochs', 'out', 'seed', 'optimizer', 'lr', 'batch-size', 'limit', 'eval-limit', 'schedule', 'augment', 'val-fraction', 'val-seed'),
  },
  eval: {
    ...common,
    ...stringFlags('data', 'limit', 'batch-size', 'split', 'metrics', 'val-fraction', 'val-seed', 'evaluator'),
  },
  jobs: { ...common },
  resume: { ...common },
  serve: { ...common, port: { type: 'string' } },
} as const satisfies Record<string, ParseArgsConfig['options']>;
type Command = keyof typeof commands;

function parse(argv: string[]) {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') return { cmd: 'help' as const };
  const other = extra.find((c) => c.name === cmd);
  if (!(cmd in commands) && !other) throw new UsageError(`unknown command "${cmd}" (try layerlens --help)`);
  const options = other ? { ...common, ...other.options } : commands[cmd as Command];
  try {
    const { values, positionals } = parseArgs({ args: rest, options, allowPositionals: true, strict: true });
    return { cmd: cmd as Command, other, values: values as Record<string, string | boolean | undefined>, positionals };
  } catch (e) {
    // node's messages are long and multi-line; keep the first sentence
    throw new UsageError(`${cmd}: ${firstLine((e as Error).message).replace(/\. To specify.*$/, '')}`);
  }
}

export async function main(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s + '\n')): Promise<number> {
  try {
    const p = parse(argv);
    if (p.cmd === 'help') {
      out(USAGE);
      return 0;
    }
    const { cmd, other, values, positionals } = p;
    if (values.help) {
      out(USAGE);
      return 0;
    }
    const json = values.json === true;
    // the service of this process reads it (createService through withService)
    if (typeof values.redis === 'string') process.env.LAYERLENS_REDIS = values.redis;
    const ws = values.workspace as string | undefined;
    const bar = !json && process.stderr.isTTY === true;
    const expectArgs = (n: number, what: string) => {
      if (positionals.length !== n) {
        throw new UsageError(n === 0 ? `${cmd} takes no positional arguments (got "${positionals[0]}")` : `${cmd} needs ${what}`);
      }
    };
    if (other) {
      if (other.positionals.count >= 0) expectArgs(other.positionals.count, other.positionals.what);
      await other.run({ values, positionals, json, bar, workspace: ws, out });
      return 0;
    }
    switch (cmd) {
      case 'inspect': {
        expectArgs(1, 'a <model>');
        const r = await withService(ws, (s) => s.call('model.inspect', { model: positionals[0] }));
        out(json ? JSON.stringify(r) : formatInspect(r));
        return 0;
      }
      case 'eval': {
        expectArgs(1, 'a <model>');
        const config = {
          model: positionals[0],
          data: required('data', values.data as string | undefined),
          limit: numFlag('limit', values.limit, EvalConfig),
          batchSize: numFlag('batch-size', values['batch-size'], EvalConfig),
          split: oneOf('split', values.split, ['val', 'test'] as const),
          metrics: values.metrics !== undefined ? String(values.metrics).split(',').map((m) => m.trim()).filter(Boolean) : undefined,
          valFraction: numFlag('val-fraction', values['val-fraction'], EvalConfig),
          valSeed: numFlag('val-seed', values['val-seed'], EvalConfig),
          evaluator: oneOf('evaluator', values.evaluator, EvaluatorChoice.options),
        };
        const r = (await withService(ws, async (s) =>
          finishJob(await runJob(s, async (s) => (await s.call('jobs.start', { kind: 'eval', config })).id, bar)),
        )) as EvalResult;
        out(json ? JSON.stringify({ split: r.split, n: r.n, metrics: r.metrics, backend: r.backend, evaluator: r.evaluator }) : formatEval(r));
        return 0;
      }
      case 'train': {
        expectArgs(0, '');
        const arch = required('arch', values.arch as string | undefined);
        if (!(Archs as readonly string[]).includes(arch)) throw new UsageError(`--arch must be one of ${Archs.join(', ')}, got "${arch}"`);
        const optimizer = oneOf('optimizer', values.optimizer, ['adam', 'sgd'] as const);
        const config = {
          arch: arch as Arch,
          data: required('data', values.data as string | undefined),
          epochs: required('epochs', numFlag('epochs', values.epochs, TrainConfig)),
          out: values.out !== undefined ? resolve(values.out as string) : undefined,
          seed: numFlag('seed', values.seed, TrainConfig),
          optimizer,
          schedule: oneOf('schedule', values.schedule, ['constant', 'cosine'] as const),
          augment: oneOf('augment', values.augment, ['none', 'shift'] as const),
          learningRate: numFlag('lr', values.lr, TrainConfig, 'learningRate'),
          batchSize: numFlag('batch-size', values['batch-size'], TrainConfig),
          limit: numFlag('limit', values.limit, TrainConfig),
          evalLimit: numFlag('eval-limit', values['eval-limit'], TrainConfig),
          valFraction: numFlag('val-fraction', values['val-fraction'], TrainConfig),
          valSeed: numFlag('val-seed', values['val-seed'], TrainConfig),
        };
        const r = await withService(ws, async (s) =>
          finishJob(await runJob(s, async (s) => (await s.call('jobs.start', { kind: 'train', config })).id, bar)),
        );
        out(json ? JSON.stringify(r) : formatTrain(r as TrainResult));
        return 0;
      }
      case 'resume': {
        expectArgs(1, 'a <job-id>');
        const r = await withService(ws, async (s) =>
          finishJob(await runJob(s, async (s) => (await s.call('jobs.resume', { id: positionals[0] })).id, bar)),
        );
        out(json ? JSON.stringify(r) : JSON.stringify(r, null, 2));
        return 0;
      }
      case 'jobs': {
        expectArgs(0, '');
        const jobs = await withService(ws, (s) => s.call('jobs.list', {}));
        out(json ? JSON.stringify(jobs) : formatJobs(jobs));
        return 0;
      }
      case 'serve': {
        expectArgs(0, '');
        const { serveCommand } = await import('../server');
        await serveCommand({ port: int('port', values.port as string | undefined), workspace: ws });
        return 0;
      }
    }
  } catch (e) {
    process.stderr.write(`layerlens: ${oneLine(e)}\n`);
    return e instanceof UsageError ? 2 : 1;
  }
}

function formatTrain(r: TrainResult): string {
  const last = r.history.at(-1);
  const val = last ? `; val top-1 ${(last.valTop1 * 100).toFixed(2)} % on ${r.val.n} val images after the last epoch` : '';
  return `trained ${r.arch} on ${r.data} for ${r.epochs} epochs (seed ${r.seed}, backend ${r.backend}): top-1 ${(r.top1 * 100).toFixed(2)} % on ${r.n} test images${val}\nmodel: ${r.modelPath}`;
}
