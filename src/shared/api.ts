/**
 * The one API contract. Main (IPC), preload, the browser shell (HTTP/WebSocket), the CLI and the renderer all
 * import this file. Requests are validated with these schemas at every process boundary; responses are typed.
 * Keep it free of Node and DOM imports.
 */
import { z } from 'zod';
import { DatasetRef, ModelRef, Seed, BatchSize, Epochs, Limit, Optimizer, LearningRate, Schedule, Augment } from './common';
import { quantJobs, quantMethods, type QuantResponses } from './api-quant';
import { lowrankJobs, lowrankMethods, type LowrankResponses } from './api-lowrank';
import { reportMethods, type ReportResponses } from './api-report';
import { exportJobs, exportMethods, type ExportResponses } from './api-export';
import { wsodJobs, wsodMethods, type WsodResponses } from './api-wsod';
import { wsodCompressJobs } from './api-wsod-compress';
import { partsJobs, partsMethods, type PartsMethodResponses } from './api-parts';
import { actionJobs, actionMethods, type ActionResponses } from './api-action';
import { reviewMethods, type ReviewResponses } from './api-review';
import { EvalConfig, ValSplitOptions, type Measured, type SplitsInfo } from './api-eval';

export * from './common';
export * from './api-eval';

export const Archs = ['lenet5', 'cifar-quick', 'resnet8', 'resnet14', 'resnet20'] as const;
export type Arch = (typeof Archs)[number];

export const TrainConfig = z
  .object({
    arch: z.enum(Archs),
    data: DatasetRef,
    epochs: Epochs,
    out: z.string().min(1).max(4096).optional(),
    seed: Seed.default(1),
    optimizer: Optimizer.default('adam'),
    learningRate: LearningRate.optional(),
    /** learning-rate schedule over the whole run */
    schedule: Schedule.default('constant'),
    /** 'shift': random translations of up to 2 pixels, drawn from the seed */
    augment: Augment.default('none'),
    batchSize: BatchSize.default(64),
    /** train on the first N examples of the (seeded, shuffled) train split only */
    limit: Limit.optional(),
    /** evaluate on the first N val examples after each epoch */
    evalLimit: Limit.optional(),
    ...ValSplitOptions,
  })
  .strict();
export type TrainConfig = z.input<typeof TrainConfig>;


export const JobStart = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('train'), config: TrainConfig }).strict(),
  z.object({ kind: z.literal('eval'), config: EvalConfig }).strict(),
  ...quantJobs,
  ...lowrankJobs,
  ...exportJobs,
  ...wsodJobs,
  ...wsodCompressJobs,
  ...partsJobs,
  ...actionJobs,
]);
export type JobStart = z.input<typeof JobStart>;
export type JobKind = JobStart['kind'];

export interface WeightStats {
  min: number;
  max: number;
  mean: number;
  std: number;
  /** fraction of exact zeros */
  sparsity: number;
}
export interface Histogram {
  /** bins + 1 edges */
  edges: number[];
  counts: number[];
}
export interface LayerInfo {
  name: string;
  kind: string;
  /** shape of the layer's main weight (kernel); other weights (bias, BN) count in params */
  weightShape: number[];
  params: number;
  /** multiply-adds for one example at the model's input shape */
  flops: number;
  activationShape: (number | null)[];
  stats: WeightStats;
  histogram: Histogram;
}
interface ModelSummary {
  name: string;
  format: 'tfjs-layers' | 'tfjs-graph' | 'onnx' | 'builtin';
  inputShape: (number | null)[];
  /** every output of the model, named (multi-output models have several) */
  outputs?: { name: string; shape: (number | null)[] }[];
  params: number;
  flops: number;
}
export interface InspectResult {
  model: ModelSummary;
  layers: LayerInfo[];
}

export interface TrainResult {
  arch: Arch;
  data: string;
  seed: number;
  epochs: number;
  /** the final model's top-1 on `split` (test) */
  top1: number;
  n: number;
  split: 'test';
  backend: string;
  modelPath: string;
  /** valTop1: after each epoch, on the first `val.n` val examples */
  history: { epoch: number; loss: number; acc: number; valTop1: number }[];
  val: Measured;
  splits: SplitsInfo;
}

export type JobStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled' | 'resumable';
export interface MetricPoint {
  t: number;
  [name: string]: number;
}
export interface JobRecord {
  id: string;
  kind: JobKind;
  status: JobStatus;
  config: unknown;
  createdAt: number;
  updatedAt: number;
  fraction: number;
  stage: string;
  metrics: MetricPoint[];
  result?: unknown;
  error?: string;
  resultPaths: string[];
}
export interface JobEvent {
  id: string;
  status: JobStatus;
  fraction: number;
  stage: string;
  metrics?: MetricPoint;
  error?: string;
}

export interface ModelEntry {
  ref: string;
  name: string;
  builtin: boolean;
}
export interface DatasetEntry {
  ref: string;
  name: string;
  classes: number;
  /** sizes after val is carved out at the default fraction */
  train: number;
  val: number;
  test: number;
}
export interface AppInfo {
  version: string;
  backend: string;
  workspaceDir: string;
  host: 'electron' | 'browser' | 'cli';
  defaultModel: string;
  defaultDataset: string;
}

const empty = z.object({}).strict();
const id = z.object({ id: z.string().min(1).max(200) }).strict();

/** Inspect one model: the `model.inspect` request and the inspect capability's config. */
export const InspectRequest = z.object({ model: ModelRef }).strict();

/** Every method: its request schema and (as a phantom type) its response. */
const methods = {
  'app.info': empty,
  'workspace.models': empty,
  'workspace.datasets': empty,
  'model.inspect': InspectRequest,
  'jobs.start': JobStart,
  'jobs.cancel': id,
  'jobs.resume': id,
  'jobs.list': empty,
  'jobs.get': id,
  ...quantMethods,
  ...lowrankMethods,
  ...exportMethods,
  ...wsodMethods,
  ...reviewMethods,
  ...reportMethods,
  ...actionMethods,
  ...partsMethods,
} as const;

interface Responses extends QuantResponses, LowrankResponses, ExportResponses, WsodResponses, ReviewResponses, ReportResponses, PartsMethodResponses, ActionResponses {
  'app.info': AppInfo;
  'workspace.models': ModelEntry[];
  'workspace.datasets': DatasetEntry[];
  'model.inspect': InspectResult;
  'jobs.start': { id: string };
  'jobs.cancel': { ok: boolean };
  'jobs.resume': { id: string };
  'jobs.list': JobRecord[];
  'jobs.get': JobRecord;
}

export type Method = keyof typeof methods;
export type Request<M extends Method> = z.input<(typeof methods)[M]>;
export type ParsedRequest<M extends Method> = z.output<(typeof methods)[M]>;
export type Response<M extends Method> = Responses[M];

/** What a desktop host asks the studio to do (menus, open-file, drag-and-drop); the browser shell sends none. */
export type HostEvent = { type: 'open-model'; model: string } | { type: 'workspace-changed'; workspaceDir: string };

/** The client every host gives the renderer. */
export interface ApiClient {
  call<M extends Method>(method: M, req: Request<M>): Promise<Response<M>>;
  /** subscribe to job events; returns an unsubscribe function */
  onJob(listener: (e: JobEvent) => void): () => void;
  /** told when a dropped event stream is back: events may have been missed (optional: only the browser shell drops) */
  onReconnect?(listener: () => void): () => void;
  /** subscribe to host events (optional: only the Electron host has menus) */
  onHost?(listener: (e: HostEvent) => void): () => void;
}

/** Server side: one handler per method, fed already-validated requests. */
export type Handlers = { [M in Method]: (req: ParsedRequest<M>) => Promise<Response<M>> };

function isMethod(name: unknown): name is Method {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(methods, name);
}

/** A request the contract refuses: the caller's mistake, so hosts show its one-line message as it is. */
export class RequestError extends Error {
  constructor(
    message: string,
    readonly unknownMethod = false,
  ) {
    super(message);
    this.name = 'RequestError';
  }
}

/** Validate a method name and request at a boundary; throws a RequestError whose message is one line. */
export function validateRequest<M extends Method>(method: unknown, req: unknown): { method: M; req: ParsedRequest<M> } {
  if (!isMethod(method)) throw new RequestError(`unknown API method: ${String(method).slice(0, 80)}`, true);
  const parsed = methods[method].safeParse(req ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RequestError(`invalid request for ${method}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return { method: method as M, req: parsed.data as ParsedRequest<M> };
}

/** The wire envelope of error responses, so a host can show the one-line message. */
export interface ApiError {
  error: string;
}
