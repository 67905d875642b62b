/**
 * The review and annotation methods over the store: open detections of any detector over a detection dataset,
 * list and edit their boxes, score them, export them, and move a dataset's annotations in and out as COCO/VOC.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type {
  AnnotationsIOResult,
  EditResult,
  HistoryEntry,
  ReviewBox,
  ReviewEdit,
  ReviewItems,
  ReviewMetrics,
  ReviewSet,
} from '../../shared/api-review';
import { UserError } from '../core/errors';
import type { DetectionAnnotations } from '../data/detection/annotations';
import { labelsOf } from '../data/detection/annotations';
import { readCocoInstances, writeCocoInstances } from '../data/detection/coco';
import { encodePng } from '../data/detection/images';
import { readVocFolder, writeVocFolder } from '../data/detection/voc';
import { compareDetections } from './compare';
import { scoreBoxes } from './metrics';
import { canonicalData, detectionsFile, groundTruthOf, loadSplit, readDetections, type LoadOpts, type ReviewSplit, type SplitSource } from './source';
import type { NewBox, ReviewStore, ScoredBox } from './store';

export interface OpenRequest extends LoadOpts {
  data: string;
  split: ReviewSplit;
  detections: string;
  compare?: string;
  name?: string;
}
export interface AnnotationsRequest extends LoadOpts {
  data: string;
  format: 'coco' | 'voc';
  file: string;
  split: ReviewSplit;
  /** export: this set instead of the dataset's own annotations */
  set?: string;
}

const setImages = (src: SplitSource) => src.images.map((im) => ({ id: im.id, width: im.width, height: im.height }));
const loadOpts = (r: LoadOpts): LoadOpts => ({ ...(r.valFraction !== undefined ? { valFraction: r.valFraction } : {}), ...(r.valSeed !== undefined ? { valSeed: r.valSeed } : {}) });

/** Hash of a file or a folder's annotation XMLs: an import of unchanged annotations reopens its set. */
function contentHash(path: string): string {
  const h = createHash('sha256');
  if (statSync(path).isDirectory()) {
    const dir = join(path, 'Annotations');
    const files = existsSync(dir) ? readdirSync(dir).sort() : [];
    for (const f of files) h.update(f).update('\0').update(readFileSync(join(dir, f))).update('\0');
    if (existsSync(join(path, 'labels.txt'))) h.update(readFileSync(join(path, 'labels.txt')));
  } else h.update(readFileSync(path));
  return h.digest('hex').slice(0, 16);
}

export class Review {
  constructor(private readonly store: ReviewStore) {}

  /** Opens detections over a split; the same data, split and detections (and compare), unchanged, reopen the same set. */
  async open(req: OpenRequest): Promise<ReviewSet> {
    const data = canonicalData(req.data);
    const detections = detectionsFile(req.detections, req.split);
    const compare = req.compare !== undefined ? detectionsFile(req.compare, req.split) : undefined;
    const opts = loadOpts(req);
    // the files' contents are part of the identity: detections written again to the same path are a new review
    const key = JSON.stringify([
      'detections', data, req.split, detections, contentHash(detections), compare ?? null, compare !== undefined ? contentHash(compare) : null, opts.valFraction ?? null, opts.valSeed ?? null,
    ]);
    const existing = this.store.findSet(key);
    if (existing) return existing;

    const src = await loadSplit(data, req.split, opts);
    const dets = await readDetections(detections, src);
    const cmp = compare !== undefined ? await readDetections(compare, src) : [];
    const boxes: NewBox[] = dets.map((d) => ({ imageId: d.imageId, label: d.label, box: d.box, score: d.score, origin: 'detector' }));
    if (compare !== undefined) {
      const c = compareDetections(dets, cmp);
      c.changes.forEach((ch, i) => Object.assign(boxes[i], ch));
      for (const d of c.added) boxes.push({ imageId: d.imageId, label: d.label, box: d.box, score: d.score, origin: 'detector', change: 'new', compareScore: d.score });
    }
    return this.store.createSet(
      {
        key,
        name: req.name ?? `${basename(req.detections)} on ${basename(data)} (${req.split})`,
        data,
        split: req.split,
        detections,
        ...(compare !== undefined ? { compare } : {}),
        classNames: src.ds.classNames,
        images: setImages(src),
        loadOptions: opts,
      },
      boxes,
      cmp,
    );
  }

  sets(): ReviewSet[] {
    return this.store.listSets();
  }

  async items(setId: string): Promise<ReviewItems> {
    const set = this.store.getSet(setId);
    const boxes = this.store.boxes(setId);
    const src = await this.source(set);
    return { set, boxes, groundTruth: groundTruthOf(src.images), reviewed: boxes.filter((b) => b.status !== 'pending').length, total: boxes.length };
  }

  edit(e: ReviewEdit): EditResult {
    return this.store.edit(e);
  }

  history(setId: string, box: string | undefined, limit: number): HistoryEntry[] {
    return this.store.history(setId, box, limit);
  }

  async metrics(req: { set: string; minScore: number; which: 'reviewed' | 'detections' | 'compare' }): Promise<ReviewMetrics> {
    const set = this.store.getSet(req.set);
    const src = await this.source(set);
    if (!src.images.some((im) => im.boxes !== undefined)) throw new UserError(`${set.data} has no ground-truth boxes on its ${set.split} split: nothing to score against`);
    let boxes: ScoredBox[];
    if (req.which === 'detections') boxes = this.store.originalDetections(set.id);
    else if (req.which === 'compare') {
      if (set.compare === undefined) throw new UserError(`review set ${set.id} was opened without --compare detections`);
      boxes = this.store.compareDetections(set.id);
    } else {
      // what the reviewer kept: not rejected; a drawn box has no score and counts as certain
      boxes = this.store
        .boxes(set.id)
        .filter((b) => b.status !== 'rejected')
        .map((b) => ({ imageId: b.imageId, label: b.label, box: b.box, score: b.score ?? 1 }));
    }
    return scoreBoxes(set.classNames, src.images.map((im) => ({ id: im.id, boxes: im.boxes ?? [] })), boxes, req.minScore);
  }

  /** Writes the set's kept (not rejected) or accepted boxes as COCO instances JSON or a VOC folder. */
  async exportSet(req: { set: string; format: 'coco' | 'voc'; out: string; include: 'accepted' | 'kept' }): Promise<{ path: string; images: number; boxes: number }> {
    const set = this.store.getSet(req.set);
    const src = await this.source(set);
    const keep = (b: ReviewBox) => (req.include === 'accepted' ? b.status === 'accepted' : b.status !== 'rejected');
    const ann = this.annotationsOf(set, src, this.store.boxes(set.id).filter(keep));
    const path = resolve(req.out);
    await writeAnnotations(req.format, path, ann);
    return { path, images: ann.images.length, boxes: ann.images.reduce((s, im) => s + im.boxes.length, 0) };
  }

  async image(req: { data: string; image: string; split: ReviewSplit } & LoadOpts): Promise<{ width: number; height: number; dataUrl: string }> {
    const src = await loadSplit(canonicalData(req.data), req.split, loadOpts(req));
    // the split first; then any split (a set opened with another val carve names the same image files)
    const im = src.images.find((i) => i.id === req.image) ?? [src.ds.train, src.ds.val, src.ds.test].flatMap((s) => s.images).find((i) => i.id === req.image);
    if (!im) throw new UserError(`no image "${req.image}" in ${src.ds.ref}`);
    if (!im.pixels) throw new UserError(`image "${req.image}" of ${src.ds.ref} has no pixels loaded`);
    if (im.channels !== 1 && im.channels !== 3) throw new UserError(`image "${req.image}" has ${im.channels} channels (expected 1 or 3)`);
    const png = encodePng({ width: im.width, height: im.height, channels: im.channels, data: im.pixels });
    return { width: im.width, height: im.height, dataUrl: `data:image/png;base64,${png.toString('base64')}` };
  }

  /** Reads a COCO instances file or VOC folder into a set of accepted, imported boxes on the split's images. */
  async importAnnotations(req: AnnotationsRequest): Promise<AnnotationsIOResult> {
    if (req.set !== undefined) throw new UserError('annotations import makes its own review set; `set` is for export');
    const file = resolve(req.file);
    const data = canonicalData(req.data);
    const opts = loadOpts(req);
    if (!existsSync(file)) throw new UserError('no such file or folder', file);
    const ann = await readAnnotations(req.format, file);
    const src = await loadSplit(data, req.split, opts);
    const inSplit = new Set(src.images.map((im) => im.id));
    const stranger = ann.images.find((im) => !src.allIds.has(im.id));
    if (stranger) throw new UserError(`image "${stranger.id}" is not an image of ${src.ds.ref}`, file);
    const ours = classMap(ann.classNames, src.ds.classNames, file);
    const images = ann.images.filter((im) => inSplit.has(im.id)).map((im) => ({ ...im, boxes: im.boxes.map((b) => ({ ...b, label: ours[b.label] })) }));
    const key = JSON.stringify(['import', data, req.split, file, req.format, contentHash(file), opts.valFraction ?? null, opts.valSeed ?? null]);
    const set =
      this.store.findSet(key) ??
      this.store.createSet(
        { key, name: `${basename(file)} (${req.split})`, data, split: req.split, detections: file, classNames: src.ds.classNames, images: setImages(src), loadOptions: opts },
        images.flatMap((im) =>
          im.boxes.map((b) => ({ imageId: im.id, label: b.label, box: { x1: b.x1, y1: b.y1, x2: b.x2, y2: b.y2 }, score: null, status: 'accepted' as const, origin: 'imported' as const, difficult: b.difficult === true })),
        ),
      );
    return { set: set.id, file, images: images.length, boxes: images.reduce((s, im) => s + im.boxes.length, 0) };
  }

  /** Writes the split's annotations as held by the store: a given set, or the dataset's own (stored on first export). */
  async exportAnnotations(req: AnnotationsRequest): Promise<AnnotationsIOResult> {
    const file = resolve(req.file);
    let setId = req.set;
    if (setId === undefined) {
      const data = canonicalData(req.data);
      const opts = loadOpts(req);
      const key = JSON.stringify(['dataset', data, req.split, opts.valFraction ?? null, opts.valSeed ?? null]);
      let set = this.store.findSet(key);
      if (!set) {
        const src = await loadSplit(data, req.split, opts);
        set = this.store.createSet(
          { key, name: `annotations of ${basename(data)} (${req.split})`, data, split: req.split, detections: data, classNames: src.ds.classNames, images: setImages(src), loadOptions: opts },
          src.ann.images.flatMap((im) =>
            im.boxes.map((b) => ({ imageId: im.id, label: b.label, box: { x1: b.x1, y1: b.y1, x2: b.x2, y2: b.y2 }, score: null, status: 'accepted' as const, origin: 'imported' as const, difficult: b.difficult === true })),
          ),
        );
      }
      setId = set.id;
    }
    const r = await this.exportSet({ set: setId, format: req.format, out: file, include: 'kept' });
    return { set: setId, file: r.path, images: r.images, boxes: r.boxes };
  }


  private source(set: ReviewSet): Promise<SplitSource> {
    return loadSplit(set.data, set.split, this.store.loadOptions(set.id));
  }

  /** The set's images with the given boxes, in the dataset's terms (file names, COCO ids) for the writers. */
  private annotationsOf(set: ReviewSet, src: SplitSource, boxes: ReviewBox[]): DetectionAnnotations {
    const byImage = new Map<string, ReviewBox[]>();
    for (const b of boxes) {
      const list = byImage.get(b.imageId);
      if (list) list.push(b);
      else byImage.set(b.imageId, [b]);
    }
    const meta = new Map(src.ann.images.map((im) => [im.id, im]));
    return {
      classNames: set.classNames,
      categoryIds: src.ann.categoryIds,
      images: set.images.map((si) => {
        const im = meta.get(si.id) ?? { id: si.id, fileName: `${si.id}.png`, width: si.width, height: si.height, labels: [], boxes: [] };
        const mine = (byImage.get(si.id) ?? []).map((b) => ({ ...b.box, label: b.label, ...(b.difficult ? { difficult: true } : {}) }));
        return { ...im, boxes: mine, labels: labelsOf(mine) };
      }),
    };
  }
}

/** The dataset's class id of each of the file's classes, matched by name (VOC folders without labels.txt sort them). */
function classMap(theirs: string[], ours: string[], file: string): number[] {
  return theirs.map((name) => {
    const i = ours.indexOf(name);
    if (i < 0) throw new UserError(`class "${name}" is not a class of the dataset (${ours.join(', ')})`, file);
    return i;
  });
}

async function readAnnotations(format: 'coco' | 'voc', path: string): Promise<DetectionAnnotations> {
  const isDir = statSync(path).isDirectory();
  if (format === 'coco' && isDir) throw new UserError('is a folder; a COCO instances file is one JSON file', path);
  if (format === 'voc' && !isDir) throw new UserError('is a file; a VOC dataset is a folder with Annotations/*.xml', path);
  return format === 'coco' ? readCocoInstances(path) : readVocFolder(path);
}

async function writeAnnotations(format: 'coco' | 'voc', path: string, ann: DetectionAnnotations): Promise<void> {
  if (format === 'coco') await writeCocoInstances(path, ann);
  else await writeVocFolder(path, ann);
}
