/**
 * What every grid of photo cells does the same way (the library grid, search results, ThumbGrid):
 * clicks and keys that select (selection.svelte.ts), the context menu, the mark keys (0–5 stars,
 * F favourite, X reject), Ctrl/Cmd-A and Esc, and the rubber band drawn from the grid's background.
 */
import type { Attachment } from 'svelte/attachments';
import type { AppStore } from './app.svelte.js';
import type { MarkChange } from './organise.svelte.js';
import { boxesHit, rectBetween, type Rect } from './selection.svelte.js';

export function isTyping(target: EventTarget | null): boolean {
  const element = target as HTMLElement | null;
  return !!element && (element.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(element.tagName));
}

/** The mark a key sets: 0–5 stars, F the heart (toggled), X reject (toggled); null for any other key. */
export function markForKey(event: KeyboardEvent): MarkChange | 'favourite' | 'reject' | null {
  if (event.ctrlKey || event.metaKey || event.altKey) return null;
  if (/^[0-5]$/.test(event.key)) return { rating: Number(event.key) };
  const key = event.key.toLowerCase();
  if (key === 'f') return 'favourite';
  if (key === 'x') return 'reject';
  return null;
}

/** Applies a mark key to photos (announced: the grid shows only a small badge). */
export function applyMark(app: AppStore, photoIds: number[], mark: MarkChange | 'favourite' | 'reject', announce = true): Promise<boolean> {
  if (mark === 'favourite') return app.organise.toggleFavourite(photoIds, announce);
  if (mark === 'reject') return app.organise.toggleRejected(photoIds, announce);
  return app.organise.mark(photoIds, mark, announce);
}

/** The photo of the focused cell, when focus is on a cell inside `root`. */
export function focusedPhoto(root: HTMLElement | undefined): number | null {
  const active = typeof document === 'undefined' ? null : (document.activeElement as HTMLElement | null);
  const cell = active?.closest<HTMLElement>('[data-photo-id]');
  if (!cell || !root?.contains(cell)) return null;
  const id = Number(cell.dataset.photoId);
  return Number.isFinite(id) ? id : null;
}

/**
 * The grid's window-wide keys: Ctrl/Cmd-A selects every photo it shows, Esc clears the selection,
 * 0–5, F and X mark the selection (or, with nothing selected, the focused photo). Not while typing,
 * while the viewer, a menu or a dialog is open.
 */
export function gridWindowKeydown(app: AppStore, event: KeyboardEvent, root: HTMLElement | undefined): void {
  if (event.defaultPrevented || app.viewer || app.organise.menu || app.organise.dialog || isTyping(event.target)) return;
  if ((event.target as HTMLElement | null)?.closest?.('[role="dialog"], [role="alertdialog"], [role="menu"]')) return;
  const selection = app.selection;
  if ((event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey && event.key.toLowerCase() === 'a') {
    event.preventDefault();
    selection.selectAll();
    return;
  }
  if (event.key === 'Escape' && selection.size > 0) {
    event.preventDefault();
    selection.clear();
    return;
  }
  const mark = markForKey(event);
  if (!mark) return;
  const focused = focusedPhoto(root);
  const ids = selection.size > 0 ? selection.list() : focused !== null ? [focused] : [];
  if (ids.length === 0) return;
  event.preventDefault();
  void applyMark(app, ids, mark);
}

/** A click on a cell: selects (modifiers, or a selection already there) or opens the viewer. */
export function cellClick(app: AppStore, event: MouseEvent, id: number, order: ArrayLike<number>, open: () => void): void {
  if (app.selection.click(id, event, order) === 'open') open();
}

/** The context menu of a cell at the pointer. */
export function cellContextMenu(app: AppStore, event: MouseEvent, id: number, open: () => void): void {
  event.preventDefault();
  app.organise.openMenu(id, event.clientX, event.clientY, event.currentTarget as HTMLElement, open);
}

/**
 * A cell's own keys: Enter opens the viewer (whatever is selected), Space toggles the photo in the
 * selection, the ContextMenu key or Shift+F10 opens its menu.
 */
export function cellKeydown(app: AppStore, event: KeyboardEvent, id: number, open: () => void): void {
  if (event.altKey || event.ctrlKey || event.metaKey) return;
  if (event.key === 'Enter' && !event.shiftKey) {
    event.preventDefault();
    open();
  } else if (event.key === ' ' && !event.shiftKey) {
    event.preventDefault();
    app.selection.toggle(id);
  } else if (event.key === 'ContextMenu' || (event.key === 'F10' && event.shiftKey)) {
    event.preventDefault();
    const cell = event.currentTarget as HTMLElement;
    const box = cell.getBoundingClientRect();
    app.organise.openMenu(id, box.left + box.width / 2, box.top + box.height / 2, cell, open);
  }
}

/** Space must not click the button on its way up (the toggle happened on the way down). */
export function cellKeyup(event: KeyboardEvent): void {
  if (event.key === ' ') event.preventDefault();
}

/**
 * Rubber band selection on a grid's background: a drag that starts off any photo draws a
 * rectangle and selects the photos it touches (`hits`, in the window's client coordinates);
 * with Ctrl/Cmd (or Shift) held it adds to the selection. A click on the background without a
 * drag clears the selection.
 */
export function rubberBand(app: AppStore, hits: (band: Rect) => number[]): Attachment<HTMLElement> {
  return (node) => {
    let start: { x: number; y: number } | null = null;
    let base: number[] = [];
    let additive = false;
    let moved = false;
    let band: HTMLDivElement | null = null;

    function down(event: PointerEvent) {
      if (event.button !== 0 || event.pointerType === 'touch') return;
      const target = event.target as Element | null;
      if (!target || target.closest('[data-photo-id], button, a, input, select, textarea, label, [role="menu"]')) return;
      // Not on the scroll bar.
      const box = node.getBoundingClientRect();
      if (node.clientWidth > 0 && event.clientX - box.left >= node.clientWidth) return;
      start = { x: event.clientX, y: event.clientY };
      additive = event.ctrlKey || event.metaKey || event.shiftKey;
      base = additive ? app.selection.list() : [];
      moved = false;
      node.setPointerCapture?.(event.pointerId);
      event.preventDefault();
    }

    function move(event: PointerEvent) {
      if (!start) return;
      if (!moved && Math.hypot(event.clientX - start.x, event.clientY - start.y) < 4) return;
      moved = true;
      const rect = rectBetween(start, { x: event.clientX, y: event.clientY });
      if (!band) {
        band = document.createElement('div');
        band.dataset.testid = 'rubber-band';
        band.setAttribute('aria-hidden', 'true');
        Object.assign(band.style, { position: 'fixed', zIndex: '60', pointerEvents: 'none', border: '1px solid var(--accent)', background: 'var(--accent-soft)', borderRadius: '2px' });
        document.body.append(band);
      }
      Object.assign(band.style, { left: `${rect.left}px`, top: `${rect.top}px`, width: `${rect.right - rect.left}px`, height: `${rect.bottom - rect.top}px` });
      app.selection.add([...base, ...hits(rect)], false);
    }

    function up(event: PointerEvent) {
      if (!start) return;
      if (!moved && !additive) app.selection.clear();
      start = null;
      band?.remove();
      band = null;
      if (node.hasPointerCapture?.(event.pointerId)) node.releasePointerCapture(event.pointerId);
    }

    node.addEventListener('pointerdown', down);
    node.addEventListener('pointermove', move);
    node.addEventListener('pointerup', up);
    node.addEventListener('pointercancel', up);
    return () => {
      band?.remove();
      node.removeEventListener('pointerdown', down);
      node.removeEventListener('pointermove', move);
      node.removeEventListener('pointerup', up);
      node.removeEventListener('pointercancel', up);
    };
  };
}

/**
 * The cell an arrow key reaches in a grid laid out by CSS (rows found where they are drawn):
 * ←/→ the previous and next, ↑/↓ the nearest cell in the row above or below. Null: nowhere to go.
 */
export function arrowTarget(cells: readonly HTMLElement[], from: number, key: string): number | null {
  if (key === 'ArrowRight') return from + 1 < cells.length ? from + 1 : null;
  if (key === 'ArrowLeft') return from > 0 ? from - 1 : null;
  if (key !== 'ArrowDown' && key !== 'ArrowUp') return null;
  const direction = key === 'ArrowDown' ? 1 : -1;
  const here = cells[from]?.getBoundingClientRect();
  if (!here) return null;
  let best: number | null = null;
  let bestRow = Infinity;
  let bestColumn = Infinity;
  cells.forEach((cell, index) => {
    const box = cell.getBoundingClientRect();
    const row = (box.top - here.top) * direction;
    if (row < 1) return;
    const column = Math.abs(box.left - here.left);
    if (row < bestRow - 1 || (Math.abs(row - bestRow) <= 1 && column < bestColumn)) {
      best = index;
      bestRow = row;
      bestColumn = column;
    }
  });
  return best;
}

/** The ids of the DOM cells (`[data-photo-id]`) under `root` that a rubber band touches. */
export function domHits(root: HTMLElement | undefined, band: Rect): number[] {
  if (!root) return [];
  const boxes = [...root.querySelectorAll<HTMLElement>('[data-photo-id]')].map((cell) => ({ id: Number(cell.dataset.photoId), box: cell.getBoundingClientRect() }));
  return boxesHit(band, boxes);
}
