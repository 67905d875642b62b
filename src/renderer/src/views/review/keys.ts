/** The Review view's keyboard shortcuts: one table the handler reads and the view prints (so the docs cannot drift). */

export type KeyAction =
  | { type: 'accept' }
  | { type: 'reject' }
  | { type: 'reset' }
  | { type: 'delete' }
  | { type: 'relabel'; label: number }
  | { type: 'move'; dx: number; dy: number }
  | { type: 'resize'; dw: number; dh: number }
  | { type: 'nextBox' }
  | { type: 'prevBox' }
  | { type: 'nextImage' }
  | { type: 'prevImage' }
  | { type: 'undo' }
  | { type: 'redo' }
  | { type: 'draw' }
  | { type: 'escape' };

export interface KeyLike {
  key: string;
  shiftKey?: boolean;
  ctrlKey?: boolean;
  metaKey?: boolean;
  altKey?: boolean;
}

/** Shown in the view, in this order. */
export const shortcuts: { keys: string; does: string }[] = [
  { keys: 'A', does: 'accept the selected box' },
  { keys: 'R', does: 'reject the selected box' },
  { keys: 'U', does: 'back to pending' },
  { keys: 'Delete', does: 'delete the selected box' },
  { keys: '0–9', does: 'relabel to that class' },
  { keys: '← ↑ → ↓', does: 'move the box 1 px (Alt: 10 px)' },
  { keys: 'Shift + arrows', does: 'resize: move the right / bottom edge' },
  { keys: 'N / P', does: 'next / previous box' },
  { keys: ']  /  [', does: 'next / previous image' },
  { keys: 'D', does: 'draw mode: drag on the image to add a box' },
  { keys: 'Esc', does: 'leave draw mode, clear the selection' },
  { keys: 'Ctrl+Z', does: 'undo' },
  { keys: 'Ctrl+Shift+Z / Ctrl+Y', does: 'redo' },
  { keys: 'mouse', does: 'click selects; drag moves; corner handles resize; drag on empty image draws' },
];

const ARROWS: Record<string, [number, number]> = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };

export function actionFor(e: KeyLike): KeyAction | null {
  const mod = e.ctrlKey || e.metaKey;
  const k = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  if (mod) {
    if (k === 'z') return e.shiftKey ? { type: 'redo' } : { type: 'undo' };
    if (k === 'y') return { type: 'redo' };
    return null;
  }
  const arrow = ARROWS[k];
  if (arrow) {
    const step = e.altKey ? 10 : 1;
    return e.shiftKey ? { type: 'resize', dw: arrow[0] * step, dh: arrow[1] * step } : { type: 'move', dx: arrow[0] * step, dy: arrow[1] * step };
  }
  if (/^[0-9]$/.test(k)) return { type: 'relabel', label: Number(k) };
  switch (k) {
    case 'a':
      return { type: 'accept' };
    case 'r':
      return { type: 'reject' };
    case 'u':
      return { type: 'reset' };
    case 'Delete':
    case 'Backspace':
      return { type: 'delete' };
    case 'n':
      return { type: 'nextBox' };
    case 'p':
      return { type: 'prevBox' };
    case ']':
      return { type: 'nextImage' };
    case '[':
      return { type: 'prevImage' };
    case 'd':
      return { type: 'draw' };
    case 'Escape':
      return { type: 'escape' };
    default:
      return null;
  }
}
