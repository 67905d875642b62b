// What travels through the queue: the job payload a worker accepts (validated on arrival) and the value it returns.
import { z } from 'zod';

/** BullMQ key prefix and queue name; every LayerLens key in Redis starts with the prefix. */
export const PREFIX = 'layerlens';
export const QUEUE = 'jobs';
export const blobKey = (sha256: string) => `${PREFIX}:blob:${sha256}`;
export const heartbeatKey = (workerId: string) => `${PREFIX}:worker:${workerId}`;
export const cancelKey = (jobId: string) => `${PREFIX}:cancel:${jobId}`;

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'not a sha256 hex digest');
// a plain file name: a payload never names a folder on the worker
const FileName = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z0-9._-]+$/, 'not a plain file name')
  .refine((n) => n !== '.' && n !== '..', 'not a plain file name');

/** A folder of files (a model: model.json and its weight shards) as content-addressed blobs. */
export const BlobFolder = z
  .object({
    entry: FileName,
    files: z.array(z.object({ name: FileName, sha256: Sha256, size: z.number().int().min(0) }).strict()).min(1).max(256),
  })
  .strict();
export type BlobFolder = z.infer<typeof BlobFolder>;

/** The config fields a blob folder may stand in for (the worker points them at its own copy). */
const BlobFields = ['model'] as const;

export const RunPayload = z
  .object({
    op: z.literal('run'),
    /** the workspace job this child belongs to, and its place among the parent's children */
    parent: z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/),
    index: z.number().int().min(0).max(100_000),
    kind: z.string().min(1).max(64),
    config: z.unknown(),
    blobs: z.record(z.enum(BlobFields), BlobFolder).optional(),
  })
  .strict();
export type RunPayload = z.infer<typeof RunPayload>;

/**
 * A part of a job running on another worker (`ctx.fanOut`): the parent's kind, config and blobs as the parent's own
 * payload carried them (so this worker prepares them the same way), and the part.
 */
export const SubPayload = z
  .object({
    op: z.literal('sub'),
    kind: z.string().min(1).max(64),
    baseKind: z.string().min(1).max(64),
    config: z.unknown(),
    blobs: z.record(z.enum(BlobFields), BlobFolder).optional(),
    part: z.unknown(),
  })
  .strict();
export type SubPayload = z.infer<typeof SubPayload>;

/** An empty job: the queue's own round trip, for the overhead benchmark and health checks. */
const PingPayload = z.object({ op: z.literal('ping'), sentAt: z.number() }).strict();

export const Payload = z.discriminatedUnion('op', [RunPayload, SubPayload, PingPayload]);
export type Payload = z.infer<typeof Payload>;

/** What a worker returns for a finished child. */
export interface ChildOutcome {
  result: unknown;
  worker: string;
  /** files the job wrote; they stay in the worker's folder */
  resultPaths: string[];
}

/** Progress a worker publishes for a running child. */
export interface ChildProgress {
  fraction: number;
  stage?: string;
  metrics?: Record<string, number>;
  worker: string;
}
