/**
 * The one selection of the window: the photos picked in whichever grid shows (the library grid,
 * search results, a person's or a place's photos, an album). One instance lives on the AppStore;
 * each grid says which photos it shows (`setScope`), so Ctrl/Cmd-A selects them, a Shift-click's
 * range follows their order, and the selection is dropped when another view takes over.
 *
 * What a click does (decided with Google Photos and Immich in mind):
 * - nothing selected: a plain click opens the viewer, as before;
 * - Ctrl/Cmd-click toggles a photo, Shift-click selects the range from the last photo clicked;
 * - once something is selected, a plain click toggles too (the viewer is one Enter away: the
 *   focused cell's Enter always opens it), so picking photos never needs a modifier.
 * Keyboard: Space toggles the focused cell, Shift+arrows add the cells passed over, Esc clears.
 * Shift ranges and rubber bands add to the selection; they never take photos out of it.
 */

import { untrack } from 'svelte';

export interface Modifiers {
  shiftKey: boolean;
  ctrlKey: boolean;
  metaKey: boolean;
}

/** A rectangle in some coordinate space (a grid's canvas, the window's client area). */
export interface Rect {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

export class Selection {
  /** The selected photos, in the order they were picked. */
  ids = $state.raw<ReadonlySet<number>>(new Set());
  /** The photo a Shift-click or Shift+arrow extends from: the last one clicked or toggled. */
  anchor = $state<number | null>(null);
  readonly size = $derived(this.ids.size);

  private scopeKey: string | null = null;
  /** The photos of the current view, in order (Ctrl/Cmd-A selects them). */
  private scopeIds = $state.raw<ArrayLike<number>>([]);

  has(id: number): boolean {
    return this.ids.has(id);
  }

  /** The selection as a list, in the order the photos were picked (for calls that take ids). */
  list(): number[] {
    return [...this.ids];
  }

  /**
   * A grid shows these photos: the view whose selection this is. Another view (another key) starts
   * from nothing; the same view with new photos (a reload after a change, a new answer) keeps the
   * selected photos it still shows.
   */
  setScope(key: string, ids: ArrayLike<number>): void {
    // Called from the grids' effects: what it reads here must not make them run again.
    untrack(() => this.rescope(key, ids));
  }

  private rescope(key: string, ids: ArrayLike<number>): void {
    if (key !== this.scopeKey) {
      this.scopeKey = key;
      this.scopeIds = ids;
      this.clear();
      return;
    }
    this.scopeIds = ids;
    if (this.ids.size === 0) return;
    const shown = new Set(Array.from(ids));
    const kept = [...this.ids].filter((id) => shown.has(id));
    if (kept.length !== this.ids.size) this.ids = new Set(kept);
    if (this.anchor !== null && !shown.has(this.anchor)) this.anchor = null;
  }

  /** The grid that set this scope is gone: nothing is selected any more. */
  leaveScope(key: string): void {
    if (key !== this.scopeKey) return;
    this.scopeKey = null;
    this.scopeIds = [];
    untrack(() => this.clear());
  }

  /** The photos of the current view, in order. */
  get scope(): ArrayLike<number> {
    return this.scopeIds;
  }

  toggle(id: number): void {
    const next = new Set(this.ids);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    this.ids = next;
    this.anchor = id;
  }

  /** Adds the photos from the anchor to `id` (in the view's order) to the selection; `id` becomes the anchor. */
  selectRange(id: number, order: ArrayLike<number> = this.scopeIds): void {
    const to = indexOf(order, id);
    const from = this.anchor === null ? -1 : indexOf(order, this.anchor);
    const next = new Set(this.ids);
    if (to < 0 || from < 0) next.add(id);
    else for (let i = Math.min(from, to); i <= Math.max(from, to); i++) next.add(order[i]!);
    this.ids = next;
    this.anchor = id;
  }

  /** Shift+arrow: the photos from `from` to `to` join the selection (both included); `to` becomes the anchor. */
  extend(from: number, to: number, order: ArrayLike<number> = this.scopeIds): void {
    this.anchor = from;
    this.selectRange(to, order);
  }

  /** Adds these photos (a rubber band's) to the selection, or selects only them. */
  add(ids: Iterable<number>, additive = true): void {
    const next = new Set(additive ? this.ids : []);
    for (const id of ids) next.add(id);
    this.ids = next;
  }

  /** Ctrl/Cmd-A: every photo of the current view. */
  selectAll(): void {
    this.ids = new Set(Array.from(this.scopeIds));
  }

  clear(): void {
    if (this.ids.size > 0) this.ids = new Set();
    this.anchor = null;
  }

  /**
   * A click (or tap) on a photo: 'open' when it should open the viewer (nothing selected, no
   * modifier), else the selection changed and 'selected' is answered.
   */
  click(id: number, modifiers: Modifiers, order: ArrayLike<number> = this.scopeIds): 'open' | 'selected' {
    if (modifiers.shiftKey) {
      this.selectRange(id, order);
      return 'selected';
    }
    if (modifiers.ctrlKey || modifiers.metaKey || this.ids.size > 0) {
      this.toggle(id);
      return 'selected';
    }
    this.anchor = id;
    return 'open';
  }
}

function indexOf(list: ArrayLike<number>, id: number): number {
  return Array.prototype.indexOf.call(list, id) as number;
}

/** True when two rectangles overlap (touching edges do not count). */
export function intersects(a: Rect, b: Rect): boolean {
  return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
}

/** The rectangle a drag from `from` to `to` spans, whichever way it went. */
export function rectBetween(from: { x: number; y: number }, to: { x: number; y: number }): Rect {
  return { left: Math.min(from.x, to.x), top: Math.min(from.y, to.y), right: Math.max(from.x, to.x), bottom: Math.max(from.y, to.y) };
}

/** The ids of the boxes a rubber band touches. */
export function boxesHit(band: Rect, boxes: Iterable<{ id: number; box: Rect }>): number[] {
  const hit: number[] = [];
  for (const { id, box } of boxes) if (intersects(band, box)) hit.push(id);
  return hit;
}

/** Only what a grid's layout says about its cells (grid-layout.ts), for hit-testing without the DOM. */
interface CellRows {
  rows: readonly { kind: 'header' | 'cells'; top: number; height: number; start: number; count: number }[];
  cell: number;
  gap: number;
}

/**
 * The photos of a virtualised grid (grid-layout.ts) a rubber band touches, from the layout alone:
 * cells out of the DOM count too. `band` is in the canvas's coordinates; cells start `left` px in.
 */
export function layoutHits(layout: CellRows, ids: ArrayLike<number>, band: Rect, left: number): number[] {
  const hit: number[] = [];
  const step = layout.cell + layout.gap;
  for (const row of layout.rows) {
    if (row.kind !== 'cells' || row.top >= band.bottom || row.top + layout.cell <= band.top) continue;
    for (let i = 0; i < row.count; i++) {
      const x = left + i * step;
      if (intersects(band, { left: x, top: row.top, right: x + layout.cell, bottom: row.top + layout.cell })) hit.push(ids[row.start + i]!);
    }
  }
  return hit;
}
