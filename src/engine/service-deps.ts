import type { Runner } from './jobs/runner';
import type { Workspace } from './jobs/workspace';

/** What a capability's handlers may use of the service. */
export interface ServiceDeps {
  workspace: Workspace;
  runner: Runner;
}
