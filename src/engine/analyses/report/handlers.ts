import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Handlers } from '../../../shared/api';
import type { reportMethods } from '../../../shared/api-report';
import type { ServiceDeps } from '../../service-deps';
import { UserError } from '../../core/errors';
import { readRecord, recordFile } from '../../results/records';
import { report } from './index';

/** The records folder: the request's, else the workspace's results/, else results/ of the folder the host runs in. */
function recordsDir(deps: ServiceDeps, asked: string | undefined): string {
  if (asked) return resolve(asked);
  const inWorkspace = join(deps.workspace.dir, 'results');
  return existsSync(inWorkspace) ? inWorkspace : resolve('results');
}

/** The contract's report methods over the engine (service.ts merges them). */
export function reportHandlers(deps: ServiceDeps): Pick<Handlers, keyof typeof reportMethods> {
  return {
    'report.tables': async (req) => report(recordsDir(deps, req.records)),
    'report.record': async (req) => {
      const dir = recordsDir(deps, req.records);
      const file = recordFile(dir, req.name);
      if (!existsSync(file)) throw new UserError(`no record "${req.name}"`, dir);
      return { name: req.name, file, record: readRecord(file) };
    },
  };
}
