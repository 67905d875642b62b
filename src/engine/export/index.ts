// Export = write a target from the plan, reload it with the runtime that would consume it, and compare it with
// the simulated model: per-layer max-abs weight error, output agreement and top-1 on the evaluation split,
// plus the bytes really written (per layer, in total, gzipped).
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { backendName, initBackend } from '../backend';
import type { RunContext } from '../core/context';
import { plainContext, throwIfCancelled } from '../core/context';
import { UserError } from '../core/errors';
import { makeRng } from '../core/random';
import { loadDataset } from '../data';
import { loadModel } from '../models/io';
import { buildPlan, carriedPolicy, readPolicy, type ParsedPolicy } from './plan';

import { writersOf } from '../formats';
import { agreementOf } from '../models/agreement';
import type { TfjsDtype } from '../formats/tfjs-layers/export';
import { compareOutputs, gz, predictAll, tfPredictor, type ExportSession } from './verify';
import type { ExportConfig, ExportFormat, ExportLayerReport, ExportReport, ExportResult } from '../../shared/api-export';
import { concatArrays } from '../core/arrays';

export type { ExportSession } from './verify';

const VERSION = '0.1.0';

function trainedOn(meta: Record<string, unknown> | undefined): string | undefined {
  const ll = meta?.layerlens as { train?: { data?: unknown }; data?: unknown } | undefined;
  const d = ll?.train?.data ?? ll?.data;
  return typeof d === 'string' ? d : undefined;
}

/** Loads the model, builds the plan, evaluates the simulated model once. `policy: 'none'` ignores a carried policy. */
export async function openSession(cfg: { model: string; policy?: string | ParsedPolicy; data?: string; limit?: number }, ctx: RunContext = plainContext()): Promise<ExportSession> {
  await initBackend();
  ctx.progress({ fraction: 0, stage: 'loading model' });
  const source = await loadModel(cfg.model);
  try {
    let policy: ParsedPolicy | undefined;
    let policyPath: string | null = null;
    if (typeof cfg.policy === 'string' && cfg.policy !== 'none') {
      policy = readPolicy(cfg.policy);
      policyPath = resolve(cfg.policy);
    } else if (typeof cfg.policy === 'object') policy = cfg.policy;
    else if (cfg.policy === undefined) {
      const carried = carriedPolicy(source);
      policy = carried?.policy;
      policyPath = carried?.from ?? null;
    }
    ctx.progress({ fraction: 0.03, stage: 'quantizing under the policy' });
    let plan: Awaited<ReturnType<typeof buildPlan>>;
    try {
      plan = await buildPlan(source, policy);
    } catch (e) {
      // a policy the model carries but that does not fit it: say where it came from and how to ignore it
      if (e instanceof UserError && cfg.policy === undefined && policyPath) throw new UserError(`${e.message.replace(/^.*?: (?=policy )/, '')} (--policy none ignores it)`, policyPath);
      throw e;
    }
    const shape = source.inputShape.slice(1);
    if (shape.some((d) => d === null)) throw new UserError('export needs a model with a fixed input size', source.path ?? source.ref);
    const ishape = shape as number[];
    // the dataset to verify on: asked for, else the one the model was trained on, else the policy's
    const fromPolicy = typeof policy?.provenance?.data === 'string' ? policy.provenance.data : undefined;
    const dataRef = cfg.data ?? trainedOn(source.metadata) ?? fromPolicy;
    let x: Float32Array;
    let y: Uint8Array | null = null;
    let n: number;
    if (dataRef) {
      ctx.progress({ fraction: 0.05, stage: 'loading data' });
      const ds = await loadDataset(dataRef);
      if (ds.shape.join('x') !== ishape.join('x')) throw new UserError(`model expects input ${ishape.join('×')} but dataset ${dataRef} gives ${ds.shape.join('×')}`);
      n = Math.min(ds.test.n, cfg.limit ?? ds.test.n);
      const per = ishape.reduce((a, b) => a * b, 1);
      x = ds.test.x.subarray(0, n * per);
      y = ds.test.y.subarray(0, n);
    } else {
      // no labelled data known: agreement on seeded random inputs still checks the written file
      n = Math.min(cfg.limit ?? 64, 256);
      const rng = makeRng(7);
      x = Float32Array.from({ length: n * ishape.reduce((a, b) => a * b, 1) }, () => rng());
    }
    // a file with a fixed batch size (graph models often say 1) is fed that many at a time
    const fixed = source.inputShape[0];
    const batch = fixed ?? 256;
    if (fixed && n % fixed !== 0) n -= n % fixed;
    ctx.progress({ fraction: 0.08, stage: 'evaluating the simulated model' });
    const simulatedAll = await predictAll(x, n, ishape, tfPredictor(plan.run, ishape), ctx, batch);
    const simulated = simulatedAll[0];
    const classes = n ? simulated.length / n : 1;
    return {
      source,
      plan,
      policyPath,
      evalSet: { x, y, n, shape: ishape, data: dataRef ?? 'random', simulated, simulatedAll, outputs: plan.run.outputs, classes, batch },
      dispose: () => {
        plan.dispose();
        source.dispose();
      },
    };
  } catch (e) {
    source.dispose();
    throw e;
  }
}

function metadataFor(s: ExportSession, format: ExportFormat, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    layerlens: {
      export: { format, tool: `layerlens ${VERSION}`, source: s.source.ref, createdAt: new Date().toISOString(), ...extra },
      policy: s.plan.policy ?? null,
      provenance: s.plan.policy?.provenance ?? null,
      source: s.source.metadata?.layerlens ?? null,
    },
  };
}

/** Writes one target into `dir` through the format registry, reloads and verifies it. */
export async function exportTarget(s: ExportSession, format: ExportFormat, dir: string, opts: { tfjsDtype?: TfjsDtype } = {}, ctx: RunContext = plainContext()): Promise<ExportReport> {
  const out = resolve(dir);
  const writer = writersOf(format, s.plan)[0];
  if (!writer?.write || !writer.verify) throw new UserError(`no writer for format ${format}`);
  const tfjsDtype = opts.tfjsDtype ?? (s.plan.policy ? 'policy' : 'float32');
  const w = await writer.write(s, out, { metadata: metadataFor(s, format, format === 'tfjs' ? { tfjsDtype } : {}), tfjsDtype }, ctx);
  const v = await writer.verify(s, w, out, ctx);
  const cmp = compareOutputs(s.evalSet, v.reloaded[0]);
  // every output of the reloaded file against the simulated model's
  const outputs = s.evalSet.outputs.map((o, i) => {
    const got = v.reloaded[i];
    const ref = s.evalSet.simulatedAll[i];
    if (!got || got.length !== ref.length) throw new UserError(`${format}: output ${o.name} did not come back from the written file (${got?.length ?? 0} values, want ${ref.length})`, w.files[0]);
    return agreementOf({ name: o.name, shape: o.shape, reference: ref, candidate: got, n: s.evalSet.n });
  });
  const layers: ExportLayerReport[] = s.plan.layers.map((l) => ({
    name: l.name,
    kind: l.kind,
    bits: l.bits,
    params: l.weights.reduce((a, w) => a + w.values.length, 0),
    bytes: w.bytes.get(l.name) ?? 0,
    gzipBytes: gz(concatArrays(Uint8Array, w.data.get(l.name) ?? [])),
    storage: w.storage.get(l.name) ?? 'float32',
    flags: w.flags.get(l.name) ?? [],
    maxAbsError: v.errors.get(l.name) ?? 0,
  }));
  const bytes = w.files.reduce((a, f) => a + statSync(f).size, 0);
  const gzipBytes = w.files.reduce((a, f) => a + gz(new Uint8Array(readFileSync(f))), 0);
  return {
    format,
    files: w.files,
    bytes,
    gzipBytes,
    float32Bytes: layers.reduce((a, l) => a + 4 * l.params, 0),
    layers,
    verify: {
      maxAbsError: Math.max(0, ...layers.map((l) => l.maxAbsError)),
      ...cmp,
      outputs,
      n: s.evalSet.n,
      data: s.evalSet.data,
      runtime: v.runtime,
    },
  };
}

/** The export job: every requested target, each verified. One format → `out` itself; several → out/<format>/. */
export async function run(config: ExportConfig & { out: string }, ctx: RunContext): Promise<ExportResult> {
  const s = await openSession({ model: config.model, policy: config.policy, data: config.data, limit: config.limit }, ctx);
  try {
    const reports: ExportReport[] = [];
    const out = resolve(config.out);
    for (const [i, f] of config.formats.entries()) {
      throwIfCancelled(ctx);
      const sub = ctx.progress;
      const scaled: RunContext = { ...ctx, progress: (p) => sub({ ...p, fraction: 0.1 + (0.9 * (i + p.fraction)) / config.formats.length, stage: `${f}: ${p.stage ?? ''}` }) };
      scaled.progress({ fraction: 0, stage: 'writing' });
      const dir = config.formats.length === 1 ? out : join(out, f);
      if (config.formats.length > 1) rmSync(dir, { recursive: true, force: true });
      const r = await exportTarget(s, f, dir, { tfjsDtype: config.tfjsDtype }, scaled);
      reports.push(r);
      ctx.progress({ fraction: 0.1 + (0.9 * (i + 1)) / config.formats.length, stage: `${f} verified`, metrics: { [`${f}Bytes`]: r.bytes } });
    }
    return { model: config.model, policy: s.policyPath, out, reports, backend: backendName() };
  } finally {
    s.dispose();
  }
}
