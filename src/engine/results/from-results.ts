/**
 * The figures of a quantize / lowrank result as record metrics and curves: one mapping, shared by the
 * experiment scripts (new records) and the headline adapter (older trimmed results).
 */
import type { ResultRecord } from '../../shared/api-report';

type Metrics = ResultRecord['metrics'];
type Curves = NonNullable<ResultRecord['curves']>;

interface QuantLike {
  baseline: { top1: number };
  quantized: { top1: number };
  val: { baseline: number; quantized: number };
  compressionRatio: number;
  modelCompressionRatio: number;
  steps: { fraction: number; top1: number; top1Quantized: number }[];
  stepsByOrder?: Record<string, { fraction: number; top1: number; top1Quantized: number }[]>;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * test/val top-1 of the float and the quantized net; compression over the kernels and the whole model; the mean
 * val top-1 over the partition steps right after each step (before retraining) and after its retraining: what
 * the partition order changes (DNQ's and SLQ's claim is about the loss right after each step).
 */
export function quantMetrics(r: QuantLike): Metrics {
  return {
    val: {
      top1: r.val.quantized,
      baselineTop1: r.val.baseline,
      drop: r.val.baseline - r.val.quantized,
      ...(r.steps.length ? { stepTop1BeforeRetrain: mean(r.steps.map((s) => s.top1Quantized)), stepTop1AfterRetrain: mean(r.steps.map((s) => s.top1)) } : {}),
    },
    test: { top1: r.quantized.top1, baselineTop1: r.baseline.top1, drop: r.baseline.top1 - r.quantized.top1 },
    model: { compressionRatio: r.compressionRatio, modelCompressionRatio: r.modelCompressionRatio },
  };
}

/**
 * Val top-1 after every partition step (x = quantized fraction), before and after that step's retraining,
 * per order when several ran on the same policy.
 */
export function quantCurves(r: QuantLike, order: string): Curves {
  const curves: Curves = {};
  const byOrder = r.stepsByOrder && Object.keys(r.stepsByOrder).length ? r.stepsByOrder : { [order]: r.steps };
  for (const [o, steps] of Object.entries(byOrder)) {
    curves[`steps-${o}`] = { split: 'val', xLabel: 'quantized fraction', yLabel: 'val top-1 after retraining', points: steps.map((s) => [s.fraction, s.top1]) };
    curves[`steps-${o}-before-retrain`] = { split: 'val', xLabel: 'quantized fraction', yLabel: 'val top-1 before retraining', points: steps.map((s) => [s.fraction, s.top1Quantized]) };
  }
  return curves;
}

interface LowrankLike {
  baseline: { top1: number; flops: number; params: number };
  decomposed: { top1: number; flops: number; params: number };
  posthoc: { top1: number; flops: number };
  val: { baseline: number; decomposed: number; posthoc: number };
  speedup: number;
}

/** baseline, TRP (decomposed, no fine-tuning) and post-hoc at the same ranks, on val and test; FLOPs and speed-up. */
export function lowrankMetrics(r: LowrankLike): Metrics {
  return {
    val: { top1: r.val.decomposed, baselineTop1: r.val.baseline, posthocTop1: r.val.posthoc },
    test: { top1: r.decomposed.top1, baselineTop1: r.baseline.top1, posthocTop1: r.posthoc.top1, drop: r.baseline.top1 - r.decomposed.top1 },
    model: { speedup: r.speedup, flops: r.decomposed.flops, baselineFlops: r.baseline.flops, params: r.decomposed.params },
  };
}
