import type { Handlers } from '../../../shared/api';
import type { wsodMethods } from '../../../shared/api-wsod';
import type { ServiceDeps } from '../../service-deps';
import { energy, rankings } from './rank';

/** The contract's wsod methods over the engine (service.ts merges them). */
export function wsodHandlers(_deps: ServiceDeps): Pick<Handlers, keyof typeof wsodMethods> {
  return {
    'wsod.rankings': (req) => rankings(req),
    'wsod.energy': (req) => energy(req),
  };
}
