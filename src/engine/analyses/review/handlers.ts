import type { Handlers } from '../../../shared/api';
import type { reviewMethods } from '../../../shared/api-review';
import type { ServiceDeps } from '../../service-deps';
import { Review } from '../../review/review';
import { ReviewStore } from '../../review/store';

/** The contract's review and annotation methods over the workspace's annotation store (service.ts merges them). */
export function reviewHandlers(deps: ServiceDeps): Pick<Handlers, keyof typeof reviewMethods> {
  // the store shares the workspace's connection (WAL, busy timeout); its tables are created on first use
  let review: Review | undefined;
  const r = () => (review ??= new Review(new ReviewStore(deps.workspace.db)));
  return {
    'review.open': async (req) => r().open(req),
    'review.sets': async () => r().sets(),
    'review.items': async ({ set }) => r().items(set),
    'review.edit': async (req) => r().edit(req),
    'review.history': async ({ set, box, limit }) => r().history(set, box, limit),
    'review.export': async (req) => r().exportSet(req),
    'review.metrics': async (req) => r().metrics(req),
    'review.image': async (req) => r().image(req),
    'annotations.import': async (req) => r().importAnnotations(req),
    'annotations.export': async (req) => r().exportAnnotations(req),
  };
}
