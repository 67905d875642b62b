// `npm run bench [-- --json]`: engine throughput against peers measured in the same run. Not part of
// `npm test`. Per net: train and inference images/s on each engine backend that runs here (native, wasm),
// ONNX Runtime inference on the same model exported to ONNX, and PyTorch CPU (Debian's python3-torch);
// ratios are the best engine path ÷ PyTorch; GFLOP/s from the model's multiply-adds (training ≈ 3× forward).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import * as tf from '../src/engine/backend/tf';
import { initBackend, type BackendChoice } from '../src/engine/backend';
import { loadAddon } from '../src/engine/backend/native';
import { buildModel } from '../src/engine/models/zoo';
import { layersCosts } from '../src/engine/models/flops';
import { layersSession, ortPredict } from '../src/engine/export/ort';
import { makeRng } from '../src/engine/core/random';
import { benchSvd, printSvd } from './svd';

const JSON_OUT = process.argv.includes('--json');
const BATCH = 64;
const PEAK_GFLOPS = 157; // 2 cores × 2.45 GHz × AVX2 with two FMA units × 8 lanes × 2 flops
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const say = (line: string): void => void (JSON_OUT ? process.stderr.write(`${line}\n`) : console.log(line));

type Arch = 'lenet5' | 'resnet20' | 'resnet8';
type Net = { arch: Arch; shape: [number, number, number]; trainReps: number; inferReps: number };
const NETS: Net[] = [
  { arch: 'lenet5', shape: [28, 28, 1], trainReps: 20, inferReps: 20 },
  { arch: 'resnet20', shape: [32, 32, 3], trainReps: 5, inferReps: 10 },
  { arch: 'resnet8', shape: [28, 28, 1], trainReps: 5, inferReps: 10 },
];
// img/s from wall time (what a user waits for); imgPerCpuSec from the process's CPU time over all its
// threads, which stays comparable when other work shares the machine (the wall time does not)
type Rates = { trainImgPerSec?: number; inferImgPerSec?: number; trainImgPerCpuSec?: number; inferImgPerCpuSec?: number };

let lastCpuS = 0;
async function time(fn: () => Promise<void> | void, warmup: number, reps: number): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const ts: number[] = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    await fn();
    ts.push((performance.now() - t) / 1000);
  }
  const cpu = process.cpuUsage(cpu0);
  lastCpuS = (cpu.user + cpu.system) / 1e6 / reps;
  return median(ts);
}

function inputs(shape: [number, number, number]): { x: Float32Array; labels: number[] } {
  const rng = makeRng(7);
  return {
    x: Float32Array.from({ length: BATCH * shape[0] * shape[1] * shape[2] }, rng),
    labels: Array.from({ length: BATCH }, () => Math.floor(rng() * 10)),
  };
}

async function benchEngine(net: Net): Promise<Rates> {
  const model = buildModel(net.arch, { inputShape: net.shape, classes: 10, seed: 1 });
  const data = inputs(net.shape);
  const x = tf.tensor4d(data.x, [BATCH, ...net.shape]);
  const labels = tf.oneHot(tf.tensor1d(data.labels, 'int32'), 10);
  const opt = tf.train.adam(1e-3);
  const vars = model.trainableWeights.map((v) => v.read() as tf.Variable);
  const step = () => {
    tf.tidy(() => {
      const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, true, vars);
      loss!.dataSync();
    });
  };
  const trainS = await time(step, 2, net.trainReps);
  const trainCpu = lastCpuS;
  const inferS = await time(() => void tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync()), 2, net.inferReps);
  tf.dispose([x, labels]);
  opt.dispose();
  model.dispose();
  return { trainImgPerSec: BATCH / trainS, inferImgPerSec: BATCH / inferS, trainImgPerCpuSec: BATCH / trainCpu, inferImgPerCpuSec: BATCH / lastCpuS };
}

/** ONNX Runtime (2 intra-op threads) on the same model exported as float ONNX. */
async function benchOrt(net: Net): Promise<Rates | string> {
  try {
    const model = buildModel(net.arch, { inputShape: net.shape, classes: 10, seed: 1 });
    const session = await layersSession(model, `${net.arch} (bench)`);
    model.dispose();
    const { x } = inputs(net.shape);
    const inferS = await time(async () => void (await ortPredict(session, x, [BATCH, ...net.shape])), 2, net.inferReps);
    await session.release();
    return { inferImgPerSec: BATCH / inferS, inferImgPerCpuSec: BATCH / lastCpuS };
  } catch (err) {
    return `onnxruntime: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
  }
}

/** Multiply-adds of one forward pass of one image. */
function macsPerImage(net: Net): number {
  const model = buildModel(net.arch, { inputShape: net.shape, classes: 10, seed: 1 });
  const macs = layersCosts(model).reduce((s, l) => s + l.flops, 0);
  model.dispose();
  return macs;
}

function torchPeer(): { version: string; results: Record<string, Rates> } | string {
  if (!existsSync('/usr/bin/python3')) return 'no /usr/bin/python3';
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) return 'no torch in /usr/bin/python3 (apt-get install python3-torch)';
  const r = spawnSync('/usr/bin/python3', [new URL('./peer_torch.py', import.meta.url).pathname, '2'], { encoding: 'utf8', timeout: 900_000 });
  if (r.status !== 0) return `torch peer failed: ${r.stderr.trim().split('\n').pop()}`;
  const j = JSON.parse(r.stdout) as { torch: string; results: Record<string, Rates> };
  return { version: j.torch, results: j.results };
}

// ---- run -------------------------------------------------------------------------------------------------

const engines: BackendChoice[] = [];
const skipped: string[] = [];
if (loadAddon().addon != null) engines.push('native');
else skipped.push(`native: ${loadAddon().why}`);
engines.push('wasm');

const nets: Record<string, Record<string, Rates>> = {};
const gflops: Record<string, Record<string, { train?: number; infer?: number }>> = {};
await initBackend(engines[0]);
const macs = Object.fromEntries(NETS.map((n) => [n.arch, macsPerImage(n)]));
say(`LayerLens bench: batch ${BATCH}, medians; Node ${process.version}; ${cpus().length}× ${cpus()[0]?.model ?? 'cpu'}`);
for (const backend of engines) {
  const got = await initBackend(backend);
  if (got !== backend) {
    skipped.push(`${backend}: initBackend gave ${got}`);
    continue;
  }
  for (const net of NETS) {
    say(`  ${net.arch} on ${backend} …`);
    (nets[net.arch] ??= {})[backend] = await benchEngine(net);
  }
}
for (const net of NETS) {
  say(`  ${net.arch} on onnxruntime …`);
  const r = await benchOrt(net);
  if (typeof r === 'string') skipped.push(r);
  else (nets[net.arch] ??= {}).onnxruntime = r;
}
say('  PyTorch peer …');
const peer = torchPeer();
if (typeof peer === 'string') skipped.push(peer);
else for (const net of NETS) if (peer.results[net.arch]) (nets[net.arch] ??= {}).torch = peer.results[net.arch];

const ratios: Record<string, { train?: number; infer?: number; trainCpu?: number; inferCpu?: number }> = {};
for (const net of NETS) {
  const row = nets[net.arch] ?? {};
  const engineKeys = Object.keys(row).filter((k) => k !== 'torch');
  const best = (key: keyof Rates): number | undefined => {
    const v = engineKeys.map((k) => row[k][key]).filter((n): n is number => n != null);
    return v.length ? Math.max(...v) : undefined;
  };
  const t = row.torch;
  const bt = best('trainImgPerSec');
  const bi = best('inferImgPerSec');
  const ratio = (a: number | undefined, b: number | undefined): number | undefined => (a != null && b ? a / b : undefined);
  ratios[net.arch] = {
    train: ratio(bt, t?.trainImgPerSec),
    infer: ratio(bi, t?.inferImgPerSec),
    trainCpu: ratio(best('trainImgPerCpuSec'), t?.trainImgPerCpuSec),
    inferCpu: ratio(best('inferImgPerCpuSec'), t?.inferImgPerCpuSec),
  };
  gflops[net.arch] = Object.fromEntries(
    Object.entries(row).map(([k, r]) => [
      k,
      {
        train: r.trainImgPerSec != null ? (r.trainImgPerSec * 6 * macs[net.arch]) / 1e9 : undefined,
        infer: r.inferImgPerSec != null ? (r.inferImgPerSec * 2 * macs[net.arch]) / 1e9 : undefined,
      },
    ]),
  );
}

const svd = JSON_OUT ? undefined : await benchSvd();
if (JSON_OUT) {
  console.log(
    JSON.stringify({
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, model: cpus()[0]?.model, peakGflops: PEAK_GFLOPS, node: process.version },
      torch: typeof peer === 'string' ? null : peer.version,
      batch: BATCH,
      macsPerImage: macs,
      nets,
      ratios,
      gflops,
      skipped,
    }),
  );
} else {
  const f = (n?: number) => (n == null ? '—' : n.toFixed(0)).padStart(7);
  const g = (n?: number) => (n == null ? '—' : `${n.toFixed(1)}`).padStart(6);
  const r = (n?: number) => (n == null ? '—' : `${n.toFixed(2)}×`).padStart(6);
  console.log('');
  console.log(`img/s (GFLOP/s of ${PEAK_GFLOPS} peak)`);
  console.log('net       path         |   train (GFLOP/s) img/cpu-s |   infer (GFLOP/s) img/cpu-s');
  for (const net of NETS) {
    for (const [k, v] of Object.entries(nets[net.arch] ?? {})) {
      const gf = gflops[net.arch][k];
      console.log(
        `${net.arch.padEnd(9)} ${k.padEnd(12)} | ${f(v.trainImgPerSec)} (${g(gf.train)}) ${f(v.trainImgPerCpuSec)}   | ${f(v.inferImgPerSec)} (${g(gf.infer)}) ${f(v.inferImgPerCpuSec)}`,
      );
    }
    const q = ratios[net.arch];
    console.log(`${net.arch.padEnd(9)} ${'best÷torch'.padEnd(12)} | ${r(q.train).padStart(7)}          ${r(q.trainCpu).padStart(7)}   | ${r(q.infer).padStart(7)}          ${r(q.inferCpu).padStart(7)}`);
  }
  console.log('');
  console.log(typeof peer === 'string' ? `peer: ${peer}` : `peer: PyTorch ${peer.version} CPU, 2 threads; ONNX Runtime 2 intra-op threads`);
  for (const s of skipped) console.log(`skipped: ${s}`);
  if (svd) printSvd(svd);
}
