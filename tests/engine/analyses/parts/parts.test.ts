// The parts analyses end to end on a tiny seeded set: data → train (pre-training a few canvases) → eval, respond,
// the view's run description; a second run in the same folder reuses the pre-trained backbone.
import { mkdtempSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { plainContext } from '../../../../src/engine/core/context';
import * as data from '../../../../src/engine/analyses/parts/data';
import * as evaluate from '../../../../src/engine/analyses/parts/eval';
import * as train from '../../../../src/engine/analyses/parts/train';
import { hiddenKind } from '../../../../src/engine/analyses/parts/common';
import { respond, runView } from '../../../../src/engine/analyses/parts/view';
import { PartsDataConfig, PartsEvalConfig, PartsTrainConfig, partsMethods } from '../../../../src/shared/api-parts';
import { generatePartScenes } from '../../../../src/engine/data/detection/part-scenes';

const dir = mkdtempSync(join(tmpdir(), 'parts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('part scenes', () => {
  it('seeded: same config, same scenes; one label, the part box touching the body, hidden kinds', async () => {
    const cfg = { source: 'mnist' as const, classes: 3, images: 12, testImages: 6, size: 64, maxDistractors: 2, seed: 4 };
    const a = await generatePartScenes(cfg);
    const b = await generatePartScenes(cfg);
    expect(Buffer.from(a.train[3].pixels).equals(Buffer.from(b.train[3].pixels))).toBe(true);
    expect(a.classNames).toEqual(['1-part', '2-part', '3-part']);
    for (const im of [...a.train, ...a.test]) {
      expect(im.labels).toHaveLength(1);
      const part = im.parts.find((p) => p.kind === 'part')!;
      const body = im.parts.find((p) => p.kind === 'body')!;
      expect(im.boxes).toEqual([{ x1: part.x1, y1: part.y1, x2: part.x2, y2: part.y2, label: im.labels[0] }]);
      // attached: the part's box meets the body's
      expect(Math.min(part.x2, body.x2) >= Math.max(part.x1, body.x1) && Math.min(part.y2, body.y2) >= Math.max(part.y1, body.y1)).toBe(true);
      expect(part.x1 >= 0 && part.y1 >= 0 && part.x2 <= 64 && part.y2 <= 64).toBe(true);
      expect(hiddenKind(im.parts, part)).toBe('part');
      expect(hiddenKind(im.parts, body)).toBe('body');
    }
    expect(hiddenKind([], { x1: 0, y1: 0, x2: 4, y2: 4 })).toBe('background');
  });
});

describe('parts data → train → eval / respond / view', () => {
  const bench = join(dir, 'bench');
  const run = join(dir, 'run');
  const cfg = PartsTrainConfig.parse({ data: bench, out: run, seed: 2, seeds: 12, clusters: 3, patterns: 1, rounds: 2, proposals: 60, pretrainEpochs: 1, pretrainSamples: 64, valFraction: 0.25 });

  it('trains from image labels and reports every score; the run folder holds what the view reads', async () => {
    const d = await data.run(PartsDataConfig.parse({ out: bench, classes: 2, images: 24, testImages: 10, seed: 3 }), plainContext());
    expect(d).toMatchObject({ train: 24, test: 10, classNames: ['1-part', '2-part'] });
    expect(existsSync(join(bench, 'parts.json'))).toBe(true);
    const r = await train.run(cfg, plainContext());
    expect(r.mining.detectors).toBe(2);
    for (const s of [r.val, r.test]) {
      for (const k of ['top1Global', 'top1Parts', 'top1Both', 'corloc'] as const) {
        expect(s[k]).toBeGreaterThanOrEqual(0);
        expect(s[k]).toBeLessThanOrEqual(1);
      }
      expect(s.purity).not.toBeNull();
    }
    expect(r.splits).toMatchObject({ nTrain: 18, nVal: 6, nTest: 10 });
    expect(r.timings.pretrain).toBeGreaterThan(0);
    expect(JSON.parse(readFileSync(r.recordPath, 'utf8')).test).toEqual(r.test);

    // the same folder again: the backbone is reused, the mining is reproduced exactly
    const again = await train.run(cfg, plainContext());
    expect(again.timings.pretrain).toBe(0);
    expect(again.test).toEqual(r.test);

    const e = await evaluate.run(PartsEvalConfig.parse({ model: run, data: bench, split: 'test', valFraction: 0.25 }), plainContext());
    expect({ ...e, model: undefined, backend: undefined }).toEqual({ ...r.test, model: undefined, backend: undefined });

    const view = await runView(partsMethods['parts.run'].parse({ model: run }));
    expect(view.classNames).toEqual(['1-part', '2-part']);
    expect(view.classes).toHaveLength(2);
    const c0 = view.classes[0];
    expect(c0.affinity).toHaveLength(c0.order.length ** 2);
    expect([...c0.assign].sort((a, b) => a - b)).toEqual(c0.assign);
    expect(view.patterns.filter((p) => p.kept)).toHaveLength(2);
    expect(view.patterns[0].members[0].patch.length).toBeGreaterThan(0);
    expect(view.detectors[0].confidence).toHaveLength(2);
    expect(view.matrix.values).toHaveLength(2);
    expect(view.matrix.values[0]).toHaveLength(10);

    const id = view.matrix.images[0];
    const maps = await respond(partsMethods['parts.respond'].parse({ model: run, image: id, data: bench, split: 'test', detectors: [1] }));
    expect(maps.maps).toHaveLength(1);
    expect(maps.maps[0]).toMatchObject({ detector: 1 });
    expect(maps.maps[0].values).toHaveLength(maps.gridW * maps.gridH);
    expect(maps.maps[0].max).toBeGreaterThanOrEqual(maps.maps[0].min);
    // the matrix's entry is the map's best z-score
    expect(maps.maps[0].max).toBeCloseTo(view.matrix.values[1][0], 2);
    expect(maps.classScores!.both.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 2);
    // the same image as a PNG file
    const file = await respond(partsMethods['parts.respond'].parse({ model: run, image: join(bench, 'images', 'test', `${id}.png`) }));
    expect(file.maps[1].values).toEqual(maps.maps[0].values);
    await expect(respond(partsMethods['parts.respond'].parse({ model: run, image: id, data: bench, detectors: [9] }))).rejects.toThrow(/detector 9 does not exist/);
    await expect(runView({ model: dir })).rejects.toThrow(/not a parts run folder/);
  }, 240_000);
});
