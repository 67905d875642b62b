// Parts of a running job that other workers do (`ctx.fanOut`): a part's kind, run with the parent's config and the part.
import { POLICY_BATCH, scorePolicy, type QuantizeConfig } from '../analyses/quant/quantize';

export const subJobs: Record<string, (config: unknown, part: unknown) => Promise<unknown>> = {
  [POLICY_BATCH]: (config, part) => scorePolicy(config as QuantizeConfig, (part as { bits: number[] }).bits),
};

export const isSubJobKind = (kind: string): boolean => Object.hasOwn(subJobs, kind);
