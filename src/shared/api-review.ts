/**
 * The review-and-annotate part of the contract: detections of any detector (COCO results JSON) over a detection
 * dataset, reviewed box by box into the workspace's annotation store (SQLite, every edit one transaction with its
 * history, version-checked), and annotations imported from / exported to COCO and VOC. api.ts merges it.
 */
import { z } from 'zod';
import { DatasetRef, OutDir } from './common';
import { ValSplitOptions } from './api-eval';
import { Rect } from './api-wsod';

const setId = z.string().min(1).max(200);
const boxId = z.string().min(1).max(200);
const ReviewSplit = z.enum(['train', 'val', 'test']);

/** Open (or reopen: same data, split and detections → same set) a review of detections over a dataset split. */
const OpenRequest = z
  .object({
    data: DatasetRef,
    split: ReviewSplit.default('test'),
    /** COCO results JSON (`image_id, category_id, bbox, score`) or a wsod run folder */
    detections: z.string().min(1).max(4096),
    /** detections of the same detector after compression: boxes that differ are marked "changed" */
    compare: z.string().min(1).max(4096).optional(),
    name: z.string().min(1).max(200).optional(),
    ...ValSplitOptions,
  })
  .strict();

export interface ReviewSet {
  id: string;
  name: string;
  data: string;
  split: 'train' | 'val' | 'test';
  detections: string;
  compare?: string;
  classNames: string[];
  images: { id: string; width: number; height: number }[];
  createdAt: number;
}

export type BoxStatus = 'pending' | 'accepted' | 'rejected';
/** How a reviewed box differs from the compressed detector's nearest box of the same class (IoU ≥ 0.5). */
export type BoxChange = 'same' | 'moved' | 'rescored' | 'gone' | 'new';

export interface ReviewBox {
  id: string;
  imageId: string;
  label: number;
  box: Rect;
  /** the detector's score; null for a box drawn by hand */
  score: number | null;
  status: BoxStatus;
  origin: 'detector' | 'drawn' | 'imported';
  /** bumped by every edit; an edit names the version it saw */
  version: number;
  /** against `compare`, when the set has one */
  change?: BoxChange;
  compareScore?: number | null;
  /** VOC difficult / COCO iscrowd (imported annotations): ignored by scoring, kept by export */
  difficult?: boolean;
}

export interface GroundTruthBox {
  imageId: string;
  label: number;
  box: Rect;
  difficult?: boolean;
}

export interface ReviewItems {
  set: ReviewSet;
  boxes: ReviewBox[];
  groundTruth: GroundTruthBox[];
  /** boxes not pending */
  reviewed: number;
  total: number;
}

/** One edit of one box; `expectedVersion` is the version the editor saw (0 for draw). */
const EditRequest = z.discriminatedUnion('op', [
  z.object({ op: z.literal('accept'), set: setId, box: boxId, expectedVersion: z.number().int().min(0) }).strict(),
  z.object({ op: z.literal('reject'), set: setId, box: boxId, expectedVersion: z.number().int().min(0) }).strict(),
  z.object({ op: z.literal('reset'), set: setId, box: boxId, expectedVersion: z.number().int().min(0) }).strict(),
  z.object({ op: z.literal('relabel'), set: setId, box: boxId, expectedVersion: z.number().int().min(0), label: z.number().int().min(0).max(10000) }).strict(),
  z.object({ op: z.literal('move'), set: setId, box: boxId, expectedVersion: z.number().int().min(0), rect: Rect }).strict(),
  z.object({ op: z.literal('delete'), set: setId, box: boxId, expectedVersion: z.number().int().min(0) }).strict(),
  /** a new box drawn by hand (accepted); `box` optional: the client may choose the id so that undo can name it */
  z.object({ op: z.literal('draw'), set: setId, box: boxId.optional(), image: z.string().min(1).max(1024), label: z.number().int().min(0).max(10000), rect: Rect }).strict(),
  /** restore a box to exactly this state (undo / redo of any edit); also revives a deleted box */
  z.object({
    op: z.literal('restore'),
    set: setId,
    box: boxId,
    expectedVersion: z.number().int().min(0),
    state: z.object({ label: z.number().int().min(0).max(10000), rect: Rect, status: z.enum(['pending', 'accepted', 'rejected']), deleted: z.boolean() }).strict(),
  }).strict(),
]);
export type ReviewEdit = z.input<typeof EditRequest>;

/** The result of an edit: the box as stored now (deleted: true when it was deleted), and the history entry. */
export interface EditResult {
  box: ReviewBox & { deleted?: boolean };
  seq: number;
}

export interface HistoryEntry {
  seq: number;
  box: string;
  op: ReviewEdit['op'];
  before: unknown;
  after: unknown;
  at: number;
}

const ExportRequest = z
  .object({
    set: setId,
    format: z.enum(['coco', 'voc']),
    /** a COCO JSON file, or a VOC folder (Annotations/*.xml) */
    out: OutDir,
    /** which boxes become annotations: accepted and drawn only, or everything not rejected */
    include: z.enum(['accepted', 'kept']).default('kept'),
  })
  .strict();

/** Score the set's current boxes against ground truth: mAP@0.5, per-class AP and PR, confusion (last row/col: background). */
const MetricsRequest = z
  .object({ set: setId, minScore: z.number().min(0).max(1).default(0), which: z.enum(['reviewed', 'detections', 'compare']).default('detections') })
  .strict();
export interface ReviewMetrics {
  mAP50: number;
  perClass: { name: string; ap: number | null; recall: number[]; precision: number[] }[];
  /** (classes + 1)²: rows ground truth, columns predicted; index `classes` is background (FN row / FP column) */
  confusion: number[][];
}

/** `layerlens annotations import|export`: a dataset's annotations through the store, COCO or VOC. */
export const AnnotationsIO = z
  .object({
    data: DatasetRef,
    format: z.enum(['coco', 'voc']),
    file: z.string().min(1).max(4096),
    split: ReviewSplit.default('test'),
    /** export only: write this review set's kept boxes instead of the dataset's own annotations */
    set: setId.optional(),
    ...ValSplitOptions,
  })
  .strict();
export type AnnotationsIO = z.input<typeof AnnotationsIO>;
export interface AnnotationsIOResult {
  set: string;
  file: string;
  images: number;
  boxes: number;
}

export const reviewMethods = {
  'review.open': OpenRequest,
  'review.sets': z.object({}).strict(),
  'review.items': z.object({ set: setId }).strict(),
  'review.edit': EditRequest,
  'review.history': z.object({ set: setId, box: boxId.optional(), limit: z.number().int().min(1).max(100000).default(1000) }).strict(),
  'review.export': ExportRequest,
  'review.metrics': MetricsRequest,
  /** an image of a detection dataset as a PNG data URL (the renderer draws boxes over it) */
  'review.image': z.object({ data: DatasetRef, image: z.string().min(1).max(1024), split: ReviewSplit.default('test'), ...ValSplitOptions }).strict(),
  'annotations.import': AnnotationsIO,
  'annotations.export': AnnotationsIO,
} satisfies Record<string, z.ZodTypeAny>;

export interface ReviewResponses {
  'review.open': ReviewSet;
  'review.sets': ReviewSet[];
  'review.items': ReviewItems;
  'review.edit': EditResult;
  'review.history': HistoryEntry[];
  'review.export': { path: string; images: number; boxes: number };
  'review.metrics': ReviewMetrics;
  'review.image': { width: number; height: number; dataUrl: string };
  'annotations.import': AnnotationsIOResult;
  'annotations.export': AnnotationsIOResult;
}
