import { DiffConfig, ExportConfig, ExportFormats, PtqConfig, TfjsDtypes, type DiffResult, type ExportResult, type PtqResult } from '../../shared/api-export';
import { numFlag, oneOf, required, runJobToEnd, type CliCommand } from '../util';

const kb = (n: number) => (n >= 10_000 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`);
const pct = (x: number | null) => (x === null ? '—' : `${(100 * x).toFixed(2)}%`);
const err = (x: number | null) => (x === null ? '—' : x === 0 ? '0' : x.toExponential(2));

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === 0 || i === r.length - 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd()).join('\n');
}

/** The issue's JSON shape (plus the extra per-layer and verification fields). */
function exportJson(r: ExportResult) {
  const x = r.reports[0];
  return {
    format: x.format,
    files: x.files,
    bytes: x.bytes,
    gzipBytes: x.gzipBytes,
    float32Bytes: x.float32Bytes,
    layers: x.layers.map((l) => ({ name: l.name, bits: l.bits, bytes: l.bytes, gzipBytes: l.gzipBytes, storage: l.storage, maxAbsError: l.maxAbsError, flags: l.flags })),
    verify: x.verify,
  };
}

function formatExport(r: ExportResult): string {
  const x = r.reports[0];
  const v = x.verify;
  const rows = [
    ['layer', 'bits', 'storage', 'bytes', 'gzip', 'max |err|', 'flags'],
    ...x.layers.map((l) => [l.name, l.bits === 32 ? 'float' : String(l.bits), l.storage, String(l.bytes), String(l.gzipBytes), err(l.maxAbsError), l.flags.join('; ')]),
  ];
  return [
    `${x.format}: ${x.files.length} file(s), ${kb(x.bytes)} (gzip ${kb(x.gzipBytes)}; float32 weights ${kb(x.float32Bytes)})`,
    ...x.files.map((f) => `  ${f}`),
    table(rows),
    `verify (${v.runtime}, ${v.n} examples of ${v.data}): top-1 simulated ${pct(v.top1Simulated)}, reloaded ${pct(v.top1Reloaded)}, agreement ${pct(v.agreement)}, max |weight err| ${err(v.maxAbsError)}, max |output diff| ${err(v.maxOutputDiff)}`,
  ].join('\n');
}

function formatDiff(r: DiffResult): string {
  const b = (x: number | null) => (x === null ? '—' : x === 32 ? 'float' : String(x));
  const rows = [
    ['layer', 'B layer(s)', 'bits A→B', 'rank B', 'params A→B', 'FLOPs A→B', 'bytes A→B', 'max |err|', 'rel err'],
    ...r.layers.map((l) => [l.name, l.matched.join('+'), `${b(l.bitsA)}→${b(l.bitsB)}`, l.rankB === null ? '—' : String(l.rankB), `${l.paramsA}→${l.paramsB}`, `${l.flopsA}→${l.flopsB}`, `${l.bytesA}→${l.bytesB}`, err(l.maxAbsError), err(l.relError)]),
  ];
  const side = (n: string, s: DiffResult['a']) => `${n}: ${s.ref} (${s.format}) ${s.params} params, ${s.flops} FLOPs, ${kb(s.bytes)}${s.top1 === null ? '' : `, top-1 ${pct(s.top1)}`}`;
  return [side('A', r.a), side('B', r.b), table(rows), ...(r.onlyA.length ? [`only in A: ${r.onlyA.join(', ')}`] : []), ...(r.onlyB.length ? [`only in B: ${r.onlyB.join(', ')}`] : [])].join('\n');
}

function formatPtq(r: PtqResult): string {
  const f = (x: number) => x.toFixed(6);
  const rows = [['output', 'shape', 'cosine', 'min cos', 'rel err', 'max |diff|', 'top-1 agree'], ...r.outputs.map((o) => [o.name, `[${o.shape.map((d) => d ?? '?').join(',')}]`, f(o.cosine), f(o.minCosine), err(o.relError), err(o.maxAbsDiff), o.top1Agreement === null ? '—' : pct(o.top1Agreement)])];
  const q = r.layers.filter((l) => l.bits < 32);
  return [
    `ptq ${r.bits}-bit ${r.scheme} ${r.granularity}: ${q.length} of ${r.layers.length} weighted nodes of ${r.model} (${r.format}), kernels ${r.compressionRatio.toFixed(2)}× smaller`,
    `output agreement with the float model on ${r.n} ${r.data === 'random' ? `seeded random inputs (seed ${r.seed})` : `${r.split} examples of ${r.data}`}:`,
    table(rows),
    ...(r.layers.some((l) => l.alone)
      ? [`each layer quantized alone (mean over outputs, on ${r.perLayerSplit === 'val' ? `val examples of ${r.data}` : `seeded random inputs (seed ${r.seed + 1})`}):`, table([['layer', 'kind', 'params', 'weight rel err', 'cosine', 'rel err'], ...r.layers.filter((l) => l.alone).map((l) => [l.name, l.kind, String(l.params), err(l.weightRelError), f(l.alone!.cosine), err(l.alone!.relError)])])]
      : []),
    ...(r.top1 ? [`top-1 float ${pct(r.top1.float)}, quantized ${pct(r.top1.quantized)}`] : []),
    ...(r.modelPath ? [`out: ${r.modelPath} (+ policy.json; export uses it)`] : []),
  ].join('\n');
}

/** `layerlens` commands of the export capability. */
export const exportCommands: CliCommand[] = [
  {
    name: 'export',
    usage: `  export <model> [--policy FILE|none] --format <${ExportFormats.join('|')}> --out DIR
        [--data <ref>] [--limit N] [--tfjs-dtype ${TfjsDtypes.join('|')}] [--json]
                                                 write, reload and verify: real bytes per layer, top-1, agreement`,
    options: { policy: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' }, data: { type: 'string' }, limit: { type: 'string' }, 'tfjs-dtype': { type: 'string' } },
    positionals: { count: 1, what: 'a <model>' },
    async run({ values, positionals, json, out, ...rest }) {
      const format = required('format', oneOf('format', values.format, ExportFormats));
      const r = (await runJobToEnd(
        { values, positionals, json, out, ...rest },
        {
          kind: 'export',
          config: {
            model: positionals[0],
            policy: values.policy as string | undefined,
            formats: [format],
            out: required('out', values.out as string | undefined),
            data: values.data as string | undefined,
            limit: numFlag('limit', values.limit, ExportConfig),
            tfjsDtype: oneOf('tfjs-dtype', values['tfjs-dtype'], TfjsDtypes),
          },
        },
      )) as ExportResult;
      out(json ? JSON.stringify(exportJson(r)) : formatExport(r));
    },
  },
  {
    name: 'ptq',
    usage: `  ptq <model> [--bits 8] [--scheme uniform|kmeans|pow2] [--per-channel] [--data <ref>] [--limit N]
        [--seed S] [--skip a,b] [--per-layer] [--out DIR] [--json]
                                                 post-training quantization of any model (tfjs layers/graph, ONNX); output agreement`,
    options: { bits: { type: 'string' }, scheme: { type: 'string' }, 'per-channel': { type: 'boolean' }, 'per-layer': { type: 'boolean' }, data: { type: 'string' }, limit: { type: 'string' }, seed: { type: 'string' }, skip: { type: 'string' }, out: { type: 'string' } },
    positionals: { count: 1, what: 'a <model>' },
    async run(args) {
      const { values, positionals, json, out } = args;
      const r = (await runJobToEnd(args, {
        kind: 'ptq',
        config: {
          model: positionals[0],
          bits: numFlag('bits', values.bits, PtqConfig),
          scheme: oneOf('scheme', values.scheme, ['uniform', 'kmeans', 'pow2'] as const),
          granularity: values['per-channel'] ? 'per-channel' : 'per-tensor',
          data: values.data as string | undefined,
          limit: numFlag('limit', values.limit, PtqConfig),
          seed: numFlag('seed', values.seed, PtqConfig),
          skip: typeof values.skip === 'string' ? values.skip.split(',').map((x) => x.trim()).filter(Boolean) : undefined,
          perLayer: values['per-layer'] === true,
          out: values.out as string | undefined,
        },
      })) as PtqResult;
      out(json ? JSON.stringify(r) : formatPtq(r));
    },
  },
  {
    name: 'diff',
    usage: `  diff <modelA> <modelB> [--data <ref>] [--limit N] [--json]
                                                 per-layer bits, ranks, params, FLOPs, bytes, weight error; top-1 of each`,
    options: { data: { type: 'string' }, limit: { type: 'string' } },
    positionals: { count: 2, what: '<modelA> <modelB>' },
    async run(args) {
      const { values, positionals, json, out } = args;
      const r = (await runJobToEnd(args, { kind: 'diff', config: { a: positionals[0], b: positionals[1], data: values.data as string | undefined, limit: numFlag('limit', values.limit, DiffConfig) } })) as DiffResult;
      out(json ? JSON.stringify(r) : formatDiff(r));
    },
  },
];
