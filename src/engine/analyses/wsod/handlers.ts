import type { Handlers } from '../../../shared/api';
import type { wsodMethods } from '../../../shared/api-wsod';
import type { ServiceDeps } from '../../service-deps';
import { UserError } from '../../core/errors';

/** The contract's wsod methods over the engine (service.ts merges them). WIP: filled in by the wsod engine work. */
export function wsodHandlers(_deps: ServiceDeps): Pick<Handlers, keyof typeof wsodMethods> {
  return {
    'wsod.rankings': async () => {
      throw new UserError('wsod rankings are not available in this build yet');
    },
    'wsod.energy': async () => {
      throw new UserError('wsod energy maps are not available in this build yet');
    },
  };
}
