import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ExportFormats } from '../../shared/api-export';
import { WsodCompressConfig, WsodSensitivityConfig, type WsodCompressResult, type WsodSensitivityResult } from '../../shared/api-wsod-compress';
import type { WsodScores } from '../../shared/api-wsod';
import { UsageError, asSubcommand, numFlag, numListFlag, oneOf, required, runJobToEnd, stringFlags, type CliCommand, type Subcommand, type Values } from '../util';

const pct = (x: number) => `${(x * 100).toFixed(2)} %`;
const list = (v: unknown) => (v === undefined ? undefined : String(v).split(',').map((s) => s.trim()).filter(Boolean));
const splitOpts = (v: Values, schema: typeof WsodSensitivityConfig | typeof WsodCompressConfig) => ({
  valFraction: numFlag('val-fraction', v['val-fraction'], schema),
  valSeed: numFlag('val-seed', v['val-seed'], schema),
});
const quantOpts = (v: Values) => ({
  method: oneOf('method', v.method, ['uniform', 'pow2', 'kmeans'] as const),
  granularity: oneOf('granularity', v.granularity, ['per-tensor', 'per-channel'] as const),
});

function formatSensitivity(r: WsodSensitivityResult): string {
  const bits = Object.keys(r.layers[0]?.bits ?? {}).sort((a, b) => Number(b) - Number(a));
  const w = Math.max(6, ...r.layers.map((l) => l.name.length));
  const head = `${'layer'.padEnd(w)}  ${'params'.padStart(7)}  ${bits.map((b) => `${b}-bit`.padStart(8)).join('  ')}`;
  const rows = r.layers.map((l) => `${l.name.padEnd(w)}  ${String(l.params).padStart(7)}  ${bits.map((b) => pct(l.bits[b]).padStart(8)).join('  ')}`);
  const policy = `suggested policy (each layer alone within ${pct(r.tolerance)} of the float mAP): ${Object.entries(r.policy.layers).map(([k, p]) => `${k}=${p.bits}`).join(' ')}`;
  return [`float mAP@0.5 ${pct(r.baseline)} (CorLoc ${pct(r.baselineCorloc)}) on ${r.n} val images; one layer at a time (${r.method}, ${r.granularity}):`, head, ...rows, policy].join('\n');
}

const scoreLine = (what: string, s: WsodScores) => `${what.padEnd(11)} mAP@0.5 ${pct(s.mAP50).padStart(8)}  CorLoc ${pct(s.corloc).padStart(8)}  (${s.n} ${s.split} images)`;

function formatCompress(r: WsodCompressResult): string {
  const lines = [
    scoreLine('float', r.float.test),
    scoreLine('compressed', r.compressed.test),
    `val: float ${pct(r.float.val.mAP50)}, compressed ${pct(r.compressed.val.mAP50)} mAP@0.5`,
    `weights ${r.size.floatBytes} → ${r.size.compressedBytes} bytes (${r.size.ratio.toFixed(2)}×); MACs backbone ${r.macs.float.backbone ?? '?'} → ${r.macs.compressed.backbone ?? '?'}, head per RoI ${r.macs.float.headPerRoI} → ${r.macs.compressed.headPerRoI}`,
    `layers: ${r.layers.map((l) => `${l.name}=${l.bits}`).join(' ')}`,
  ];
  if (r.lowrank) lines.push(`low rank: ${Object.entries(r.lowrank.ranks).map(([k, v]) => `${k}@${v}`).join(' ')}`);
  const counts = (c: Record<string, number>) => (['same', 'moved', 'rescored', 'gone', 'new'] as const).map((k) => `${k} ${c[k]}`).join(', ');
  lines.push(`test boxes vs float: ${counts(r.changes)}; scoring ≥ ${r.confidentChanges.minScore}: ${counts(r.confidentChanges)}`);
  for (const e of r.exports) lines.push(`export ${e.part} ${e.report.format}: ${e.report.bytes} bytes, max |error| ${e.report.verify.maxAbsError.toExponential(2)} (${e.report.files[0]})`);
  lines.push(`out: ${r.out} (Review: open the run ${r.model} with compare = this folder)`);
  return lines.join('\n');
}

const sensitivity: CliCommand = {
  name: 'wsod-sensitivity',
  usage: `  wsod sensitivity <run> [--data DIR] [--layers backbone/conv1,head/fc,…] [--bits 8,6,4,3,2] [--method uniform|pow2|kmeans]
        [--granularity per-channel|per-tensor] [--limit N] [--seed S] [--tolerance T] [--policy-out FILE]
        [--val-fraction F] [--val-seed S] [--json]
                                                 val mAP@0.5 of a wsod detector with one layer quantized at a time;
                                                 --policy-out writes the suggested policy for wsod compress --policy`,
  options: stringFlags('data', 'layers', 'bits', 'method', 'granularity', 'limit', 'seed', 'tolerance', 'policy-out', 'val-fraction', 'val-seed'),
  positionals: { count: 1, what: 'a <run> folder' },
  async run(a) {
    const v = a.values;
    const config: WsodSensitivityConfig = {
      model: resolve(a.positionals[0]),
      data: v.data as string | undefined,
      layers: list(v.layers),
      bits: numListFlag('bits', v.bits, WsodSensitivityConfig),
      ...quantOpts(v),
      limit: numFlag('limit', v.limit, WsodSensitivityConfig),
      seed: numFlag('seed', v.seed, WsodSensitivityConfig),
      tolerance: numFlag('tolerance', v.tolerance, WsodSensitivityConfig),
      ...splitOpts(v, WsodSensitivityConfig),
    };
    const policyOut = v['policy-out'] !== undefined ? resolve(String(v['policy-out'])) : undefined;
    const r = (await runJobToEnd(a, { kind: 'wsod-sensitivity', config })) as WsodSensitivityResult;
    if (policyOut) writeFileSync(policyOut, JSON.stringify(r.policy, null, 2));
    a.out(a.json ? JSON.stringify(r) : formatSensitivity(r));
  },
};

const lowrankSchema = WsodCompressConfig.shape.lowrank;

const compress: CliCommand = {
  name: 'wsod-compress',
  usage: `  wsod compress <run> --out DIR [--data DIR] [--bits B | --policy FILE] [--method uniform|pow2|kmeans]
        [--granularity per-channel|per-tensor] [--lowrank head/fc,backbone/conv3] [--energy E | --speedup X]
        [--scheme channel|spatial] [--formats onnx,packed,tfjs,aimet] [--limit N] [--seed S] [--json]
                                                 a compressed copy of a wsod run: float vs compressed on test, sizes,
                                                 boxes that changed; Review opens the run with --compare DIR`,
  options: stringFlags('out', 'data', 'bits', 'policy', 'method', 'granularity', 'lowrank', 'energy', 'speedup', 'scheme', 'formats', 'limit', 'seed', 'val-fraction', 'val-seed'),
  positionals: { count: 1, what: 'a <run> folder' },
  async run(a) {
    const v = a.values;
    const energy = numFlag('energy', v.energy, lowrankSchema, 'energy');
    const speedup = numFlag('speedup', v.speedup, lowrankSchema, 'speedup');
    const scheme = oneOf('scheme', v.scheme, ['channel', 'spatial'] as const);
    const lowrankLayers = list(v.lowrank);
    const lowrank = lowrankLayers || energy !== undefined || speedup !== undefined ? { layers: lowrankLayers, energy, speedup, scheme } : undefined;
    const formats = list(v.formats)?.map((f) => {
      if (!(ExportFormats as readonly string[]).includes(f)) throw new UsageError(`--formats: unknown format "${f}" (have: ${ExportFormats.join(', ')})`);
      return f as (typeof ExportFormats)[number];
    });
    if (v.bits === undefined && v.policy === undefined && !lowrank) throw new UsageError('wsod-compress needs --bits, --policy or --lowrank');
    const config: WsodCompressConfig = {
      model: resolve(a.positionals[0]),
      out: resolve(required('out', v.out as string | undefined)),
      data: v.data as string | undefined,
      bits: numFlag('bits', v.bits, WsodCompressConfig),
      policy: v.policy !== undefined ? resolve(String(v.policy)) : undefined,
      ...quantOpts(v),
      lowrank,
      formats,
      limit: numFlag('limit', v.limit, WsodCompressConfig),
      seed: numFlag('seed', v.seed, WsodCompressConfig),
      ...splitOpts(v, WsodCompressConfig),
    };
    const r = (await runJobToEnd(a, { kind: 'wsod-compress', config })) as WsodCompressResult;
    a.out(a.json ? JSON.stringify(r) : formatCompress(r));
  },
};

/** `layerlens wsod sensitivity|compress` (registered by the wsod command). */
export const wsodCompressSubcommands: Record<string, Subcommand> = {
  sensitivity: asSubcommand(sensitivity),
  compress: asSubcommand(compress),
};

// the first names these had, kept working: same flags, same run
const alias = (cmd: CliCommand, of: string): CliCommand => ({ ...cmd, usage: `  ${cmd.name} …`.padEnd(49) + `alias of ${of}` });
export const wsodCompressCommands: CliCommand[] = [alias(sensitivity, 'wsod sensitivity'), alias(compress, 'wsod compress')];
