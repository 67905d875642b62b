import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Handlers } from '../../../shared/api';
import type { exportMethods, ExportResult } from '../../../shared/api-export';
import type { ServiceDeps } from '../../service-deps';
import { UserError } from '../../core/errors';
import { readStorage } from '../../export/storage';

/** The contract's export methods over the engine (service.ts merges them). */
export function exportHandlers(deps: ServiceDeps): Pick<Handlers, keyof typeof exportMethods> {
  return {
    'export.save': async ({ id, to }) => {
      const job = deps.workspace.getJob(id);
      if (!job || job.kind !== 'export') throw new UserError(`no export job "${id}" in this workspace`);
      if (job.status !== 'done' || !job.result) throw new UserError(`export job ${id} has not finished (${job.status})`);
      const r = job.result as ExportResult;
      const dest = resolve(to);
      mkdirSync(dest, { recursive: true });
      const files: string[] = [];
      for (const f of r.reports.flatMap((x) => x.files)) {
        if (!existsSync(f)) throw new UserError('exported file is gone from the job folder', f);
        const target = join(dest, relative(r.out, f));
        cpSync(f, target);
        files.push(target);
      }
      return { files };
    },
    'export.storage': async ({ model, limit }) => readStorage(model, limit),
  };
}
