// Spectrum (singular values only) of layer-sized matrices: the engine's auto route against numpy's LAPACK SVD
// (np.linalg.svd(compute_uv=False)) on the same matrices, in the same run.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeRng } from '../src/engine/core/random';
import { mat, svd } from '../src/engine/lowrank/svd';

export const SVD_SHAPES: [number, number][] = [
  [64, 576],
  [256, 2304],
  [512, 4608],
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function numpyTimes(files: string[], shapes: [number, number][], reps: number): number[] | string {
  if (!existsSync('/usr/bin/python3')) return 'no /usr/bin/python3';
  const code = `
import sys, time, json
import numpy as np
out = []
for f, r, c in zip(sys.argv[1::3], sys.argv[2::3], sys.argv[3::3]):
    a = np.fromfile(f, dtype=np.float64).reshape(int(r), int(c))
    np.linalg.svd(a, compute_uv=False)
    ts = []
    for _ in range(${reps}):
        t = time.perf_counter(); np.linalg.svd(a, compute_uv=False); ts.append(time.perf_counter() - t)
    out.append(sorted(ts)[len(ts) // 2])
print(json.dumps(out))`;
  const r = spawnSync('/usr/bin/python3', ['-c', code, ...files.flatMap((f, i) => [f, String(shapes[i][0]), String(shapes[i][1])])], { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) return `numpy failed: ${(r.stderr || '').trim().split('\n').pop()}`;
  return JSON.parse(r.stdout) as number[];
}

export interface SvdBenchRow {
  shape: [number, number];
  route: string;
  engineS: number;
  numpyS?: number;
}

export async function benchSvd(reps = 3): Promise<{ rows: SvdBenchRow[]; peer: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'll-bench-svd-'));
  try {
    const rng = makeRng(5);
    const mats = SVD_SHAPES.map(([r, c]) => mat(r, c, Float64Array.from({ length: r * c }, () => rng() - 0.5)));
    const files = mats.map((m, i) => {
      const f = join(dir, `m${i}.bin`);
      writeFileSync(f, new Uint8Array(m.data.buffer));
      return f;
    });
    const rows: SvdBenchRow[] = mats.map((m, i) => {
      const route = svd(m).method; // warm-up, and the route 'auto' takes
      const ts: number[] = [];
      for (let k = 0; k < reps; k++) {
        const t = performance.now();
        svd(m);
        ts.push((performance.now() - t) / 1000);
      }
      return { shape: SVD_SHAPES[i], route, engineS: median(ts) };
    });
    const np = numpyTimes(files, SVD_SHAPES, reps);
    if (typeof np !== 'string') np.forEach((t, i) => (rows[i].numpyS = t));
    const ver = spawnSync('/usr/bin/python3', ['-c', 'import numpy; print(numpy.__version__)'], { encoding: 'utf8' }).stdout.trim();
    return { rows, peer: typeof np === 'string' ? np : `numpy ${ver} (np.linalg.svd, compute_uv=False), float64, same matrices` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function printSvd(r: { rows: SvdBenchRow[]; peer: string }): void {
  console.log('');
  console.log('spectrum     | route  engine s   numpy s   ratio (numpy ÷ engine; ≥ 1 means the engine is as fast or faster)');
  for (const row of r.rows) {
    const ratio = row.numpyS ? (row.numpyS / row.engineS).toFixed(2) + '×' : '—';
    console.log(
      `${`${row.shape[0]}×${row.shape[1]}`.padEnd(12)} | ${row.route.padEnd(6)} ${row.engineS.toFixed(3).padStart(8)} ${row.numpyS !== undefined ? row.numpyS.toFixed(3).padStart(9) : '        —'}   ${ratio.padStart(6)}`,
    );
  }
  console.log(`peer: ${r.peer}`);
}
