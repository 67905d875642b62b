import type { Handlers } from '../../../shared/api';
import type { exportMethods } from '../../../shared/api-export';
import type { ServiceDeps } from '../../service-deps';

/** The contract's export methods over the engine (service.ts merges them). */
export function exportHandlers(_deps: ServiceDeps): Pick<Handlers, keyof typeof exportMethods> {
  return {};
}
