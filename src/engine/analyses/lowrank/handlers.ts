import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Handlers } from '../../../shared/api';
import type { LowrankLive, lowrankMethods } from '../../../shared/api-lowrank';
import type { ServiceDeps } from '../../service-deps';
import { UserError } from '../../core/errors';
import { accuracyAt, spectrum } from './index';
import { LIVE_FILE } from './run';

/** The contract's lowrank methods over the engine (service.ts merges them). */
export function lowrankHandlers(deps: ServiceDeps): Pick<Handlers, keyof typeof lowrankMethods> {
  return {
    'lowrank.spectrum': async (req) => {
      const r = await spectrum(req);
      deps.workspace.touchModel(req.model);
      return r;
    },
    'lowrank.accuracy': async (req) => accuracyAt(req),
    'lowrank.live': async ({ id }) => {
      const job = deps.workspace.getJob(id);
      if (!job) throw new UserError(`no job "${id}" in this workspace`);
      const file = join(deps.workspace.jobDir(id), LIVE_FILE);
      if (!existsSync(file)) return null;
      try {
        return JSON.parse(readFileSync(file, 'utf8')) as LowrankLive;
      } catch {
        // written atomically, so this is a file of another kind: say "nothing yet"
        return null;
      }
    },
  };
}
