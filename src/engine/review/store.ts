/**
 * The annotation store: review sets and their boxes in the workspace's SQLite database (WAL), every edit one
 * IMMEDIATE transaction that checks the version the editor saw, writes the new state with version + 1 and
 * appends a history row. A process killed mid-session loses no committed edit (WAL + the commit is the write);
 * two windows (two connections) editing the same box never overwrite each other silently: the second is told.
 */
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { BoxChange, BoxStatus, EditResult, HistoryEntry, ReviewBox, ReviewEdit, ReviewSet } from '../../shared/api-review';
import type { Rect } from '../../shared/api-wsod';
import { UserError } from '../core/errors';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS review_sets (
  id TEXT PRIMARY KEY,
  key TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  data TEXT NOT NULL,
  split TEXT NOT NULL,
  detections TEXT NOT NULL,
  compare TEXT,
  class_names TEXT NOT NULL,
  images TEXT NOT NULL,
  load_opts TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS review_boxes (
  set_id TEXT NOT NULL REFERENCES review_sets(id) ON DELETE CASCADE,
  id TEXT NOT NULL,
  ord INTEGER NOT NULL,
  image TEXT NOT NULL,
  label INTEGER NOT NULL,
  x1 REAL NOT NULL, y1 REAL NOT NULL, x2 REAL NOT NULL, y2 REAL NOT NULL,
  score REAL,
  status TEXT NOT NULL,
  origin TEXT NOT NULL,
  version INTEGER NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0,
  orig_label INTEGER,
  orig_x1 REAL, orig_y1 REAL, orig_x2 REAL, orig_y2 REAL,
  change TEXT,
  compare_score REAL,
  difficult INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (set_id, id)
);
CREATE INDEX IF NOT EXISTS review_boxes_image ON review_boxes(set_id, image);
CREATE TABLE IF NOT EXISTS review_compare (
  set_id TEXT NOT NULL REFERENCES review_sets(id) ON DELETE CASCADE,
  ord INTEGER NOT NULL,
  image TEXT NOT NULL,
  label INTEGER NOT NULL,
  x1 REAL NOT NULL, y1 REAL NOT NULL, x2 REAL NOT NULL, y2 REAL NOT NULL,
  score REAL NOT NULL,
  PRIMARY KEY (set_id, ord)
);
CREATE TABLE IF NOT EXISTS review_history (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  set_id TEXT NOT NULL REFERENCES review_sets(id) ON DELETE CASCADE,
  box TEXT NOT NULL,
  op TEXT NOT NULL,
  before TEXT,
  after TEXT,
  at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS review_history_box ON review_history(set_id, box, seq);
`;

/** What an edit changes of a box; history rows hold it before and after. */
export interface BoxState {
  label: number;
  rect: Rect;
  status: BoxStatus;
  deleted: boolean;
}

/** A box as a set is created with (a detector's, or an imported annotation). */
export interface NewBox {
  imageId: string;
  label: number;
  box: Rect;
  score: number | null;
  status?: BoxStatus;
  origin: ReviewBox['origin'];
  change?: BoxChange;
  compareScore?: number | null;
  /** VOC difficult / COCO iscrowd: kept so that an export re-imports identically */
  difficult?: boolean;
}

export interface ScoredBox {
  imageId: string;
  label: number;
  box: Rect;
  score: number;
}

/** A new set: what ReviewSet shows, its identity `key`, and the dataset's load options (val carve) to reload it with. */
export type NewSet = Omit<ReviewSet, 'id' | 'createdAt'> & { key: string; loadOptions?: { valFraction?: number; valSeed?: number } };

interface SetRow {
  id: string;
  key: string;
  name: string;
  data: string;
  split: ReviewSet['split'];
  detections: string;
  compare: string | null;
  class_names: string;
  images: string;
  load_opts: string;
  created_at: number;
}

interface BoxRow {
  set_id: string;
  id: string;
  ord: number;
  image: string;
  label: number;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  score: number | null;
  status: BoxStatus;
  origin: ReviewBox['origin'];
  version: number;
  deleted: number;
  orig_label: number | null;
  orig_x1: number | null;
  orig_y1: number | null;
  orig_x2: number | null;
  orig_y2: number | null;
  change: BoxChange | null;
  compare_score: number | null;
  difficult: number;
}

const toSet = (r: SetRow): ReviewSet => ({
  id: r.id,
  name: r.name,
  data: r.data,
  split: r.split,
  detections: r.detections,
  ...(r.compare !== null ? { compare: r.compare } : {}),
  classNames: JSON.parse(r.class_names) as string[],
  images: JSON.parse(r.images) as ReviewSet['images'],
  createdAt: r.created_at,
});

function toBox(r: BoxRow): ReviewBox & { deleted?: boolean } {
  return {
    id: r.id,
    imageId: r.image,
    label: r.label,
    box: { x1: r.x1, y1: r.y1, x2: r.x2, y2: r.y2 },
    score: r.score,
    status: r.status,
    origin: r.origin,
    version: r.version,
    ...(r.change !== null ? { change: r.change, compareScore: r.compare_score } : {}),
    ...(r.difficult ? { difficult: true } : {}),
    ...(r.deleted ? { deleted: true } : {}),
  };
}

const stateOf = (r: BoxRow): BoxState => ({
  label: r.label,
  rect: { x1: r.x1, y1: r.y1, x2: r.x2, y2: r.y2 },
  status: r.status,
  deleted: r.deleted === 1,
});

/** A box of the original detections, as the detector gave it (edits do not touch these). */
export interface OriginalBox {
  imageId: string;
  label: number;
  box: Rect;
  score: number;
}

export class ReviewStore {
  constructor(private readonly db: Database.Database) {
    db.exec(SCHEMA);
  }

  /** The set stored under `key` (same data, split and detections), or undefined. */
  findSet(key: string): ReviewSet | undefined {
    const r = this.db.prepare('SELECT * FROM review_sets WHERE key = ?').get(key) as SetRow | undefined;
    return r && toSet(r);
  }

  /** Creates a set with its boxes (and the compare detections) in one transaction; box ids are b0, b1, … */
  createSet(set: NewSet, boxes: NewBox[], compare: ScoredBox[] = []): ReviewSet {
    const id = `rs-${randomUUID().slice(0, 8)}`;
    const insertSet = this.db.prepare(
      'INSERT INTO review_sets (id, key, name, data, split, detections, compare, class_names, images, load_opts, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const insertBox = this.db.prepare(
      `INSERT INTO review_boxes (set_id, id, ord, image, label, x1, y1, x2, y2, score, status, origin, version, deleted,
         orig_label, orig_x1, orig_y1, orig_x2, orig_y2, change, compare_score, difficult)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 0, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const insertCompare = this.db.prepare('INSERT INTO review_compare (set_id, ord, image, label, x1, y1, x2, y2, score) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    this.db
      .transaction(() => {
        insertSet.run(id, set.key, set.name, set.data, set.split, set.detections, set.compare ?? null, JSON.stringify(set.classNames), JSON.stringify(set.images), JSON.stringify(set.loadOptions ?? {}), Date.now());
        boxes.forEach((b, i) => {
          const r = b.box;
          insertBox.run(id, `b${i}`, i, b.imageId, b.label, r.x1, r.y1, r.x2, r.y2, b.score, b.status ?? 'pending', b.origin, b.label, r.x1, r.y1, r.x2, r.y2, b.change ?? null, b.compareScore ?? null, b.difficult ? 1 : 0);
        });
        compare.forEach((d, i) => insertCompare.run(id, i, d.imageId, d.label, d.box.x1, d.box.y1, d.box.x2, d.box.y2, d.score));
      })
      .immediate();
    return this.getSet(id);
  }

  getSet(id: string): ReviewSet {
    const r = this.db.prepare('SELECT * FROM review_sets WHERE id = ?').get(id) as SetRow | undefined;
    if (!r) throw new UserError(`no review set "${id}" in this workspace`);
    return toSet(r);
  }

  /** The val-carve options the set's dataset was loaded with. */
  loadOptions(id: string): { valFraction?: number; valSeed?: number } {
    const r = this.db.prepare('SELECT load_opts FROM review_sets WHERE id = ?').get(id) as { load_opts: string } | undefined;
    if (!r) throw new UserError(`no review set "${id}" in this workspace`);
    return JSON.parse(r.load_opts) as { valFraction?: number; valSeed?: number };
  }

  listSets(): ReviewSet[] {
    return (this.db.prepare('SELECT * FROM review_sets ORDER BY created_at DESC').all() as SetRow[]).map(toSet);
  }

  /** The set's boxes in creation order (drawn ones last); deleted ones only when asked. */
  boxes(setId: string, opts: { deleted?: boolean } = {}): (ReviewBox & { deleted?: boolean })[] {
    this.getSet(setId);
    const rows = this.db
      .prepare(`SELECT * FROM review_boxes WHERE set_id = ?${opts.deleted ? '' : ' AND deleted = 0'} ORDER BY ord`)
      .all(setId) as BoxRow[];
    return rows.map(toBox);
  }

  /** The detector's boxes as they came in (before any edit; boxes only the compare run had are not among them). */
  originalDetections(setId: string): OriginalBox[] {
    const rows = this.db
      .prepare("SELECT * FROM review_boxes WHERE set_id = ? AND origin = 'detector' AND score IS NOT NULL AND (change IS NULL OR change != 'new') ORDER BY ord")
      .all(setId) as BoxRow[];
    return rows.map((r) => ({ imageId: r.image, label: r.orig_label!, box: { x1: r.orig_x1!, y1: r.orig_y1!, x2: r.orig_x2!, y2: r.orig_y2! }, score: r.score! }));
  }

  /** The detections the set was compared with (after compression). */
  compareDetections(setId: string): ScoredBox[] {
    const rows = this.db.prepare('SELECT * FROM review_compare WHERE set_id = ? ORDER BY ord').all(setId) as (Omit<BoxRow, 'score'> & { score: number })[];
    return rows.map((r) => ({ imageId: r.image, label: r.label, box: { x1: r.x1, y1: r.y1, x2: r.x2, y2: r.y2 }, score: r.score }));
  }

  /** One edit, one transaction: version check, new state at version + 1, a history row. */
  edit(e: ReviewEdit): EditResult {
    const set = this.getSet(e.set);
    return this.db
      .transaction((): EditResult => {
        if (e.op === 'draw') return this.draw(set, e);
        const row = this.row(e.set, e.box);
        if (row.version !== e.expectedVersion) {
          throw new UserError(`box ${e.box} was changed elsewhere (you saw version ${e.expectedVersion}, it is now ${row.version}): reload to see it`);
        }
        const before = stateOf(row);
        if (before.deleted && e.op !== 'restore') throw new UserError(`box ${e.box} is deleted: restore it first`);
        const after: BoxState = { ...before, rect: { ...before.rect } };
        switch (e.op) {
          case 'accept':
            after.status = 'accepted';
            break;
          case 'reject':
            after.status = 'rejected';
            break;
          case 'reset':
            after.status = 'pending';
            break;
          case 'relabel':
            after.label = this.checkLabel(set, e.label);
            break;
          case 'move':
            after.rect = { ...e.rect };
            break;
          case 'delete':
            after.deleted = true;
            break;
          case 'restore':
            after.label = this.checkLabel(set, e.state.label);
            after.rect = { ...e.state.rect };
            after.status = e.state.status;
            after.deleted = e.state.deleted;
            break;
        }
        this.db
          .prepare('UPDATE review_boxes SET label = ?, x1 = ?, y1 = ?, x2 = ?, y2 = ?, status = ?, deleted = ?, version = version + 1 WHERE set_id = ? AND id = ?')
          .run(after.label, after.rect.x1, after.rect.y1, after.rect.x2, after.rect.y2, after.status, after.deleted ? 1 : 0, e.set, e.box);
        const seq = this.log(e.set, e.box, e.op, before, after);
        return { box: toBox(this.row(e.set, e.box)), seq };
      })
      .immediate();
  }

  /** History of a set (or one box of it), oldest first, the last `limit` entries. */
  history(setId: string, box?: string, limit = 1000): HistoryEntry[] {
    this.getSet(setId);
    const rows = this.db
      .prepare(
        `SELECT * FROM (SELECT * FROM review_history WHERE set_id = ?${box !== undefined ? ' AND box = ?' : ''} ORDER BY seq DESC LIMIT ?) ORDER BY seq`,
      )
      .all(...(box !== undefined ? [setId, box, limit] : [setId, limit])) as { seq: number; box: string; op: HistoryEntry['op']; before: string | null; after: string | null; at: number }[];
    return rows.map((r) => ({ seq: r.seq, box: r.box, op: r.op, before: r.before && JSON.parse(r.before), after: r.after && JSON.parse(r.after), at: r.at }));
  }

  private draw(set: ReviewSet, e: Extract<ReviewEdit, { op: 'draw' }>): EditResult {
    if (!set.images.some((im) => im.id === e.image)) throw new UserError(`image "${e.image}" is not in review set ${set.id}`);
    const label = this.checkLabel(set, e.label);
    const id = e.box ?? `d-${randomUUID().slice(0, 12)}`;
    if (this.db.prepare('SELECT 1 FROM review_boxes WHERE set_id = ? AND id = ?').get(set.id, id)) {
      throw new UserError(`box ${id} already exists in review set ${set.id}`);
    }
    const { next } = this.db.prepare('SELECT COALESCE(MAX(ord), -1) + 1 AS next FROM review_boxes WHERE set_id = ?').get(set.id) as { next: number };
    const r = e.rect;
    this.db
      .prepare(
        "INSERT INTO review_boxes (set_id, id, ord, image, label, x1, y1, x2, y2, score, status, origin, version, deleted) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, 'accepted', 'drawn', 1, 0)",
      )
      .run(set.id, id, next, e.image, label, r.x1, r.y1, r.x2, r.y2);
    const seq = this.log(set.id, id, 'draw', null, { label, rect: { ...r }, status: 'accepted', deleted: false } satisfies BoxState);
    return { box: toBox(this.row(set.id, id)), seq };
  }

  private checkLabel(set: ReviewSet, label: number): number {
    if (label >= set.classNames.length) throw new UserError(`label ${label} is not a class of review set ${set.id} (0..${set.classNames.length - 1})`);
    return label;
  }

  private row(setId: string, box: string): BoxRow {
    const r = this.db.prepare('SELECT * FROM review_boxes WHERE set_id = ? AND id = ?').get(setId, box) as BoxRow | undefined;
    if (!r) throw new UserError(`no box "${box}" in review set ${setId}`);
    return r;
  }

  private log(setId: string, box: string, op: HistoryEntry['op'], before: BoxState | null, after: BoxState): number {
    const r = this.db
      .prepare('INSERT INTO review_history (set_id, box, op, before, after, at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(setId, box, op, before && JSON.stringify(before), JSON.stringify(after), Date.now());
    return Number(r.lastInsertRowid);
  }
}
