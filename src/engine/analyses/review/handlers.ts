import type { Handlers } from '../../../shared/api';
import type { reviewMethods } from '../../../shared/api-review';
import type { ServiceDeps } from '../../service-deps';
import { UserError } from '../../core/errors';

/** The contract's review and annotation methods (service.ts merges them). WIP: filled in by the review work. */
export function reviewHandlers(_deps: ServiceDeps): Pick<Handlers, keyof typeof reviewMethods> {
  const notYet = async (): Promise<never> => {
    throw new UserError('review is not available in this build yet');
  };
  return {
    'review.open': notYet,
    'review.sets': notYet,
    'review.items': notYet,
    'review.edit': notYet,
    'review.history': notYet,
    'review.export': notYet,
    'review.metrics': notYet,
    'review.image': notYet,
    'annotations.import': notYet,
    'annotations.export': notYet,
  };
}
