// Work spread over two queue workers. A DNQ search with its episode batches fanned out: the controller loop stays
// in the job on one worker, each unseen policy of a batch is scored by a sub-job on the other, and the search
// (episodes, rewards, best policy, references) equals the one-process run for the same seed. A seed set from the
// CLI (`layerlens sweep --seeds`): one child per seed, each equal to its local run.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { QuantizeConfig, SensitivityConfig, type QuantizeResult, type SensitivityResult } from '../../../src/shared/api-quant';
import { main } from '../../../src/cli/index';
import * as sensitivity from '../../../src/engine/analyses/quant/sensitivity';
import { plainContext } from '../../../src/engine/core/context';
import * as quantize from '../../../src/engine/analyses/quant/quantize';
import { createService, type Service } from '../../../src/engine/service';
import { skipReason, startRedis, type RedisServer } from './redis';
import { spawnWorker, stopWorker, type WorkerProc } from './workers';

const search = {
  model: 'builtin:lenet5-mnist',
  data: 'mnist',
  method: 'dnq' as const,
  episodes: 8,
  samplesPerUpdate: 4,
  episodeEvalSize: 100,
  retrainEpochs: 0,
  fractions: [1],
  compareOrders: false,
  evalLimit: 200,
  seed: 5,
  evaluator: 'tfjs' as const,
};

let redis: RedisServer;
let workers: WorkerProc[] = [];
let remote: Service;

describe.skipIf(skipReason !== '')(`distributed: DNQ batches and CLI seed sets over two workers ${skipReason}`, () => {
  beforeAll(async () => {
    redis = await startRedis({});
    workers = await Promise.all([0, 1].map(() => spawnWorker(redis.url)));
    remote = await createService({ workspaceDir: mkdtempSync(join(tmpdir(), 'll-dist-dnq-')), host: 'cli', redis: { url: redis.url } });
  });
  afterAll(async () => {
    await remote?.close();
    await Promise.all(workers.map(stopWorker));
    await redis?.stop();
  });

  it('scores each batch on the other worker and finds the local search\'s episodes and best policy', async () => {
    const { id } = await remote.call('jobs.start', { kind: 'quantize', config: search });
    const rec = await remote.runner.wait(id);
    expect(rec.status, rec.error ?? '').toBe('done');
    const got = rec.result as QuantizeResult;

    const want = await quantize.run(QuantizeConfig.parse(search), plainContext());
    expect(got.episodes).toEqual(want.episodes);
    expect(got.uniformReferences).toEqual(want.uniformReferences);
    expect(got.layers).toEqual(want.layers);
    expect(got.search!.bestEpisode).toBe(want.search!.bestEpisode);
    expect(got.search!.evaluated).toBe(want.search!.evaluated);
    expect(got.quantized).toEqual(want.quantized);

    // the parent ran on one worker; every policy it scored (references and episodes) was a sub-job on the other
    const subs = (l: string) => [...l.matchAll(new RegExp(`done ${id}\\.0\\.a1\\.f\\d+\\.\\d+ on`, 'g'))].length;
    // the workers' last lines may still be in their pipes
    await vi.waitFor(() => expect(workers.map((w) => subs(w.output())).sort()).toEqual([0, got.search!.evaluated]), { timeout: 5_000 });
    const parentOn = workers.findIndex((w) => w.output().includes(`start ${id}.0 attempt`));
    expect(subs(workers[parentOn].output())).toBe(0);
  }, 120_000);

  it('`layerlens sweep --seeds` runs one child per seed, each equal to the local run for that seed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'll-sweep-'));
    const file = join(dir, 'grid.json');
    const grid = { model: 'builtin:lenet5-mnist', data: 'mnist', bits: [4], method: 'uniform', limit: 100, evaluator: 'tfjs' };
    writeFileSync(file, JSON.stringify(grid));
    const lines: string[] = [];
    const before = process.env.LAYERLENS_REDIS;
    try {
      const code = await main(['sweep', 'sensitivity', file, '--seeds', '1,2', '--redis', redis.url, '--workspace', join(dir, 'ws'), '--json'], (l) => lines.push(l));
      expect(code, lines.join('\n')).toBe(0);
    } finally {
      if (before === undefined) delete process.env.LAYERLENS_REDIS;
      else process.env.LAYERLENS_REDIS = before;
    }
    const out = JSON.parse(lines.at(-1)!) as { id: string; results: SensitivityResult[] };
    expect(out.results.map((r) => r.seed)).toEqual([1, 2]);
    for (const r of out.results) {
      const want = await sensitivity.run(SensitivityConfig.parse({ ...grid, seed: r.seed }), plainContext());
      expect(r.baseline).toBe(want.baseline);
      expect(r.layers).toEqual(want.layers);
    }
    // the two seeds read different seeded val subsets: the sweep did not run one config twice
    expect(out.results[0].layers).not.toEqual(out.results[1].layers);
    // without a queue, or with a bad seed list, it is a usage error before anything runs
    delete process.env.LAYERLENS_REDIS;
    await expect(main(['sweep', 'sensitivity', file, '--workspace', join(dir, 'ws')], () => {})).resolves.toBe(2);
    await expect(main(['sweep', 'sensitivity', file, '--seeds', '1,x', '--redis', redis.url, '--workspace', join(dir, 'ws')], () => {})).resolves.toBe(2);
    // a file that is not JSON is one line naming it
    writeFileSync(file, '{ nope');
    await expect(main(['sweep', 'sensitivity', file, '--redis', redis.url, '--workspace', join(dir, 'ws')], () => {})).resolves.toBe(1);
    if (before === undefined) delete process.env.LAYERLENS_REDIS;
    else process.env.LAYERLENS_REDIS = before;
  }, 120_000);
});
