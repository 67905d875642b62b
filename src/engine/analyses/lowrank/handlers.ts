import type { Handlers } from '../../../shared/api';
import type { lowrankMethods } from '../../../shared/api-lowrank';
import type { ServiceDeps } from '../../service-deps';

/** The contract's lowrank methods over the engine (service.ts merges them). */
export function lowrankHandlers(_deps: ServiceDeps): Pick<Handlers, keyof typeof lowrankMethods> {
  return {};
}
