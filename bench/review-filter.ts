// `node --import tsx bench/review-filter.ts [--moves 20] [--json]`: how fast the Review view re-filters when the
// confidence slider moves, with 5,000 detections on 500 images, in real Chromium through the browser shell on the
// real engine. Not part of `npm test` (a figure, not a timed test).
//
// Data: the cluttered-digit benchmark's writer (500 test images), and a COCO results file of exactly 10 boxes per
// image (a jittered copy of each ground-truth box, scored high, plus seeded random boxes scored lower) — any
// detector's output is reviewable, and the renderer's work depends on the count, not on who made the boxes.
// Measured per move, in the page: from the slider's input event to (a) the DOM patched (the filtered grid and its
// counts, observed by a MutationObserver) and (b) the next frame after it (what the user sees).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WsodDataConfig, type Detection } from '../src/shared/api-wsod';
import { run as writeBenchmark } from '../src/engine/analyses/wsod/data';
import { plainContext } from '../src/engine/core/context';
import { makeRng } from '../src/engine/core/random';
import { loadSplit } from '../src/engine/review/source';
import { writeCocoResults } from '../src/engine/data/detection/coco';
import { openStudio } from '../tests/e2e/helpers';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const IMAGES = 500;
const PER_IMAGE = 10;
const MOVES = arg('moves', 20);
const JSON_OUT = process.argv.includes('--json');
const say = (line: string) => void (JSON_OUT ? process.stderr.write(`${line}\n`) : console.log(line));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function makeData(dir: string): Promise<{ data: string; detections: string; boxes: number }> {
  const data = join(dir, 'digits');
  await writeBenchmark(WsodDataConfig.parse({ out: data, images: 10, testImages: IMAGES, size: 96, seed: 1 }), plainContext());
  const src = await loadSplit(data, 'test', {});
  const rng = makeRng(11);
  const classes = src.ds.classNames.length;
  const dets: Detection[] = [];
  for (const im of src.images) {
    const mine: Detection[] = [];
    for (const b of im.boxes ?? []) {
      if (mine.length >= PER_IMAGE) break;
      const j = () => (rng() - 0.5) * 6;
      const box = { x1: Math.max(0, b.x1 + j()), y1: Math.max(0, b.y1 + j()), x2: Math.min(im.width, b.x2 + j()), y2: Math.min(im.height, b.y2 + j()) };
      if (box.x2 - box.x1 >= 2 && box.y2 - box.y1 >= 2) mine.push({ imageId: im.id, label: b.label, score: 0.3 + 0.7 * rng(), box });
    }
    while (mine.length < PER_IMAGE) {
      const w = 10 + rng() * 30;
      const h = 10 + rng() * 30;
      const x1 = rng() * (im.width - w);
      const y1 = rng() * (im.height - h);
      mine.push({ imageId: im.id, label: Math.floor(rng() * classes), score: 0.6 * rng(), box: { x1, y1, x2: x1 + w, y2: y1 + h } });
    }
    dets.push(...mine);
  }
  const detections = join(dir, 'detections.json');
  await writeCocoResults(detections, dets, src.ann);
  return { data, detections, boxes: dets.length };
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'll-bench-review-'));
  const t0 = performance.now();
  const { data, detections, boxes } = await makeData(dir);
  say(`data: ${IMAGES} images, ${boxes} detections (${((performance.now() - t0) / 1000).toFixed(1)} s to write)`);
  const studio = await openStudio('bench-review', { width: 1440, height: 900 });
  try {
    const { page, server } = studio;
    await page.goto(`${server.url}#/review`);
    await page.fill('[data-testid=review-data]', data);
    await page.fill('[data-testid=review-detections]', detections);
    const tOpen = performance.now();
    await page.click('[data-testid=review-open-btn]');
    await page.locator('[data-testid=grid-cell]').first().waitFor({ timeout: 120_000 });
    say(`opened in ${((performance.now() - tOpen) / 1000).toFixed(1)} s: ${await page.locator('[data-testid=kept-count]').textContent()} boxes pass the default filter`);
    // thresholds that alternate low and high, so that every move changes the grid
    const values = Array.from({ length: MOVES + 3 }, (_, k) => (k % 2 ? 0.7 - (k % 7) * 0.03 : 0.1 + (k % 5) * 0.04));
    const samples: { dom: number; frame: number; kept: string }[] = [];
    for (const v of values) {
      // runs in the page (this file is type-checked without DOM types)
      const s = await page.evaluate(async (value: number) => {
        const d = (globalThis as any).document;
        const slider = d.querySelector('[data-testid=score-slider]');
        const count = d.querySelector('[data-testid=kept-count]');
        const t = performance.now();
        const patched = new Promise<void>((res, rej) => {
          const give = setTimeout(() => rej(new Error(`no DOM change within 5 s of moving the slider to ${value}`)), 5000);
          const mo = new (globalThis as any).MutationObserver(() => {
            clearTimeout(give);
            mo.disconnect();
            res();
          });
          mo.observe(d.querySelector('[data-testid=review-view]'), { childList: true, characterData: true, subtree: true, attributes: true });
        });
        slider.value = String(value);
        slider.dispatchEvent(new (globalThis as any).Event('input', { bubbles: true }));
        await patched;
        const dom = performance.now() - t;
        await new Promise((res) => (globalThis as any).requestAnimationFrame(() => setTimeout(res, 0)));
        return { dom, frame: performance.now() - t, kept: String(count.textContent) };
      }, v);
      samples.push(s);
      // let the new page's thumbnails arrive (not measured) before the next move
      await page.waitForTimeout(400);
    }
    const measured = samples.slice(3); // the first moves warm up the JIT
    const dom = measured.map((s) => s.dom);
    const frame = measured.map((s) => s.frame);
    const result = {
      images: IMAGES,
      detections: boxes,
      moves: measured.length,
      medianDomMs: median(dom),
      maxDomMs: Math.max(...dom),
      medianFrameMs: median(frame),
      maxFrameMs: Math.max(...frame),
      keptRange: [Math.min(...measured.map((s) => Number(s.kept))), Math.max(...measured.map((s) => Number(s.kept)))],
      problems: studio.problems,
    };
    say(
      `slider → filtered grid over ${result.moves} moves (boxes shown ${result.keptRange[0]}–${result.keptRange[1]}): ` +
        `DOM patched median ${result.medianDomMs.toFixed(1)} ms (max ${result.maxDomMs.toFixed(1)}), next frame median ${result.medianFrameMs.toFixed(1)} ms (max ${result.maxFrameMs.toFixed(1)})`,
    );
    if (JSON_OUT) console.log(JSON.stringify(result));
  } finally {
    await studio.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
