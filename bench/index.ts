// `npm run bench`: engine throughput against peers measured in the same run. Not part of `npm test`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as tf from '../src/engine/backend/tf';
import { initBackend } from '../src/engine/backend';
import { buildModel } from '../src/engine/models/zoo';
import { makeRng } from '../src/engine/core/random';
import { benchSvd, printSvd } from './svd';

const BATCH = 64;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function time(fn: () => Promise<void> | void, warmup: number, reps: number): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    await fn();
    ts.push((performance.now() - t) / 1000);
  }
  return median(ts);
}

async function benchNet(arch: 'lenet5' | 'resnet20', shape: [number, number, number], trainReps: number, inferReps: number) {
  const model = buildModel(arch, { inputShape: shape, classes: 10, seed: 1 });
  const rng = makeRng(7);
  const x = tf.tensor4d(Float32Array.from({ length: BATCH * shape[0] * shape[1] * shape[2] }, rng), [BATCH, ...shape]);
  const labels = tf.oneHot(tf.tensor1d(Array.from({ length: BATCH }, () => Math.floor(rng() * 10)), 'int32'), 10);
  const opt = tf.train.adam(1e-3);
  const vars = model.trainableWeights.map((v) => v.read() as tf.Variable);
  const step = () => {
    tf.tidy(() => {
      const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, true, vars);
      loss!.dataSync();
    });
  };
  const trainS = await time(step, 2, trainReps);
  const inferS = await time(() => void tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync()), 2, inferReps);
  model.dispose();
  return { trainImgPerSec: BATCH / trainS, inferImgPerSec: BATCH / inferS };
}

function torchPeer(): { version: string; results: Record<string, { trainImgPerSec: number; inferImgPerSec: number }> } | string {
  if (!existsSync('/usr/bin/python3')) return 'no /usr/bin/python3';
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) return 'no torch in /usr/bin/python3 (apt-get install python3-torch)';
  const r = spawnSync('/usr/bin/python3', [new URL('./peer_torch.py', import.meta.url).pathname, '2'], { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) return `torch peer failed: ${r.stderr.trim().split('\n').pop()}`;
  const j = JSON.parse(r.stdout) as { torch: string; results: Record<string, { trainImgPerSec: number; inferImgPerSec: number }> };
  return { version: j.torch, results: j.results };
}

const backend = await initBackend();
console.log(`LayerLens bench: backend ${backend}, batch ${BATCH}, medians; Node ${process.version}`);
const ours = {
  lenet5: await benchNet('lenet5', [28, 28, 1], 20, 20),
  resnet20: await benchNet('resnet20', [32, 32, 3], 5, 10),
};
const peer = torchPeer();
const f = (n: number) => n.toFixed(0).padStart(8);
const r = (a: number, b?: number) => (b ? (a / b).toFixed(2) + '×' : '—').padStart(8);
console.log('');
console.log('net        | train img/s: engine    torch  ratio | infer img/s: engine    torch  ratio');
for (const net of ['lenet5', 'resnet20'] as const) {
  const p = typeof peer === 'string' ? undefined : peer.results[net];
  console.log(
    `${net.padEnd(10)} |             ${f(ours[net].trainImgPerSec)} ${p ? f(p.trainImgPerSec) : '       —'} ${r(ours[net].trainImgPerSec, p?.trainImgPerSec)} |             ${f(ours[net].inferImgPerSec)} ${p ? f(p.inferImgPerSec) : '       —'} ${r(ours[net].inferImgPerSec, p?.inferImgPerSec)}`,
  );
}
console.log('');
console.log(typeof peer === 'string' ? `peer: ${peer}` : `peer: PyTorch ${peer.version} CPU, 2 threads (ratio = engine ÷ torch; > 1 means the engine is faster)`);
printSvd(await benchSvd());
