import type { Handlers } from '../../../shared/api';
import type { quantMethods } from '../../../shared/api-quant';
import type { ServiceDeps } from '../../service-deps';

/** The contract's quant methods over the engine (service.ts merges them). */
export function quantHandlers(_deps: ServiceDeps): Pick<Handlers, keyof typeof quantMethods> {
  return {};
}
