import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DetectionAnnotations } from '../../../../src/engine/data/detection/annotations';
import { readVocFolder, writeVocFolder } from '../../../../src/engine/data/detection/voc';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'll-voc-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// a real VOC 2007 annotation (000005), trimmed to two objects
const voc2007 = `<annotation>
	<folder>VOC2007</folder>
	<filename>000005.jpg</filename>
	<source><database>The VOC2007 Database</database></source>
	<size><width>500</width><height>375</height><depth>3</depth></size>
	<segmented>0</segmented>
	<object>
		<name>chair</name><pose>Rear</pose><truncated>0</truncated><difficult>0</difficult>
		<bndbox><xmin>263</xmin><ymin>211</ymin><xmax>324</xmax><ymax>339</ymax></bndbox>
	</object>
	<object>
		<name>bottle</name><pose>Unspecified</pose><truncated>1</truncated><difficult>1</difficult>
		<bndbox><xmin>1</xmin><ymin>1</ymin><xmax>500</xmax><ymax>375</ymax></bndbox>
	</object>
</annotation>`;

describe('VOC folders', () => {
  it('converts 1-based inclusive pixels to 0-based exclusive, keeps difficult, sorts classes without labels.txt', async () => {
    const root = join(dir, 'user');
    await mkdir(join(root, 'Annotations'), { recursive: true });
    await mkdir(join(root, 'ImageSets', 'Main'), { recursive: true });
    await writeFile(join(root, 'Annotations', '000005.xml'), voc2007);
    await writeFile(join(root, 'ImageSets', 'Main', 'trainval.txt'), '000005\n');
    const voc = await readVocFolder(root);
    expect(voc.classNames).toEqual(['bottle', 'chair']);
    expect(voc.sets).toEqual({ trainval: ['000005'] });
    expect(voc.images).toEqual([
      {
        id: '000005',
        fileName: '000005.jpg',
        width: 500,
        height: 375,
        channels: 3,
        labels: [0, 1],
        boxes: [
          { x1: 262, y1: 210, x2: 324, y2: 339, label: 1 },
          // the whole image: 0..500 exclusive
          { x1: 0, y1: 0, x2: 500, y2: 375, label: 0, difficult: true },
        ],
      },
    ]);
  });

  it('round-trips exactly (boxes, difficult, difficulty, class order, image sets) and writes the same XML again', async () => {
    const ann: DetectionAnnotations = {
      classNames: ['zebra', 'ant & bee'],
      categoryIds: [1, 2],
      images: [
        { id: 'train_000000', fileName: 'train_000000.png', width: 96, height: 96, channels: 1, labels: [0, 1], boxes: [{ x1: 0, y1: 5, x2: 96, y2: 40, label: 1 }, { x1: 10, y1: 11, x2: 12, y2: 13, label: 0, difficult: true }], difficulty: 0.123456789 },
        { id: 'test_000000', fileName: 'test_000000.png', width: 96, height: 80, channels: 1, labels: [], boxes: [] },
      ],
    };
    const a = join(dir, 'a');
    await writeVocFolder(a, ann, { train: ['train_000000'], test: ['test_000000'] });
    const back = await readVocFolder(a);
    expect(back).toEqual({ ...ann, images: [ann.images[1], ann.images[0]], sets: { train: ['train_000000'], test: ['test_000000'] } });
    const b = join(dir, 'b');
    await writeVocFolder(b, back, back.sets);
    for (const f of ['Annotations/train_000000.xml', 'Annotations/test_000000.xml', 'labels.txt', 'ImageSets/Main/test.txt']) {
      expect(await readFile(join(b, f), 'utf8')).toBe(await readFile(join(a, f), 'utf8'));
    }
    expect(await readVocFolder(b)).toEqual(back);
  });
});
