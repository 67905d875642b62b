// `layerlens wsod` end to end through the real binary on a tiny benchmark (1 epoch, no pre-training): the issue's
// --json shapes, eval agreeing with train's test scores, and detections that open in review over the same data.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reviewHandlers } from '../../src/engine/analyses/review/handlers';
import { Workspace } from '../../src/engine/jobs/workspace';

const root = resolve(import.meta.dirname, '../..');
const bin = join(root, 'bin/layerlens.mjs');
const ws = mkdtempSync(join(tmpdir(), 'll-cli-wsod-'));
const tmp = (p: string) => mkdtempSync(join(tmpdir(), p));
function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args, '--workspace', ws], { encoding: 'utf8', timeout: 240_000, cwd: tmpdir() });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
function json(...args: string[]) {
  const r = cli(...args, '--json');
  expect(r.stderr, args.join(' ')).toBe('');
  expect(r.code, args.join(' ')).toBe(0);
  return JSON.parse(r.stdout);
}

describe('layerlens wsod end to end', () => {
  it('data → train → eval / rank / detect, and the detections open in review', async () => {
    const data = join(tmp('ll-wsod-data-'), 'bench');
    const d = json('wsod', 'data', '--out', data, '--images', '40', '--test-images', '12', '--size', '48', '--classes', '3', '--max-objects', '2', '--seed', '2');
    expect(d).toMatchObject({ out: data, format: 'coco', classNames: ['0', '1', '2'], train: 40, test: 12, seed: 2 });
    expect(existsSync(join(data, 'annotations', 'instances_test.json'))).toBe(true);

    const run = join(tmp('ll-wsod-run-'), 'run');
    const t = json('wsod', 'train', '--data', data, '--out', run, '--epochs', '1', '--pretrain-epochs', '0', '--proposals', '16', '--seed', '1');
    expect(t.runDir).toBe(run);
    expect(t.test.perClass).toHaveLength(3);

    const e = json('wsod', 'eval', run, '--data', data);
    expect(Object.keys(e)).toEqual(['mAP50', 'corloc', 'perClass']);
    // the same detector on the same split: the scores train reported
    expect(e.mAP50).toBeCloseTo(t.test.mAP50, 10);
    expect(e.corloc).toBeCloseTo(t.test.corloc, 10);

    const r = json('wsod', 'rank', run, '--data', data);
    expect(Object.keys(r)).toEqual(['items', 'spearmanIoU']);
    expect(r.items.length).toBeGreaterThan(0);
    for (const i of r.items) expect(Object.keys(i)).toEqual(['image', 'class', 'meas', 'group']);
    expect(r.spearmanIoU).toBeGreaterThanOrEqual(-1);
    expect(r.spearmanIoU).toBeLessThanOrEqual(1);

    const out = join(tmp('ll-wsod-dets-'), 'dets.json');
    const det = json('wsod', 'detect', run, '--images', data, '--out', out);
    expect(det).toMatchObject({ out, images: 12 });
    expect(JSON.parse(readFileSync(out, 'utf8'))).toHaveLength(det.detections);

    // any COCO results file over the data opens in review, as does the run folder itself
    const w = new Workspace(tmp('ll-wsod-review-'));
    try {
      const h = reviewHandlers({ workspace: w, runner: undefined as never });
      const set = await h['review.open']({ data, split: 'test', detections: out, valFraction: undefined, valSeed: undefined });
      expect((await h['review.items']({ set: set.id })).total).toBe(det.detections);
      const fromRun = await h['review.open']({ data, split: 'test', detections: run, valFraction: undefined, valSeed: undefined });
      expect(fromRun.detections).toBe(join(run, 'detections-test.json'));
      expect((await h['review.metrics']({ set: fromRun.id, minScore: 0, which: 'detections' })).mAP50).toBeCloseTo(t.test.mAP50, 10);
    } finally {
      w.close();
    }
  }, 300_000);
});
