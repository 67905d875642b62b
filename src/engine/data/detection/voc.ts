/**
 * Pascal VOC folders: `Annotations/<id>.xml`, `JPEGImages/<id>.jpg|png`, optional `ImageSets/Main/<set>.txt`.
 * VOC pixel coordinates are 1-based and inclusive; ours are 0-based with x2/y2 exclusive, so x1 = xmin − 1 and
 * x2 = xmax (and back). VOC has no class list: we write `labels.txt` (one name a line, in class-id order) and
 * read it when present, else classes are the object names sorted. The generator's per-image difficulty travels
 * as an extra `<difficulty>` element.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { UserError } from '../../core/errors';
import type { Box } from '../types';
import { idOfFile, labelsOf, type AnnotatedImage, type DetectionAnnotations } from './annotations';

const VOC_SETS = ['train', 'val', 'trainval', 'test'] as const;
export type VocSet = (typeof VOC_SETS)[number];

const parser = new XMLParser({
  ignoreAttributes: true,
  // numbers are parsed by us, so a file name like "0012" stays a string
  parseTagValue: false,
  isArray: (name) => name === 'object',
});

type Node = Record<string, unknown>;
const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v);

function num(node: Node, key: string, file: string, where: string): number {
  const raw = node[key];
  const v = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  if (!Number.isFinite(v)) throw new UserError(`${where}: <${key}> is not a number (${JSON.stringify(raw ?? null)})`, file);
  return v;
}

/** One annotation XML → our image (class ids by `classOf`; unknown names are added when `grow` is set). */
function parseVocXml(xml: string, file: string, classOf: Map<string, number>, grow: boolean): AnnotatedImage {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new UserError(`is not well-formed XML (line ${valid.err.line}: ${valid.err.msg})`, file);
  const doc = parser.parse(xml) as Node;
  const ann = doc.annotation;
  if (!isNode(ann)) throw new UserError('has no <annotation> element', file);
  if (typeof ann.filename !== 'string' || ann.filename.trim() === '') throw new UserError('has no <filename>', file);
  const size = ann.size;
  if (!isNode(size)) throw new UserError('has no <size> element', file);
  const width = num(size, 'width', file, '<size>');
  const height = num(size, 'height', file, '<size>');
  if (!(width > 0 && height > 0)) throw new UserError(`<size> is ${width}×${height}`, file);
  const boxes: Box[] = [];
  ((ann.object as unknown[] | undefined) ?? []).forEach((o, i) => {
    const where = `object ${i + 1}`;
    if (!isNode(o) || typeof o.name !== 'string') throw new UserError(`${where} has no <name>`, file);
    let label = classOf.get(o.name);
    if (label === undefined) {
      if (!grow) throw new UserError(`${where}: class "${o.name}" is not in labels.txt`, file);
      label = classOf.size;
      classOf.set(o.name, label);
    }
    const bb = o.bndbox;
    if (!isNode(bb)) throw new UserError(`${where} has no <bndbox>`, file);
    const box: Box = { x1: num(bb, 'xmin', file, where) - 1, y1: num(bb, 'ymin', file, where) - 1, x2: num(bb, 'xmax', file, where), y2: num(bb, 'ymax', file, where), label };
    if (box.x2 <= box.x1) throw new UserError(`${where}: xmax ${box.x2} is left of xmin ${box.x1 + 1}`, file);
    if (box.y2 <= box.y1) throw new UserError(`${where}: ymax ${box.y2} is above ymin ${box.y1 + 1}`, file);
    if (o.difficult !== undefined && String(o.difficult).trim() === '1') box.difficult = true;
    boxes.push(box);
  });
  const fileName = ann.filename.trim();
  const image: AnnotatedImage = { id: idOfFile(fileName), fileName, width, height, labels: labelsOf(boxes), boxes };
  if (size.depth !== undefined) image.channels = num(size, 'depth', file, '<size>');
  if (ann.difficulty !== undefined) image.difficulty = num(ann, 'difficulty', file, '<annotation>');
  return image;
}

const escape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function vocXml(im: AnnotatedImage, classNames: readonly string[]): string {
  const objects = im.boxes.map(
    (b) => `  <object>
    <name>${escape(classNames[b.label])}</name>
    <pose>Unspecified</pose>
    <truncated>0</truncated>
    <difficult>${b.difficult ? 1 : 0}</difficult>
    <bndbox>
      <xmin>${b.x1 + 1}</xmin>
      <ymin>${b.y1 + 1}</ymin>
      <xmax>${b.x2}</xmax>
      <ymax>${b.y2}</ymax>
    </bndbox>
  </object>
`,
  );
  return `<annotation>
  <folder>JPEGImages</folder>
  <filename>${escape(im.fileName)}</filename>
  <size>
    <width>${im.width}</width>
    <height>${im.height}</height>
    <depth>${im.channels ?? 3}</depth>
  </size>
  <segmented>0</segmented>
${im.difficulty !== undefined ? `  <difficulty>${im.difficulty}</difficulty>\n` : ''}${objects.join('')}</annotation>
`;
}

async function readLines(file: string): Promise<string[]> {
  return (await readFile(file, 'utf8'))
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

export interface VocFolder extends DetectionAnnotations {
  /** the image ids of each ImageSets/Main list present */
  sets: Partial<Record<VocSet, string[]>>;
}

/** Reads every annotation of a VOC folder, and its image-set lists. */
export async function readVocFolder(dir: string): Promise<VocFolder> {
  const annDir = join(dir, 'Annotations');
  if (!existsSync(annDir)) throw new UserError('has no Annotations folder', dir);
  const labelsFile = join(dir, 'labels.txt');
  const known = existsSync(labelsFile) ? await readLines(labelsFile) : null;
  const classOf = new Map((known ?? []).map((n, i) => [n, i]));
  const files = (await readdir(annDir)).filter((f) => f.toLowerCase().endsWith('.xml')).sort();
  const images: AnnotatedImage[] = [];
  for (const f of files) images.push(parseVocXml(await readFile(join(annDir, f), 'utf8'), join(annDir, f), classOf, known === null));
  let classNames = [...classOf.keys()];
  if (known === null) {
    // no class list: sorted names, so the numbering does not depend on which file came first
    classNames = [...classNames].sort();
    const renumber = classNames.map((n) => classOf.get(n)!);
    const newId = new Map(renumber.map((old, i) => [old, i]));
    for (const im of images) {
      for (const b of im.boxes) b.label = newId.get(b.label)!;
      im.labels = labelsOf(im.boxes);
    }
  }
  const sets: VocFolder['sets'] = {};
  for (const s of VOC_SETS) {
    const f = join(dir, 'ImageSets', 'Main', `${s}.txt`);
    if (existsSync(f)) sets[s] = (await readLines(f)).map((l) => l.split(/\s+/)[0]);
  }
  return { classNames, categoryIds: classNames.map((_, i) => i + 1), images, sets };
}

/** Writes annotations (and labels.txt, and the given image-set lists) as a VOC folder; images are the caller's. */
export async function writeVocFolder(dir: string, ann: DetectionAnnotations, sets: Partial<Record<VocSet, string[]>> = {}): Promise<void> {
  await mkdir(join(dir, 'Annotations'), { recursive: true });
  await writeFile(join(dir, 'labels.txt'), ann.classNames.map((n) => `${n}\n`).join(''));
  for (const im of ann.images) await writeFile(join(dir, 'Annotations', `${im.id}.xml`), vocXml(im, ann.classNames));
  const entries = Object.entries(sets);
  if (entries.length) await mkdir(join(dir, 'ImageSets', 'Main'), { recursive: true });
  for (const [name, ids] of entries) await writeFile(join(dir, 'ImageSets', 'Main', `${name}.txt`), ids.map((id) => `${id}\n`).join(''));
}
