/**
 * COCO instances JSON (`images`, `annotations`, `categories`) and COCO results JSON (`image_id, category_id,
 * bbox, score`) ↔ our annotations and `Detection`s. Category ids in users' files may be anything: classes are
 * numbered 0..C-1 in the order of `categories` and the ids are kept for export. `iscrowd: 1` boxes become
 * `difficult` (ignored by scoring) and back. An extra per-image `difficulty` field is kept when present.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { UserError } from '../../core/errors';
import type { Detection } from '../../../shared/api-wsod';
import type { Box } from '../types';
import { idOfFile, labelsOf, type AnnotatedImage, type DetectionAnnotations } from './annotations';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, file);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UserError(`is not valid JSON (${(e as Error).message})`, file);
  }
}

function arrayField(obj: Json, name: string, file: string): unknown[] {
  const v = obj[name];
  if (!Array.isArray(v)) throw new UserError(`has no "${name}" array`, file);
  return v;
}

/** A COCO bbox [x, y, w, h] as our box; `where` names the entry for the error line. */
function fromBbox(bbox: unknown, label: number, file: string, where: string): Box {
  if (!Array.isArray(bbox) || bbox.length !== 4 || !bbox.every(isNumber)) throw new UserError(`${where}: bbox must be [x, y, width, height] numbers`, file);
  const [x, y, w, h] = bbox as number[];
  if (w <= 0) throw new UserError(`${where}: bbox has ${w < 0 ? 'negative' : 'zero'} width ${w}`, file);
  if (h <= 0) throw new UserError(`${where}: bbox has ${h < 0 ? 'negative' : 'zero'} height ${h}`, file);
  return { x1: x, y1: y, x2: x + w, y2: y + h, label };
}

const toBbox = (b: { x1: number; y1: number; x2: number; y2: number }): number[] => [b.x1, b.y1, b.x2 - b.x1, b.y2 - b.y1];

/** Parses a COCO instances object (already JSON-parsed); `file` names it in errors. */
function parseCocoInstances(json: unknown, file: string): DetectionAnnotations {
  if (!isObject(json)) throw new UserError('is not a COCO instances object (expected { images, annotations, categories })', file);
  const categories = arrayField(json, 'categories', file);
  const classNames: string[] = [];
  const categoryIds: number[] = [];
  const classOf = new Map<number, number>();
  categories.forEach((c, i) => {
    if (!isObject(c) || !isNumber(c.id) || typeof c.name !== 'string') throw new UserError(`category ${i} needs a numeric "id" and a "name"`, file);
    if (classOf.has(c.id)) throw new UserError(`category id ${c.id} appears twice`, file);
    classOf.set(c.id, classNames.length);
    classNames.push(c.name);
    categoryIds.push(c.id);
  });

  const images: AnnotatedImage[] = [];
  const byCocoId = new Map<number, AnnotatedImage>();
  const seenIds = new Set<string>();
  arrayField(json, 'images', file).forEach((im, i) => {
    if (!isObject(im) || !isNumber(im.id) || typeof im.file_name !== 'string' || !isNumber(im.width) || !isNumber(im.height)) {
      throw new UserError(`image ${i} needs a numeric "id", a "file_name", "width" and "height"`, file);
    }
    if (byCocoId.has(im.id)) throw new UserError(`image id ${im.id} appears twice`, file);
    if (!(im.width > 0 && im.height > 0)) throw new UserError(`image ${im.id} (${im.file_name}) has size ${im.width}×${im.height}`, file);
    const id = idOfFile(im.file_name);
    if (seenIds.has(id)) throw new UserError(`two images are named ${id} (file names must differ beyond their extension)`, file);
    seenIds.add(id);
    const image: AnnotatedImage = { id, fileName: im.file_name, width: im.width, height: im.height, labels: [], boxes: [], cocoId: im.id };
    if (isNumber(im.difficulty)) image.difficulty = im.difficulty;
    images.push(image);
    byCocoId.set(im.id, image);
  });

  arrayField(json, 'annotations', file).forEach((a, i) => {
    const where = `annotation ${isObject(a) && isNumber(a.id) ? a.id : `#${i}`}`;
    if (!isObject(a)) throw new UserError(`${where} is not an object`, file);
    const image = isNumber(a.image_id) ? byCocoId.get(a.image_id) : undefined;
    if (!image) throw new UserError(`${where} refers to unknown image id ${JSON.stringify(a.image_id)}`, file);
    const label = isNumber(a.category_id) ? classOf.get(a.category_id) : undefined;
    if (label === undefined) throw new UserError(`${where} refers to unknown category id ${JSON.stringify(a.category_id)}`, file);
    const box = fromBbox(a.bbox, label, file, where);
    if (a.iscrowd === 1) box.difficult = true;
    image.boxes.push(box);
  });
  for (const im of images) im.labels = labelsOf(im.boxes);
  return { classNames, categoryIds, images };
}

/** The COCO instances object of some annotations (image ids default to 1..N, category ids to 1..C). */
function cocoInstances(ann: DetectionAnnotations): Json {
  const catIds = ann.classNames.map((_, i) => ann.categoryIds[i] ?? i + 1);
  let annId = 0;
  const imageIds = cocoImageIds(ann.images);
  return {
    images: ann.images.map((im, i) => ({
      id: imageIds[i],
      file_name: im.fileName,
      width: im.width,
      height: im.height,
      ...(im.difficulty !== undefined ? { difficulty: im.difficulty } : {}),
    })),
    annotations: ann.images.flatMap((im, i) =>
      im.boxes.map((b) => ({
        id: ++annId,
        image_id: imageIds[i],
        category_id: catIds[b.label],
        bbox: toBbox(b),
        area: (b.x2 - b.x1) * (b.y2 - b.y1),
        iscrowd: b.difficult ? 1 : 0,
      })),
    ),
    categories: ann.classNames.map((name, i) => ({ id: catIds[i], name })),
  };
}

function cocoImageIds(images: readonly AnnotatedImage[]): number[] {
  return images.map((im, i) => im.cocoId ?? i + 1);
}

export async function readCocoInstances(file: string): Promise<DetectionAnnotations> {
  return parseCocoInstances(await readJson(file), file);
}

export async function writeCocoInstances(file: string, ann: DetectionAnnotations): Promise<void> {
  await writeFile(file, JSON.stringify(cocoInstances(ann)));
}

/** Image ids of the instances file ↔ our ids, and category ids ↔ class ids, for results files. */
function resultsIndex(ann: DetectionAnnotations) {
  const imageIds = cocoImageIds(ann.images);
  const ourId = new Map<number | string, string>();
  const cocoId = new Map<string, number>();
  ann.images.forEach((im, i) => {
    ourId.set(imageIds[i], im.id);
    ourId.set(im.id, im.id);
    cocoId.set(im.id, imageIds[i]);
  });
  const catIds = ann.classNames.map((_, i) => ann.categoryIds[i] ?? i + 1);
  return { ourId, cocoId, catIds, classOf: new Map(catIds.map((c, i) => [c, i])) };
}

/**
 * Parses a COCO results array against the instances it refers to: `image_id` is the instances file's numeric
 * id (or our string id, or a number written as a string), `category_id` one of its categories.
 */
function parseCocoResults(json: unknown, ann: DetectionAnnotations, file: string): Detection[] {
  if (!Array.isArray(json)) throw new UserError('is not a COCO results array (expected [{ image_id, category_id, bbox, score }])', file);
  const { ourId, classOf } = resultsIndex(ann);
  return json.map((r, i) => {
    const where = `result #${i}`;
    if (!isObject(r)) throw new UserError(`${where} is not an object`, file);
    const raw = r.image_id;
    const imageId =
      typeof raw === 'number' || typeof raw === 'string'
        ? (ourId.get(raw) ?? (typeof raw === 'string' && /^\d+$/.test(raw) ? ourId.get(Number(raw)) : undefined))
        : undefined;
    if (imageId === undefined) throw new UserError(`${where} refers to unknown image id ${JSON.stringify(raw)}`, file);
    const label = isNumber(r.category_id) ? classOf.get(r.category_id) : undefined;
    if (label === undefined) throw new UserError(`${where} refers to unknown category id ${JSON.stringify(r.category_id)}`, file);
    if (!isNumber(r.score)) throw new UserError(`${where} needs a numeric "score"`, file);
    const { x1, y1, x2, y2 } = fromBbox(r.bbox, label, file, where);
    return { imageId, label, score: r.score, box: { x1, y1, x2, y2 } };
  });
}

/** The COCO results array of some detections, with the image and category ids of `ann`. */
function cocoResults(dets: readonly Detection[], ann: DetectionAnnotations): Json[] {
  const { cocoId, catIds } = resultsIndex(ann);
  return dets.map((d) => {
    const image_id = cocoId.get(d.imageId);
    if (image_id === undefined) throw new Error(`detection on ${d.imageId}, which the annotations do not hold`);
    if (catIds[d.label] === undefined) throw new Error(`detection of class ${d.label}, which the annotations do not have`);
    return { image_id, category_id: catIds[d.label], bbox: toBbox(d.box), score: d.score };
  });
}

export async function readCocoResults(file: string, ann: DetectionAnnotations): Promise<Detection[]> {
  return parseCocoResults(await readJson(file), ann, file);
}

export async function writeCocoResults(file: string, dets: readonly Detection[], ann: DetectionAnnotations): Promise<void> {
  await writeFile(file, JSON.stringify(cocoResults(dets, ann)));
}
