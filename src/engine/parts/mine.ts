/**
 * Detector-based spectral mining (methods.md §6.4 steps 1–3). Per class: seed regions sampled from its positive
 * images; an exemplar-LDA detector per seed; the affinity A_ij = ½(σ(κ s_i(x_j)) + σ(κ s_j(x_i))) of the seeds'
 * detectors on each other; spectral clustering; every cluster's LDA detector scored on the train images for
 * representativeness (share of positive images where it fires above the negatives' 90th percentile) and
 * discriminativeness (d′ of its image responses, positives against negatives); the top P clusters become the
 * initial part detectors. The comparison row clusters the same seeds by k-means on their raw features.
 */
import { makeRng } from '../core/random';
import type { PixelBox } from '../wsod/meas';
import { boxIoU } from '../wsod/proposals';
import { kmeans, purity, spectralClusters, targetPurity } from './cluster';
import type { ImageRegions } from './features';
import { ldaDetector, scoreRows, sigmoid, type Background, type Linear } from './linear';

export interface MineSettings {
  /** seed regions per class */
  seeds: number;
  /** seed regions drawn from one image at most */
  perImage: number;
  /** random candidate regions per positive image, of which the most unusual become seeds */
  candidates: number;
  /** clusters per class; with `clusterCount: 'eigengap'` the largest count the eigen-gap may choose */
  clusters: number;
  /** 'fixed' = `clusters`; 'eigengap' = the k in [minClusters, clusters] at the largest gap of the Laplacian's spectrum */
  clusterCount: 'fixed' | 'eigengap';
  /** the smallest count the eigen-gap may choose */
  minClusters: number;
  /** keep the self-affinity A_ii in the spectral graph (false = Ng–Jordan–Weiss; true = the first runs' flaw) */
  selfLoops: boolean;
  /** patterns kept per class */
  patterns: number;
  /**
   * how two seeds' detectors are compared: 'score' = each scores the other's exemplar, A_ij = ½(σ(κ(s_i(x_j) − ½)) +
   * σ(κ(s_j(x_i) − ½))); 'cofire' = the share of their top-`fireTop` firings on the class's positive images (best
   * region per image, the seed's own image left out) that land on the same image at box IoU ≥ 0.5
   */
  detectorAffinity: 'score' | 'cofire';
  /** firings per detector compared by 'cofire' */
  fireTop: number;
  /** sharpness κ of the affinity's sigmoid */
  kappa: number;
  /** each seed keeps its affinity to this many strongest neighbours only (a kNN graph; 0 = dense) */
  neighbours: number;
  affinity: 'detector' | 'kmeans';
  seed: number;
}

export const DEFAULT_MINE: Omit<MineSettings, 'affinity' | 'seed'> = { seeds: 80, perImage: 2, candidates: 12, clusters: 8, clusterCount: 'fixed', minClusters: 4, selfLoops: false, detectorAffinity: 'cofire', fireTop: 40, patterns: 3, kappa: 6, neighbours: 8 };

interface SeedRef {
  /** index into the train images */
  image: number;
  box: PixelBox;
  /** the hidden part kind under the seed (evaluation only; null without hidden parts) */
  hidden: string | null;
}

interface MinedCluster {
  members: number[];
  representativeness: number;
  discriminativeness: number;
  score: number;
  detector: Linear;
}

export interface ClassMining {
  class: number;
  seeds: SeedRef[];
  /** seeds × seeds, row-major (detector affinity, or for k-means the same matrix for display) */
  affinity: number[];
  eigenvalues: number[];
  /** the number of clusters used by both clusterings (fixed, or the spectral eigen-gap's choice) */
  k: number;
  assign: number[];
  clusters: MinedCluster[];
  /** indices into clusters, best first */
  kept: number[];
  /** the comparison row's clusters (raw-feature k-means on the same seeds) */
  kmeansAssign: number[];
  /** cluster purity against the hidden kinds, and the distinctive part's cluster precision (null without hidden parts) */
  purity: { spectral: number; kmeans: number; partSpectral: number; partKmeans: number } | null;
}

function mahalanobis(bg: Background, x: Float32Array, off: number): number {
  const { dim, mean, precision } = bg;
  const d = new Float64Array(dim);
  for (let k = 0; k < dim; k++) d[k] = x[off + k] - mean[k];
  let s = 0;
  for (let a = 0; a < dim; a++) {
    let r = 0;
    for (let b = 0; b < dim; b++) r += precision[a * dim + b] * d[b];
    s += r * d[a];
  }
  return s;
}

/** Keeps A_ij where j is among i's m strongest neighbours or i among j's (symmetric kNN graph); the rest → 0. */
function sparsify(A: number[], n: number, m: number): void {
  const keep = new Uint8Array(n * n);
  for (let i = 0; i < n; i++) {
    const order = Array.from({ length: n }, (_, j) => j).filter((j) => j !== i).sort((a, b) => A[i * n + b] - A[i * n + a]);
    keep[i * n + i] = 1;
    for (const j of order.slice(0, m)) keep[i * n + j] = keep[j * n + i] = 1;
  }
  for (let k = 0; k < n * n; k++) if (!keep[k]) A[k] = 0;
}

/**
 * Co-firing affinity (methods.md §6.4 step 2's alternative): each detector's `top` best positive images (its best
 * region there; its own seed's image left out, where it fires trivially), and A_ij = the share of those firings that
 * i and j make on the same image at box IoU ≥ 0.5. Symmetric by construction; A_ii = 1.
 */
function cofireAffinity(A: number[], detectors: readonly Linear[], seeds: readonly SeedRef[], images: readonly ImageRegions[], positives: readonly number[], dim: number, top: number): void {
  const n = detectors.length;
  const fires = detectors.map((d, i) => {
    const byImage = new Map<number, PixelBox>();
    positives
      .filter((p) => p !== seeds[i].image)
      .map((p) => ({ p, r: imageResponse(d, images[p], dim) }))
      .sort((a, b) => b.r.value - a.r.value)
      .slice(0, top)
      .forEach(({ p, r }) => byImage.set(p, images[p].boxes[r.region]));
    return byImage;
  });
  for (let i = 0; i < n; i++) {
    A[i * n + i] = 1;
    for (let j = i + 1; j < n; j++) {
      let shared = 0;
      for (const [p, box] of fires[i]) {
        const other = fires[j].get(p);
        if (other && boxIoU(box, other) >= 0.5) shared++;
      }
      A[i * n + j] = A[j * n + i] = shared / Math.max(1, top);
    }
  }
}

/** Each image's best region response per detector: the max over its regions. */
export function imageResponse(d: Linear, im: ImageRegions, dim: number): { value: number; region: number } {
  const s = scoreRows(d, im.x, dim);
  let best = 0;
  for (let r = 1; r < s.length; r++) if (s[r] > s[best]) best = r;
  return { value: s.length ? s[best] : -Infinity, region: best };
}

const meanOf = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const stdOf = (xs: readonly number[]) => {
  const m = meanOf(xs);
  return Math.sqrt(meanOf(xs.map((x) => (x - m) ** 2)));
};
function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : 0;
}

/** Representativeness and discriminativeness of one detector on positive and negative images. */
function scoreDetector(d: Linear, pos: readonly ImageRegions[], neg: readonly ImageRegions[], dim: number): { representativeness: number; discriminativeness: number } {
  const p = pos.map((im) => imageResponse(d, im, dim).value);
  const n = neg.map((im) => imageResponse(d, im, dim).value);
  const tau = quantile(n, 0.9);
  return { representativeness: p.filter((v) => v > tau).length / Math.max(1, p.length), discriminativeness: (meanOf(p) - meanOf(n)) / (stdOf(n) + 1e-6) };
}

/**
 * Mines one class. `positives` and `negatives` index `images`; `hidden(image, region)` names the hidden part kind
 * under a region (or null). Negatives for scoring are capped at 200 (seeded sample).
 */
export function mineClass(c: number, images: readonly ImageRegions[], positives: readonly number[], negatives: readonly number[], dim: number, bg: Background, s: MineSettings, hidden: ((image: number, box: PixelBox) => string) | null): ClassMining {
  const rng = makeRng(s.seed * 7919 + c);
  // seeds: `candidates` random regions of each positive image, the most unusual under the background model
  // (Mahalanobis distance: regions like the ubiquitous body are common, a distinctive part is rare) kept, at most
  // perImage per image, images in seeded order
  const order = positives.map((i) => [rng(), i] as const).sort((a, b) => a[0] - b[0]).map(([, i]) => i);
  const pool: { image: number; region: number; novelty: number }[] = [];
  for (const i of order) {
    const im = images[i];
    const picked = new Set<number>();
    for (let t = 0; t < s.candidates && picked.size < im.boxes.length; t++) {
      let r = Math.floor(rng() * im.boxes.length);
      while (picked.has(r)) r = (r + 1) % im.boxes.length;
      picked.add(r);
      pool.push({ image: i, region: r, novelty: mahalanobis(bg, im.x, r * dim) });
    }
  }
  pool.sort((a, b) => b.novelty - a.novelty);
  const perImage = new Map<number, number>();
  const seeds: SeedRef[] = [];
  const rows: Float32Array[] = [];
  for (const p of pool) {
    if (seeds.length >= s.seeds) break;
    if ((perImage.get(p.image) ?? 0) >= s.perImage) continue;
    perImage.set(p.image, (perImage.get(p.image) ?? 0) + 1);
    const im = images[p.image];
    seeds.push({ image: p.image, box: im.boxes[p.region], hidden: hidden ? hidden(p.image, im.boxes[p.region]) : null });
    rows.push(im.x.subarray(p.region * dim, (p.region + 1) * dim));
  }
  const n = seeds.length;
  const flat = new Float32Array(n * dim);
  rows.forEach((r, i) => flat.set(r, i * dim));

  // 1–2. exemplar detectors and their mutual affinity
  const exemplars = rows.map((x) => ldaDetector(bg, x));
  const S = exemplars.map((d) => scoreRows(d, flat, dim));
  const A = new Array<number>(n * n);
  // centred halfway between background (−1) and the exemplar (+1): a region must look at least half like the exemplar
  if (s.detectorAffinity === 'cofire') cofireAffinity(A, exemplars, seeds, images, positives, dim, s.fireTop);
  else for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) A[i * n + j] = 0.5 * (sigmoid(s.kappa * (S[i][j] - 0.5)) + sigmoid(s.kappa * (S[j][i] - 0.5)));
  if (s.neighbours > 0 && s.neighbours < n - 1) sparsify(A, n, s.neighbours);
  // a seed's affinity to itself connects nothing: the graph has no self-loops (kept only to reproduce the first runs)
  if (!s.selfLoops) for (let i = 0; i < n; i++) A[i * n + i] = 0;

  // 3. spectral clustering, and the raw-feature k-means row on the same seeds with the same k (purity grows with k)
  const maxK = Math.min(s.clusters, n - 1);
  const spectral = spectralClusters(A, n, s.clusterCount === 'eigengap' ? { k: 'eigengap', minK: Math.min(s.minClusters, maxK), maxK, selfLoops: s.selfLoops } : { k: Math.min(s.clusters, n), selfLoops: s.selfLoops }, s.seed * 31 + c);
  const k = spectral.k;
  const kmeansAssign = kmeans(flat, n, dim, k, s.seed * 37 + c);
  const assign = s.affinity === 'detector' ? spectral.assign : kmeansAssign;

  // cluster detectors scored on the train images
  const negSample = negatives.length > 200 ? negatives.map((i) => [rng(), i] as const).sort((a, b) => a[0] - b[0]).slice(0, 200).map(([, i]) => i) : [...negatives];
  const pos = positives.map((i) => images[i]);
  const neg = negSample.map((i) => images[i]);
  const clusters: MinedCluster[] = [];
  for (let q = 0; q < k; q++) {
    const members = assign.flatMap((a, i) => (a === q ? [i] : []));
    if (!members.length) continue;
    const mean = new Float64Array(dim);
    for (const i of members) for (let t = 0; t < dim; t++) mean[t] += rows[i][t] / members.length;
    const detector = ldaDetector(bg, mean);
    const sc = scoreDetector(detector, pos, neg, dim);
    // a single seed is an exemplar, not a pattern
    const score = members.length < 2 ? -Infinity : sc.representativeness * Math.max(0, sc.discriminativeness);
    clusters.push({ members, ...sc, score, detector });
  }
  const kept = clusters
    .map((cl, i) => [cl.score, i] as const)
    .filter(([v]) => v > -Infinity)
    .sort((a, b) => b[0] - a[0])
    .slice(0, s.patterns)
    .map(([, i]) => i);

  let pur: ClassMining['purity'] = null;
  if (hidden) {
    const labels = seeds.map((sd) => sd.hidden ?? 'background');
    pur = { spectral: purity(spectral.assign, labels), kmeans: purity(kmeansAssign, labels), partSpectral: targetPurity(spectral.assign, labels, 'part'), partKmeans: targetPurity(kmeansAssign, labels, 'part') };
  }
  return { class: c, seeds, affinity: A, eigenvalues: spectral.eigenvalues, k, assign, clusters, kept, kmeansAssign, purity: pur };
}
