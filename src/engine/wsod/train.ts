/**
 * Training of the RoI head on a frozen backbone: WSDDN (multi-label BCE on image labels, never boxes) plus OICR
 * refinement streams on online pseudo-boxes, optionally Zigzag's mEAS curriculum and feature masking.
 *
 * One step on a batch of images: (1) an unmasked forward gives every stream's scores; (2) per positive class
 * (allowed by the curriculum stage), the pseudo-box of refinement stream k is the top proposal of stream k − 1
 * (stream 0 = WSDDN); proposals with IoU ≥ 0.5 to a pseudo-box take its class and weight (its score), the others
 * are background with the weight of their nearest pseudo-box; (3) with masking on, cells of the feature map inside
 * the pseudo-box (or anywhere) are zeroed, each with probability maskProb, and the RoI features are re-sampled;
 * (4) one Adam step on BCE + Σ_k weighted cross-entropy over the (masked) features.
 */
import * as tf from '../backend/tf';
import type { RunContext } from '../core/context';
import { throwIfCancelled } from '../core/context';
import { makeRng, seededPermutation } from '../core/random';
import { headLogits, proposalsOf, roiFeatures, scoresFromLogits, type Detector, type ImageScores, type PixelImage } from './detector';
import { DEFAULT_TAUS, measOf, rankIntoGroups, type PixelBox } from './meas';
import { STRIDE, type FeatureMap } from './model';
import { boxIoU } from './proposals';

export interface HeadTrainSettings {
  epochs: number;
  curriculum: boolean;
  masking: boolean;
  maskProb: number;
  maskRegion: 'pseudo-box' | 'random';
  groups: number;
  rerank: boolean;
  learningRate: number;
  batchSize: number;
  seed: number;
  /** share of the epochs a curriculum spends on its initial all-image (stage 0) localiser */
  stage0Share: number;
  /**
   * how stages 1..K share the epochs after stage 0: 'epochs' — equal epochs each, so the early (smaller) stages
   * make fewer updates and the curriculum fewer than all-at-once; 'images' — equal image passes each (a stage on
   * half the images runs twice the epochs), so the curriculum makes as many updates as all-at-once
   */
  stageBudget: 'epochs' | 'images';
  /** energy maps are computed on this many cells per side */
  energyGrid: number;
  taus: readonly number[];
  /** pseudo-box IoU at which a proposal takes the pseudo-box's class */
  pseudoIoU: number;
}

/** One (train image, positive class) of a ranking. */
export interface RankEntry {
  image: number;
  class: number;
  meas: number;
  eas: number[];
  top: PixelBox;
  rank: number;
  group: number;
}

/** mEAS of every (image, positive class) pair from the WSDDN scores s_rc, ranked and grouped per class. */
export function rankPairs(images: readonly PixelImage[], scores: readonly ImageScores[], classes: number, groups: number, grid: number, taus: readonly number[] = DEFAULT_TAUS): RankEntry[] {
  const entries: Omit<RankEntry, 'rank' | 'group'>[] = [];
  images.forEach((im, i) => {
    const s = scores[i];
    const R = s.boxes.length;
    for (const c of [...new Set(im.labels)].sort((a, b) => a - b)) {
      const col = new Float32Array(R);
      for (let r = 0; r < R; r++) col[r] = s.wsddn[r * classes + c];
      const m = measOf(s.boxes, col, im.width, im.height, grid, taus);
      entries.push({ image: i, class: c, meas: m.meas, eas: m.eas, top: s.boxes[m.top] });
    }
  });
  const out = entries.map((e) => ({ ...e, rank: 0, group: 0 }));
  for (let c = 0; c < classes; c++) {
    const mine = out.filter((e) => e.class === c);
    const { rank, group } = rankIntoGroups(mine.map((e) => e.meas), groups);
    mine.forEach((e, k) => {
      e.rank = rank[k];
      e.group = group[k];
    });
  }
  return out;
}

/** The phases of a schedule: all-at-once is one stage-0 phase; a curriculum is stage 0 then stages 1..K. */
export function schedule(s: Pick<HeadTrainSettings, 'epochs' | 'curriculum' | 'groups' | 'stage0Share'>): { stage: number; epochs: number }[] {
  if (!s.curriculum) return [{ stage: 0, epochs: s.epochs }];
  const e0 = Math.max(1, Math.round(s.epochs * s.stage0Share));
  const rest = s.epochs - e0;
  const phases = [{ stage: 0, epochs: e0 }];
  for (let k = 1; k <= s.groups; k++) {
    // earlier stages get the remainder last: the final stage, with every image, is never shorter
    const e = Math.floor(rest / s.groups) + (s.groups - k < rest % s.groups ? 1 : 0);
    phases.push({ stage: k, epochs: e });
  }
  return phases.filter((p) => p.epochs > 0);
}

/**
 * Epochs a curriculum stage runs on its members: the planned epochs ('epochs'), or as many as give the same image
 * passes as the planned epochs over every image ('images'; at least 1).
 */
export function stageEpochs(planned: number, members: number, total: number, budget: HeadTrainSettings['stageBudget']): number {
  if (budget === 'epochs' || members >= total || members === 0) return planned;
  return Math.max(1, Math.round((planned * total) / members));
}

/** Training state a checkpoint keeps beside the head's weights. */
export interface HeadTrainState {
  /** epochs done over the whole schedule */
  epoch: number;
  /** group per `${image}:${class}` (curriculum), and every stage's ranks (rankByStage) */
  groups: Record<string, number>;
  ranksByStage: Record<string, number>[];
  stages: { stage: number; images: number; epochs: number; valMAP50: number; valCorloc: number }[];
  history: { epoch: number; stage: number; loss: number; valMAP50: number; valCorloc: number }[];
}

export interface HeadTrainIO {
  /** features of the train images (cached by the caller: the backbone is frozen) */
  maps: FeatureMap[];
  /** val scores of the current detector: mAP50 and CorLoc (selection reads val only) */
  evaluateVal(): { mAP50: number; corloc: number };
  /** called after every epoch with the state to persist */
  checkpoint(state: HeadTrainState, opt: tf.Optimizer): Promise<void>;
  report(fraction: number, stage: string, metrics: Record<string, number>): void;
}

/** Scores of the train images under the current head (unmasked). */
function scoreTrain(det: Detector, images: readonly PixelImage[], maps: readonly FeatureMap[]): ImageScores[] {
  const C = det.meta.classNames.length;
  return images.map((im, i) => {
    const boxes = proposalsOf(im, det.meta.proposals);
    return scoresFromLogits(headLogits(det.head, roiFeatures(det, maps[i], boxes), boxes.length), boxes, C);
  });
}

const pairKey = (image: number, c: number) => `${image}:${c}`;

function groupsOf(entries: readonly RankEntry[]): { groups: Record<string, number>; ranks: Record<string, number> } {
  const groups: Record<string, number> = {};
  const ranks: Record<string, number> = {};
  for (const e of entries) {
    groups[pairKey(e.image, e.class)] = e.group;
    ranks[pairKey(e.image, e.class)] = e.rank;
  }
  return { groups, ranks };
}

/** Zeroes cells of a copy of the map, each with probability p: inside `boxes` (pixels), or anywhere when null. */
function maskedMap(map: FeatureMap, boxes: PixelBox[] | null, p: number, rng: () => number): FeatureMap {
  const data = map.data.slice();
  for (let y = 0; y < map.fh; y++) {
    for (let x = 0; x < map.fw; x++) {
      const cx = (x + 0.5) * STRIDE;
      const cy = (y + 0.5) * STRIDE;
      const inside = boxes === null || boxes.some((b) => cx >= b.x1 && cx < b.x2 && cy >= b.y1 && cy < b.y2);
      if (inside && rng() < p) data.fill(0, (y * map.fw + x) * map.ch, (y * map.fw + x + 1) * map.ch);
    }
  }
  return { ...map, data };
}

/**
 * Trains det.head in place over the schedule; `state` resumes a checkpointed run. Returns the final state.
 * Stage 0 uses all images and every (image, class) pair; stage k uses the pairs whose group is < k and the
 * images that have one (WSDDN's BCE still sees all labels of those images: image labels are never hidden).
 */
export async function trainHead(det: Detector, images: readonly PixelImage[], s: HeadTrainSettings, io: HeadTrainIO, ctx: RunContext, opt: tf.Optimizer, state?: HeadTrainState): Promise<HeadTrainState> {
  const C = det.meta.classNames.length;
  const K = det.meta.arch.refineStages;
  const phases = schedule(s);
  const st: HeadTrainState = state ?? { epoch: 0, groups: {}, ranksByStage: [], stages: [], history: [] };
  const vars = det.head.trainableWeights.map((v) => v.read() as tf.Variable);
  const bs = s.batchSize;
  let done = 0;
  for (let p = 0; p < phases.length; p++) {
    const { stage, epochs: planned } = phases[p];
    // a stage is recorded when its last epoch ends (before that epoch's checkpoint), so a resume skips it whole
    const finished = st.stages.find((x) => x.stage === stage);
    if (finished) {
      done += finished.epochs;
      continue;
    }
    // the ranking a curriculum stage needs: after stage 0 always; later stages only when re-ranking
    if (stage > 0 && st.epoch === done && (p === 1 || s.rerank)) {
      const ranked = rankPairs(images, scoreTrain(det, images, io.maps), C, s.groups, s.energyGrid, s.taus);
      const g = groupsOf(ranked);
      st.groups = g.groups;
      st.ranksByStage.push(g.ranks);
    }
    const allowed = (i: number, c: number) => stage === 0 || (st.groups[pairKey(i, c)] ?? Infinity) < stage;
    const members = images.map((_, i) => i).filter((i) => stage === 0 || images[i].labels.some((c) => allowed(i, c)));
    const epochs = stageEpochs(planned, members.length, images.length, s.stageBudget);
    // progress over the schedule's planned epochs (an 'images' budget runs more, shorter ones, their count known stage by stage)
    const progress = (global: number) => Math.min(1, global / s.epochs);
    const of = s.stageBudget === 'epochs' ? `/${s.epochs}` : '';
    for (let epoch = st.epoch - done; epoch < epochs; epoch++) {
      const global = done + epoch;
      const order = seededPermutation(members.length, s.seed * 7919 + global);
      const rng = makeRng(s.seed * 104729 + global);
      let lossSum = 0;
      let steps = 0;
      for (let b = 0; b < members.length; b += bs) {
        throwIfCancelled(ctx);
        const idx = Array.from(order.subarray(b, Math.min(members.length, b + bs)), (k) => members[k]);
        lossSum += step(det, images, io.maps, idx, allowed, s, rng, opt, vars, C, K);
        steps++;
        if (steps % 10 === 0) {
          io.report(progress(global + b / members.length), `stage ${stage}, epoch ${global + 1}${of}`, { loss: lossSum / steps });
          await new Promise((r) => setImmediate(r));
        }
      }
      const val = io.evaluateVal();
      st.epoch = global + 1;
      st.history.push({ epoch: global + 1, stage, loss: lossSum / Math.max(1, steps), valMAP50: val.mAP50, valCorloc: val.corloc });
      if (epoch === epochs - 1) st.stages.push({ stage, images: members.length, epochs, valMAP50: val.mAP50, valCorloc: val.corloc });
      await io.checkpoint(st, opt);
      io.report(progress(st.epoch), `stage ${stage}, epoch ${st.epoch}${of} done`, { loss: lossSum / Math.max(1, steps), valMAP50: val.mAP50, valCorloc: val.corloc });
    }
    done += epochs;
  }
  return st;
}

/** One optimizer step on a batch of images; returns the loss. */
function step(det: Detector, images: readonly PixelImage[], maps: readonly FeatureMap[], idx: number[], allowed: (i: number, c: number) => boolean, s: HeadTrainSettings, rng: () => number, opt: tf.Optimizer, vars: tf.Variable[], C: number, K: number): number {
  const boxes = idx.map((i) => proposalsOf(images[i], det.meta.proposals));
  const R = Math.max(...boxes.map((b) => b.length));
  const D = det.meta.arch.roiGrid ** 2 * maps[0].ch;
  const x = new Float32Array(idx.length * R * D);
  const valid = new Float32Array(idx.length * R);
  const labels = new Float32Array(idx.length * C);
  const targets = Array.from({ length: K }, () => new Int32Array(idx.length * R).fill(C));
  const weights = Array.from({ length: K }, () => new Float32Array(idx.length * R));
  // one unmasked forward of the whole batch gives every stream's scores (the pseudo-labels' source)
  const plains = idx.map((i, j) => roiFeatures(det, maps[i], boxes[j]));
  const rows = boxes.reduce((a, b) => a + b.length, 0);
  const stacked = new Float32Array(rows * D);
  let at = 0;
  for (const f of plains) {
    stacked.set(f, at);
    at += f.length;
  }
  const logits = headLogits(det.head, stacked, rows);
  let r0 = 0;
  idx.forEach((i, j) => {
    const im = images[i];
    const bx = boxes[j];
    const plain = plains[j];
    const mine = logits.map((l) => l.subarray((r0 * l.length) / rows, ((r0 + bx.length) * l.length) / rows) as Float32Array);
    r0 += bx.length;
    const sc = scoresFromLogits(mine, bx, C);
    for (const c of im.labels) labels[j * C + c] = 1;
    // masking hides the current detector's top box of each allowed positive class
    const maskBoxes: PixelBox[] = [];
    for (const c of new Set(im.labels)) {
      if (!allowed(i, c)) continue;
      let top = 0;
      for (let r = 1; r < bx.length; r++) if (sc.final[r * C + c] > sc.final[top * C + c]) top = r;
      maskBoxes.push(bx[top]);
    }
    for (let k = 0; k < K; k++) {
      // pseudo-boxes of stream k from stream k − 1 (0 = WSDDN)
      const src = k === 0 ? sc.wsddn : sc.refined[k - 1];
      const cols = k === 0 ? C : C + 1;
      const pseudo: { box: PixelBox; c: number; w: number }[] = [];
      for (const c of new Set(im.labels)) {
        if (!allowed(i, c)) continue;
        let top = 0;
        for (let r = 1; r < bx.length; r++) if (src[r * cols + c] > src[top * cols + c]) top = r;
        pseudo.push({ box: bx[top], c, w: src[top * cols + c] });
      }
      if (!pseudo.length) continue;
      bx.forEach((b, r) => {
        let best = 0;
        let bestIoU = -1;
        pseudo.forEach((q, n) => {
          const v = boxIoU(b, q.box);
          if (v > bestIoU) {
            bestIoU = v;
            best = n;
          }
        });
        targets[k][j * R + r] = bestIoU >= s.pseudoIoU ? pseudo[best].c : C;
        weights[k][j * R + r] = pseudo[best].w;
      });
    }
    let feats = plain;
    if (s.masking && s.maskProb > 0) {
      const region = s.maskRegion === 'random' ? null : maskBoxes;
      if (region === null || region.length) feats = roiFeatures(det, maskedMap(maps[i], region, s.maskProb, rng), bx);
    }
    x.set(feats, j * R * D);
    for (let r = 0; r < bx.length; r++) valid[j * R + r] = 1;
  });
  const B = idx.length;
  return tf.tidy(() => {
    const xt = tf.tensor2d(x, [B * R, D]);
    const y = tf.tensor2d(labels, [B, C]);
    const v = tf.tensor3d(valid, [B, R, 1]);
    // padded rows (images with fewer proposals) take no part: −∞-ish det logits, zero refinement weight
    const pad = tf.mul(tf.sub(1, v), -1e9);
    const loss = opt.minimize(() => {
      const outs = det.head.apply(xt, { training: true }) as tf.Tensor[];
      const cls = tf.softmax(tf.reshape(outs[0], [B, R, C]), -1);
      // softmax over proposals: tfjs only takes the last axis, so over [B, C, R] and back
      const detp = tf.transpose(tf.softmax(tf.transpose(tf.add(tf.reshape(outs[1], [B, R, C]), pad), [0, 2, 1]), -1), [0, 2, 1]);
      const phi = tf.clipByValue(tf.sum(tf.mul(cls, detp), 1), 1e-6, 1 - 1e-6);
      const bce = tf.neg(tf.mean(tf.sum(tf.add(tf.mul(y, tf.log(phi)), tf.mul(tf.sub(1, y), tf.log(tf.sub(1, phi)))), -1)));
      let total: tf.Tensor = bce;
      for (let k = 0; k < K; k++) {
        const logp = tf.logSoftmax(outs[2 + k], -1);
        const picked = tf.sum(tf.mul(logp, tf.oneHot(tf.tensor1d(targets[k], 'int32'), C + 1)), -1);
        const w = tf.mul(tf.tensor1d(weights[k]), tf.reshape(v, [B * R]));
        total = tf.add(total, tf.div(tf.neg(tf.sum(tf.mul(w, picked))), B * R));
      }
      return total as tf.Scalar;
    }, true, vars) as tf.Scalar;
    return loss.dataSync()[0];
  });
}
