import type { Handlers } from '../../../shared/api';
import type { partsMethods } from '../../../shared/api-parts';
import type { ServiceDeps } from '../../service-deps';
import { respond, runView } from './view';

/** The contract's parts methods over the engine (service.ts merges them). */
export function partsHandlers(_deps: ServiceDeps): Pick<Handlers, keyof typeof partsMethods> {
  return {
    'parts.run': (req) => runView(req),
    'parts.respond': (req) => respond(req),
  };
}
