/** The lowrank part of the API contract: job kinds, methods and responses. api.ts merges it. */
import { z } from 'zod';

/** Job kinds of this capability: z.object({ kind: z.literal('…'), config: … }).strict(), one per kind. */
export const lowrankJobs = [] as const;

/** Methods of this capability: name → request schema. */
export const lowrankMethods = {} satisfies Record<string, z.ZodTypeAny>;

/** Responses of the methods above. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface LowrankResponses {}
