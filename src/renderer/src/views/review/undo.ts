/**
 * Client-side undo/redo of review edits: each entry holds a box's state before and after one edit; undo and redo
 * both become the contract's `restore` op (so a draw undoes to "deleted" and a delete redoes to it).
 */
import type { BoxStatus, ReviewBox } from '@shared/api-review';
import type { Rect } from '@shared/api-wsod';

export interface BoxState {
  label: number;
  rect: Rect;
  status: BoxStatus;
  deleted: boolean;
}

export interface UndoEntry {
  box: string;
  before: BoxState;
  after: BoxState;
}

export interface UndoStack {
  done: UndoEntry[];
  undone: UndoEntry[];
}

export const emptyStack = (): UndoStack => ({ done: [], undone: [] });

export function stateOf(b: Pick<ReviewBox, 'label' | 'box' | 'status'> & { deleted?: boolean }): BoxState {
  return { label: b.label, rect: { ...b.box }, status: b.status, deleted: !!b.deleted };
}

const LIMIT = 500;

/** A new edit: it goes on the undo side and clears the redo side. */
export function record(s: UndoStack, e: UndoEntry): void {
  s.done.push(e);
  if (s.done.length > LIMIT) s.done.shift();
  s.undone.length = 0;
}

/** The state to restore for an undo (the entry moves to the redo side once the restore succeeded: `commitUndo`). */
export function peekUndo(s: UndoStack): { box: string; state: BoxState } | null {
  const e = s.done[s.done.length - 1];
  return e ? { box: e.box, state: e.before } : null;
}
export function commitUndo(s: UndoStack): void {
  const e = s.done.pop();
  if (e) s.undone.push(e);
}
export function peekRedo(s: UndoStack): { box: string; state: BoxState } | null {
  const e = s.undone[s.undone.length - 1];
  return e ? { box: e.box, state: e.after } : null;
}
export function commitRedo(s: UndoStack): void {
  const e = s.undone.pop();
  if (e) s.done.push(e);
}
