import { PolicyEvalConfig, QuantizeConfig, SensitivityConfig } from '../../../shared/api-quant';
import type { JobAnalysis } from '../types';
import * as sensitivity from './sensitivity';
import * as quantizeRun from './quantize';
import * as policyEval from './policy-eval';

/** Job kinds of the quant capability: kind → analysis (registry.ts merges them). */
export const quantJobAnalyses: Record<string, JobAnalysis<any, any>> = {
  sensitivity: {
    parse: (c) => SensitivityConfig.parse(c),
    run: sensitivity.run,
  } satisfies JobAnalysis<sensitivity.SensitivityConfig, unknown>,
  quantize: {
    parse: (c) => QuantizeConfig.parse(c),
    run: quantizeRun.run,
    resultPaths: (_c, r: { out?: string }) => (r.out ? [`${r.out}/model.json`, `${r.out}/policy.json`, `${r.out}/quantize.json`] : []),
  } satisfies JobAnalysis<quantizeRun.QuantizeConfig, any>,
  'policy-eval': {
    parse: (c) => PolicyEvalConfig.parse(c),
    run: policyEval.run,
  } satisfies JobAnalysis<policyEval.PolicyEvalConfig, unknown>,
};
