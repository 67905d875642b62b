/**
 * A compressed copy of a wsod run folder: low-rank factorisation of chosen layers (SVD, no fine-tuning), then
 * per-layer quantization (policy or uniform bits; the saved weights are the dequantized values and each model
 * carries its policy, so export stores the codes); scored float vs compressed on test (reported) and val, with the
 * copy's detections written so that Review can open the float run with `compare` = the copy.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { z } from 'zod';
import { Policy as PolicySchema, type LayerPolicy } from '../../../shared/common';
import type { WsodCompressConfig as Schema, WsodCompressLayer, WsodCompressResult } from '../../../shared/api-wsod-compress';
import type { BoxChange } from '../../../shared/api-review';
import * as tf from '../../backend/tf';
import { backendName, initBackend } from '../../backend';
import type { RunContext } from '../../core/context';
import { throwIfCancelled } from '../../core/context';
import { UserError } from '../../core/errors';
import { splitsOf } from '../../data';
import { exportTarget, openSession } from '../../export';
import { readPolicy, type ParsedPolicy } from '../../export/plan';
import { candidates, decomposeModel, modelFlops } from '../../lowrank/decompose';
import { planRanks } from '../../lowrank/plan';
import { modelSpectra } from '../../lowrank/spectrum';
import { saveLayersModel } from '../../models/io';
import type { QuantizedTensor } from '../../quant/quantizers';
import { compareDetections } from '../../review/compare';
import { BACKBONE_DIR, HEAD_DIR, loadDetector, META_FILE, type Detector } from '../../wsod/detector';
import { contractDetections } from '../../wsod/evaluate';
import { detectorLayers, findLayer, kernelBytes, quantizeLayer, withInputShape, type DetectorPart } from '../../wsod/compress';
import { evaluateOn, writeDetections } from '../wsod/eval';
import { disposeDetector, openRun } from './common';

export type WsodCompressConfig = z.output<typeof Schema>;

const PARTS = ['backbone', 'head'] as const;
/** the detector keeps its top boxes per class down to score 0: most are noise, so changes are also counted above this */
const CONFIDENT = 0.3;

function parsePolicy(p: NonNullable<WsodCompressConfig['policy']>): ParsedPolicy {
  if (typeof p === 'string') return readPolicy(p);
  return PolicySchema.parse(p) as ParsedPolicy;
}

/** The model with its free spatial input fixed to the images' size (FLOPs, low rank and export need it). */
async function fixedSize(det: Detector, part: DetectorPart, image: { width: number; height: number; channels: number }): Promise<tf.LayersModel> {
  if (part === 'head') return det.head;
  return withInputShape(det.backbone, [null, image.height, image.width, image.channels]);
}

type LowrankInfo = NonNullable<WsodCompressResult['lowrank']>;

/** Factorises the chosen layers of each part in place of the detector's models; returns ranks and per-layer costs. */
async function factorise(det: Detector, opts: NonNullable<WsodCompressConfig['lowrank']>, image: { width: number; height: number; channels: number }): Promise<LowrankInfo> {
  const named = PARTS.flatMap((part) => det[part].layers.filter((l) => ['Conv2D', 'Dense'].includes(l.getClassName())).map((l) => ({ name: `${part}/${l.name}`, part, local: l.name })));
  const chosen = opts.layers.map((n) => findLayer(named, n, 'factorisable layer'));
  const info: LowrankInfo = { ranks: {}, layers: [] };
  for (const part of PARTS) {
    const mine = chosen.filter((c) => c.part === part).map((c) => c.local);
    if (!mine.length) continue;
    const model = await fixedSize(det, part, image);
    try {
      const cands = new Map(candidates(model, opts.scheme).map((c) => [c.name, c]));
      for (const m of mine) if (!cands.has(m)) throw new UserError(`${part}/${m} cannot be factorised (have: ${[...cands.keys()].map((k) => `${part}/${k}`).join(', ')})`);
      const spectra = modelSpectra(model, opts.scheme, { only: mine });
      const inputs = spectra.map((s) => ({ candidate: cands.get(s.name)!, s: s.singularValues }));
      // a speed-up is over the chosen layers' MACs, not the whole part's
      const budget = inputs.reduce((a, i) => a + i.candidate.flops, 0);
      const ranks = planRanks(inputs, opts.speedup ? { kind: 'speedup', speedup: opts.speedup } : { kind: 'energy', energy: opts.energy }, opts.scheme, budget);
      const dec = await decomposeModel(model, opts.scheme, ranks);
      for (const l of dec.layers) {
        info.ranks[`${part}/${l.name}`] = l.rank;
        info.layers.push({ name: `${part}/${l.name}`, rank: l.rank, fullRank: l.fullRank, decomposed: l.decomposed, flopsBefore: l.flopsBefore, flopsAfter: l.flopsAfter });
      }
      // the detector takes any image size: free the backbone's spatial input again
      const next = part === 'backbone' ? await withInputShape(dec.model, [null, null, null, image.channels]) : dec.model;
      if (next !== dec.model) dec.model.dispose();
      det[part].dispose();
      det[part] = next;
    } finally {
      if (part === 'backbone') model.dispose(); // the fixed-size copy
    }
  }
  return info;
}

interface Quantized {
  /** full layer name → codes (absent: float) */
  codes: Map<string, QuantizedTensor>;
  /** per part, the policy its saved model carries (local names) */
  policies: Record<DetectorPart, ParsedPolicy>;
}

/** Quantizes every layer the policy or `bits` names, in place. A policy entry for a factorised layer covers both factors. */
function quantizeAll(det: Detector, config: WsodCompressConfig): Quantized {
  const layers = detectorLayers(det);
  const want = new Map<string, Required<Pick<LayerPolicy, 'bits' | 'method' | 'granularity' | 'symmetric'>>>();
  if (config.bits !== undefined) for (const l of layers) want.set(l.name, { bits: config.bits, method: config.method, granularity: config.granularity, symmetric: true });
  if (config.policy !== undefined) {
    const policy = parsePolicy(config.policy);
    for (const [name, lp] of Object.entries(policy.layers)) {
      const factors = layers.filter((l) => l.name === `${name}_lr1` || l.name === `${name}_lr2` || l.local === `${name}_lr1` || l.local === `${name}_lr2`);
      const targets = factors.length ? factors : [findLayer(layers, name)];
      for (const t of targets) want.set(t.name, { bits: lp.bits, method: lp.method, granularity: lp.granularity, symmetric: lp.symmetric });
    }
  }
  const codes = new Map<string, QuantizedTensor>();
  const policies: Quantized['policies'] = { backbone: { version: 1, layers: {} }, head: { version: 1, layers: {} } };
  for (const l of layers) {
    const lp = want.get(l.name);
    if (!lp || lp.bits >= 32) continue;
    if (lp.bits > 16) throw new UserError(`policy for ${l.name}: ${lp.bits} bits — stored codes take 1–16 bits, or 32 (float)`);
    codes.set(l.name, quantizeLayer(l, { ...lp, seed: config.seed }));
    policies[l.part].layers[l.local] = lp;
  }
  return { codes, policies };
}

/** Every weighted layer's params and bytes (float32 biases; kernels at their codes' bits when quantized). */
function sizeOf(det: Detector, codes: Map<string, QuantizedTensor>): WsodCompressLayer[] {
  return detectorLayers(det).map((l) => {
    const params = det[l.part].getLayer(l.local).countParams();
    const q = codes.get(l.name) ?? null;
    return { name: l.name, params, bits: q ? q.spec.bits : 32, bytes: kernelBytes(l.size, q) + 4 * (params - l.size), floatBytes: 4 * params };
  });
}

async function macsOf(det: Detector, image: { width: number; height: number; channels: number }): Promise<{ backbone: number | null; headPerRoI: number }> {
  const fixed = await fixedSize(det, 'backbone', image);
  try {
    return { backbone: modelFlops(fixed), headPerRoI: modelFlops(det.head) };
  } finally {
    fixed.dispose();
  }
}

export async function run(config: WsodCompressConfig & { out: string }, ctx: RunContext): Promise<WsodCompressResult> {
  const t0 = Date.now();
  if (config.policy === undefined && config.bits === undefined && config.lowrank === undefined) throw new UserError('wsod-compress: give a policy, bits or lowrank (nothing to compress)');
  await initBackend();
  ctx.progress({ fraction: 0, stage: 'loading' });
  const { dir, det: float, data, ds } = await openRun(config);
  const out = resolve(config.out);
  if (out === dir) throw new UserError('is the float run itself: the compressed copy needs another folder (--out)', out);
  let comp: Detector | null = null;
  try {
    const test = ds.test.images.slice(0, config.limit ?? Infinity);
    const val = ds.val.images.slice(0, config.limit ?? Infinity);
    if (!test.length) throw new UserError(`${data} has no test images to score on`);
    const image = test[0];
    comp = await loadDetector(dir);

    ctx.progress({ fraction: 0.05, stage: 'compressing' });
    const lowrank = config.lowrank ? await factorise(comp, config.lowrank, image) : undefined;
    const q = quantizeAll(comp, config);
    throwIfCancelled(ctx);

    // the copy: both models (each with the policy it carries, for export) and the run description
    mkdirSync(out, { recursive: true });
    const compression = { source: dir, bits: config.bits ?? null, method: config.method, granularity: config.granularity, lowrank: lowrank?.ranks ?? null, seed: config.seed };
    for (const part of PARTS) {
      const policy = q.policies[part];
      await saveLayersModel(comp[part], join(out, part === 'backbone' ? BACKBONE_DIR : HEAD_DIR), { layerlens: { ...(Object.keys(policy.layers).length ? { policy } : {}), wsodCompression: compression } });
    }
    writeFileSync(join(out, META_FILE), JSON.stringify({ ...comp.meta, compression }, null, 2));
    const layers = sizeOf(comp, q.codes);
    const floatLayers = sizeOf(float, new Map());
    const macs = { float: await macsOf(float, image), compressed: await macsOf(comp, image) };
    disposeDetector(comp);
    comp = null;
    // what is scored is what was written: the copy reloaded the way `wsod eval` and Review load it
    comp = await loadDetector(out);

    ctx.progress({ fraction: 0.15, stage: `float detector on ${test.length} test images` });
    const ft = evaluateOn(float, 'test', test);
    throwIfCancelled(ctx);
    ctx.progress({ fraction: 0.35, stage: `compressed detector on ${test.length} test images` });
    const ct = evaluateOn(comp, 'test', test);
    throwIfCancelled(ctx);
    ctx.progress({ fraction: 0.55, stage: `both on ${val.length} val images` });
    const fv = evaluateOn(float, 'val', val);
    const cv = evaluateOn(comp, 'val', val);
    await writeDetections(join(out, 'detections-test.json'), test, ct.dets, comp.meta.classNames);
    await writeDetections(join(out, 'detections-val.json'), val, cv.dets, comp.meta.classNames);

    const floatBoxes = contractDetections(test, ft.dets);
    const cmp = compareDetections(floatBoxes, contractDetections(test, ct.dets));
    const changes: Record<BoxChange, number> = { same: 0, moved: 0, rescored: 0, gone: 0, new: cmp.added.length };
    const confidentChanges = { minScore: CONFIDENT, same: 0, moved: 0, rescored: 0, gone: 0, new: cmp.added.filter((d) => d.score >= CONFIDENT).length };
    cmp.changes.forEach((c, i) => {
      changes[c.change]++;
      if (floatBoxes[i].score >= CONFIDENT) confidentChanges[c.change]++;
    });

    const exports: WsodCompressResult['exports'] = [];
    if (config.formats.length) {
      // export reads a model file with a fixed input size: the copy's backbone at the images' size, in a scratch folder
      const scratch = mkdtempSync(join(tmpdir(), 'layerlens-wsod-export-'));
      try {
        for (const [i, part] of PARTS.entries()) {
          const fixed = await fixedSize(comp, part, image);
          const src = await saveLayersModel(fixed, join(scratch, part));
          if (fixed !== comp[part]) fixed.dispose();
          const policy = q.policies[part];
          const s = await openSession({ model: src, policy: Object.keys(policy.layers).length ? policy : 'none' });
          try {
            for (const [j, f] of config.formats.entries()) {
              throwIfCancelled(ctx);
              ctx.progress({ fraction: 0.7 + (0.3 * (i * config.formats.length + j)) / (2 * config.formats.length), stage: `exporting ${part} as ${f}` });
              exports.push({ part, report: await exportTarget(s, f, join(out, 'export', part, f)) });
            }
          } finally {
            s.dispose();
          }
        }
      } finally {
        rmSync(scratch, { recursive: true, force: true });
      }
    }

    const floatBytes = floatLayers.reduce((a, l) => a + l.floatBytes, 0);
    const compressedBytes = layers.reduce((a, l) => a + l.bytes, 0);
    const result: WsodCompressResult = {
      model: dir,
      data,
      out,
      float: { test: ft.scores, val: fv.scores },
      compressed: { test: ct.scores, val: cv.scores },
      layers,
      size: { floatBytes, compressedBytes, ratio: floatBytes / compressedBytes },
      macs,
      ...(lowrank ? { lowrank } : {}),
      changes,
      confidentChanges,
      exports,
      splits: splitsOf(ds),
      backend: backendName(),
      wallSeconds: (Date.now() - t0) / 1000,
      recordPath: join(out, 'compress.json'),
    };
    writeFileSync(result.recordPath, JSON.stringify({ config: { ...config, out: undefined }, result }, null, 2));
    ctx.progress({ fraction: 1, stage: 'done', metrics: { floatMAP50: ft.scores.mAP50, mAP50: ct.scores.mAP50, corloc: ct.scores.corloc, ratio: result.size.ratio } });
    return result;
  } finally {
    disposeDetector(float);
    if (comp) disposeDetector(comp);
  }
}
