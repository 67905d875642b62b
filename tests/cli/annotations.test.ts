import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { generateClutter } from '../../src/engine/data/detection/clutter';
import { writeDetectionFolder } from '../../src/engine/data/detection/folder';
import { cliRunner } from './harness';

const root = resolve(import.meta.dirname, '../..');
const bin = join(root, 'bin/layerlens.mjs');
const ws = mkdtempSync(join(tmpdir(), 'll-cli-ann-'));
const tmp = (p: string) => mkdtempSync(join(tmpdir(), p));
/** The real binary (one run: it starts in ~5 s on a busy machine). */
function spawnCli(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args, '--workspace', ws], { encoding: 'utf8', timeout: 120_000, cwd: tmpdir() });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
/** The same CLI in this process. */
const cli = cliRunner({ append: ['--workspace', ws], lines: true });
afterEach(() => vi.restoreAllMocks());

let data: string;
let boxes: number;
beforeAll(async () => {
  const d = await generateClutter({ source: 'mnist', classes: 3, images: 10, testImages: 6, size: 48, difficulty: 0.5, maxObjects: 2, seed: 5 });
  data = tmp('ll-cli-ann-data-');
  await writeDetectionFolder(data, d, 'coco');
  boxes = d.test.reduce((s, im) => s + im.boxes!.length, 0);
}, 120_000);

describe('layerlens annotations import|export', () => {
  it('export --json → import --json: the same images and boxes; VOC re-export is identical to the first', async () => {
    const out = join(tmp('ll-cli-ann-out-'), 'test.json');
    const ex = spawnCli('annotations', 'export', '--data', data, '--format', 'coco', '--file', out, '--json');
    expect(ex.stderr).toBe('');
    expect(ex.code).toBe(0);
    const e = JSON.parse(ex.stdout);
    expect(Object.keys(e)).toEqual(['set', 'file', 'images', 'boxes']);
    expect(e).toMatchObject({ file: out, images: 6, boxes });
    // the split's annotations as the dataset has them
    const original = JSON.parse(readFileSync(join(data, 'annotations', 'instances_test.json'), 'utf8'));
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(original);

    const im = JSON.parse((await cli('annotations', 'import', '--data', data, '--format', 'coco', '--file', out, '--json')).stdout);
    expect(im).toMatchObject({ file: out, images: 6, boxes });
    expect(im.set).not.toBe(e.set);

    const vocDir = join(tmp('ll-cli-ann-voc-'), 'voc');
    const v = await cli('annotations', 'export', '--data', data, '--format', 'voc', '--file', vocDir, '--set', im.set);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout).toMatch(/^exported \d+ boxes on 6 images to .*voc \(review set rs-/);
    const vocImport = JSON.parse((await cli('annotations', 'import', '--data', data, '--format', 'voc', '--file', vocDir, '--json')).stdout);
    expect(vocImport).toMatchObject({ images: 6, boxes });
    const again = join(tmp('ll-cli-ann-out-'), 'again.json');
    expect((await cli('annotations', 'export', '--data', data, '--format', 'coco', '--file', again, '--set', vocImport.set)).code).toBe(0);
    expect(readFileSync(again, 'utf8')).toBe(readFileSync(out, 'utf8'));
  });

  it('bad flags and bad files: one line on stderr', async () => {
    const bad = join(tmp('ll-cli-ann-bad-'), 'bad.json');
    writeFileSync(bad, '{"images": [], "annotations": []}');
    const negative = join(tmp('ll-cli-ann-bad-'), 'neg.json');
    writeFileSync(
      negative,
      JSON.stringify({ images: [{ id: 1, file_name: 'test_000000.png', width: 48, height: 48 }], annotations: [{ id: 1, image_id: 1, category_id: 1, bbox: [3, 3, -2, 5] }], categories: [{ id: 1, name: '0' }] }),
    );
    const vocDir = tmp('ll-cli-ann-badvoc-');
    mkdirSync(join(vocDir, 'Annotations'));
    const xml = join(vocDir, 'Annotations', 'test_000000.xml');
    writeFileSync(xml, '<annotation><size><width>48</width></sise></annotation>');
    const cases: [string[], RegExp, number][] = [
      [['annotations', 'import', '--data', data, '--format', 'coco', '--file', bad, '--colour', 'red'], /^layerlens: annotations: Unknown option '--colour'/, 2],
      [['annotations', 'import', '--data', data, '--format', 'yaml', '--file', bad], /--format must be one of coco, voc, got "yaml"/, 2],
      [['annotations', 'import', '--data', data, '--file', bad], /missing --format/, 2],
      [['annotations', 'copy', '--data', data, '--format', 'coco', '--file', bad], /annotations needs import or export, got "copy"/, 2],
      [['annotations', 'import', '--data', data, '--format', 'coco', '--file', bad, '--set', 'x'], /--set is for export/, 2],
      [['annotations', 'import', '--data', data, '--format', 'coco', '--file', bad], new RegExp(`^layerlens: ${bad}: has no "categories" array$`), 1],
      [['annotations', 'import', '--data', data, '--format', 'voc', '--file', bad], /is a file; a VOC dataset is a folder/, 1],
      [['annotations', 'import', '--data', data, '--format', 'coco', '--file', negative], new RegExp(`^layerlens: ${negative}: annotation 1: bbox has negative width -2$`), 1],
      [['annotations', 'import', '--data', data, '--format', 'voc', '--file', vocDir], new RegExp(`^layerlens: ${xml}: .*XML`), 1],
      [['annotations', 'export', '--data', data, '--format', 'coco', '--file', join(bad, 'x.json'), '--set', 'rs-nope'], /no review set "rs-nope"/, 1],
    ];
    for (const [args, msg, code] of cases) {
      const r = await cli(...args);
      expect(r.code, args.join(' ')).toBe(code);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr.trim()).toMatch(msg);
    }
  });
});
