/**
 * Sensitivity of the detector in mAP@0.5: quantize one layer of backbone or head at a time to each bit-width and
 * score the detector on val (a sensitivity map drives choices). A head layer reuses the float backbone's RoI features.
 */
import type { z } from 'zod';
import type { WsodSensitivityConfig as Schema, WsodSensitivityResult } from '../../../shared/api-wsod-compress';
import type { Policy } from '../../../shared/common';
import { backendName, initBackend } from '../../backend';
import type { RunContext } from '../../core/context';
import { throwIfCancelled } from '../../core/context';
import { seededPermutation } from '../../core/random';
import { splitsOf } from '../../data';
import { readKernel, writeKernel } from '../../quant/session';
import { detectionsOf } from '../../wsod/detector';
import { scoresOf } from '../../wsod/evaluate';
import { detectorLayers, findLayer, quantizeLayer, roiRows, scoreRows } from '../../wsod/compress';
import { disposeDetector, openRun } from './common';

export type WsodSensitivityConfig = z.output<typeof Schema>;

export async function run(config: WsodSensitivityConfig, ctx: RunContext): Promise<WsodSensitivityResult> {
  const t0 = Date.now();
  await initBackend();
  ctx.progress({ fraction: 0, stage: 'loading' });
  const { dir, det, data, ds } = await openRun(config);
  try {
    const all = detectorLayers(det);
    const layers = config.layers ? config.layers.map((n) => findLayer(all, n)) : all;
    const val = ds.val.images;
    const n = Math.min(val.length, config.limit ?? val.length);
    const images = config.limit ? Array.from(seededPermutation(val.length, config.seed).slice(0, n)).sort((a, b) => a - b).map((i) => val[i]) : val;
    const score = (cached: ReturnType<typeof roiRows>) => scoresOf('val', images, detectionsOf(det, scoreRows(det, cached)), det.meta.classNames);

    ctx.progress({ fraction: 0.02, stage: `float detector on ${images.length} val images` });
    const floatRows = roiRows(det, images);
    const base = score(floatRows);
    const total = layers.length * config.bits.length;
    let done = 0;
    const out: WsodSensitivityResult['layers'] = [];
    for (const l of layers) {
      const original = readKernel(l);
      const bits: Record<string, number> = {};
      const corloc: Record<string, number> = {};
      try {
        for (const b of config.bits) {
          throwIfCancelled(ctx);
          quantizeLayer(l, { bits: b, method: config.method, granularity: config.granularity, symmetric: true, seed: config.seed }, original);
          // a backbone layer changes the features; a head layer reuses the float ones
          const s = score(l.part === 'head' ? floatRows : roiRows(det, images));
          bits[String(b)] = s.mAP50;
          corloc[String(b)] = s.corloc;
          done++;
          ctx.progress({ fraction: 0.05 + (0.95 * done) / total, stage: `${l.name} @ ${b} bits`, metrics: { cell: done, bits: b, mAP50: s.mAP50, corloc: s.corloc } });
          await new Promise((r) => setImmediate(r));
        }
      } finally {
        writeKernel(l, original);
      }
      out.push({ name: l.name, members: [l.name], params: l.size, bits, corloc });
    }
    // the fewest bits each layer tolerates alone (its probed widths, highest first, until one falls out of tolerance)
    const spec = { method: config.method, granularity: config.granularity, symmetric: true };
    const widths = [...config.bits].sort((a, b) => b - a);
    const policy: Policy = {
      version: 1,
      layers: Object.fromEntries(
        out.map((l) => {
          let bits = 32;
          for (const b of widths) {
            if (l.bits[String(b)] < base.mAP50 - config.tolerance) break;
            bits = b;
          }
          return [l.name, { bits, ...spec }];
        }),
      ),
      provenance: { method: 'wsod-sensitivity', model: dir, data, split: 'val', n: images.length, tolerance: config.tolerance, metric: 'mAP50', baseline: base.mAP50, seed: config.seed },
    };
    ctx.progress({ fraction: 1, stage: 'done', metrics: { baseline: base.mAP50 } });
    return {
      model: dir,
      data,
      method: config.method,
      granularity: config.granularity,
      baseline: base.mAP50,
      baselineCorloc: base.corloc,
      n: images.length,
      split: 'val',
      splits: splitsOf(ds),
      metric: 'mAP50',
      seed: config.seed,
      backend: backendName(),
      evaluator: 'tfjs',
      layers: out,
      policy,
      tolerance: config.tolerance,
      wallSeconds: (Date.now() - t0) / 1000,
    };
  } finally {
    disposeDetector(det);
  }
}
