import type { Handlers } from '../../../shared/api';
import type { actionMethods } from '../../../shared/api-action';
import type { ServiceDeps } from '../../service-deps';
import { clipView, runView } from './view';

/** The contract's action methods over the engine (service.ts merges them). */
export function actionHandlers(_deps: ServiceDeps): Pick<Handlers, keyof typeof actionMethods> {
  return {
    'action.clip': (req) => clipView(req),
    'action.run': (req) => runView(req.model),
  };
}
