import { describe, expect, it } from 'vitest';
import { layoutGrid } from './grid-layout.js';
import { Selection, boxesHit, intersects, layoutHits, rectBetween } from './selection.svelte.js';

const none = { shiftKey: false, ctrlKey: false, metaKey: false };
const ctrl = { ...none, ctrlKey: true };
const meta = { ...none, metaKey: true };
const shift = { ...none, shiftKey: true };
const ids = (selection: Selection) => [...selection.ids].sort((a, b) => a - b);

function inView(order: number[]) {
  const selection = new Selection();
  selection.setScope('library', order);
  return selection;
}

describe('Selection: clicks', () => {
  it('a plain click opens the viewer while nothing is selected; Ctrl- and Cmd-click toggle', () => {
    const selection = inView([10, 20, 30, 40]);
    expect(selection.click(20, none)).toBe('open');
    expect(selection.size).toBe(0);
    expect(selection.click(20, ctrl)).toBe('selected');
    expect(selection.click(40, meta)).toBe('selected');
    expect(ids(selection)).toEqual([20, 40]);
    selection.click(20, ctrl);
    expect(ids(selection)).toEqual([40]);
  });

  it('once something is selected, a plain click toggles instead of opening', () => {
    const selection = inView([10, 20, 30]);
    selection.click(10, ctrl);
    expect(selection.click(30, none)).toBe('selected');
    expect(ids(selection)).toEqual([10, 30]);
    expect(selection.click(10, none)).toBe('selected');
    expect(ids(selection)).toEqual([30]);
  });

  it('Shift-click selects the range from the last photo clicked, in the view order, either way', () => {
    const order = [9, 8, 7, 6, 5, 4, 3];
    const selection = inView(order);
    selection.click(8, ctrl);
    selection.click(5, shift);
    expect(ids(selection)).toEqual([5, 6, 7, 8]);
    // The range ends where the last click was; the next one goes on from there (backwards here).
    selection.click(3, ctrl);
    selection.click(9, shift);
    expect(ids(selection)).toEqual([3, 4, 5, 6, 7, 8, 9]);
  });

  it('Shift-click with no photo clicked before selects that photo alone; a plain click before one counts as the anchor', () => {
    const selection = inView([1, 2, 3, 4]);
    selection.click(3, shift);
    expect(ids(selection)).toEqual([3]);
    selection.clear();
    expect(selection.click(1, none)).toBe('open');
    selection.click(3, shift);
    expect(ids(selection)).toEqual([1, 2, 3]);
  });

  it('Shift+arrows add the photos passed over (both ends) and move the anchor', () => {
    const selection = inView([1, 2, 3, 4, 5, 6, 7, 8]);
    selection.extend(2, 3);
    expect(ids(selection)).toEqual([2, 3]);
    selection.extend(3, 7);
    expect(ids(selection)).toEqual([2, 3, 4, 5, 6, 7]);
    expect(selection.anchor).toBe(7);
  });
});

describe('Selection: the view it belongs to', () => {
  it('Ctrl/Cmd-A selects every photo of the current view; Esc (clear) empties it', () => {
    const selection = inView([5, 6, 7]);
    selection.selectAll();
    expect(ids(selection)).toEqual([5, 6, 7]);
    selection.clear();
    expect(selection.size).toBe(0);
    expect(selection.anchor).toBeNull();
  });

  it('the same view reloaded keeps the selected photos it still shows; another view starts from nothing', () => {
    const selection = inView([1, 2, 3, 4]);
    selection.add([1, 2, 3]);
    selection.setScope('library', [2, 3, 4, 5]);
    expect(ids(selection)).toEqual([2, 3]);
    selection.setScope('results', [2, 3]);
    expect(selection.size).toBe(0);
    selection.add([2]);
    // A grid that goes away takes its selection with it, and only its own.
    selection.leaveScope('library');
    expect(ids(selection)).toEqual([2]);
    selection.leaveScope('results');
    expect(selection.size).toBe(0);
  });

  it('a rubber band replaces the selection, or with Ctrl/Cmd adds to it', () => {
    const selection = inView([1, 2, 3, 4]);
    selection.add([1]);
    selection.add([3, 4], false);
    expect(ids(selection)).toEqual([3, 4]);
    selection.add([1]);
    expect(ids(selection)).toEqual([1, 3, 4]);
  });
});

describe('rubber band hit-testing', () => {
  it('rectangles overlap when they share area, not when they only touch', () => {
    const a = { left: 0, top: 0, right: 10, bottom: 10 };
    expect(intersects(a, { left: 5, top: 5, right: 20, bottom: 20 })).toBe(true);
    expect(intersects(a, { left: 10, top: 0, right: 20, bottom: 10 })).toBe(false);
    expect(intersects(a, { left: 2, top: 2, right: 3, bottom: 3 })).toBe(true);
    expect(rectBetween({ x: 30, y: 5 }, { x: 10, y: 25 })).toEqual({ left: 10, top: 5, right: 30, bottom: 25 });
  });

  it('finds the DOM boxes a band touches', () => {
    const boxes = [0, 1, 2, 3].map((i) => ({ id: 100 + i, box: { left: (i % 2) * 110, top: Math.floor(i / 2) * 110, right: (i % 2) * 110 + 100, bottom: Math.floor(i / 2) * 110 + 100 } }));
    expect(boxesHit({ left: 50, top: 50, right: 60, bottom: 60 }, boxes)).toEqual([100]);
    expect(boxesHit({ left: 50, top: 50, right: 150, bottom: 60 }, boxes)).toEqual([100, 101]);
    expect(boxesHit({ left: 101, top: 0, right: 109, bottom: 300 }, boxes)).toEqual([]);
    expect(boxesHit({ left: 90, top: 90, right: 120, bottom: 120 }, boxes)).toEqual([100, 101, 102, 103]);
  });

  it('finds the cells of the virtualised grid from its layout, rows out of the DOM included', () => {
    // Two months: 5 photos then 3, four columns of 100 px with 4 px gaps, 48 px headers, 8 px padding.
    const layout = layoutGrid([{ start: 0, count: 5 }, { start: 5, count: 3 }], 412, { targetCell: 100, gap: 4, headerHeight: 48, padding: 8 });
    expect(layout.columns).toBe(4);
    const order = [80, 70, 60, 50, 40, 30, 20, 10];
    const left = 16;
    // Row 1 of month 1 starts at y = 8 + 48 = 56; x of column c is 16 + c * 104.
    expect(layoutHits(layout, order, { left: 20, top: 60, right: 30, bottom: 70 }, left)).toEqual([80]);
    // Across the first two columns of both rows of month 1.
    expect(layoutHits(layout, order, { left: 20, top: 60, right: 130, bottom: 170 }, left)).toEqual([80, 70, 40]);
    // Down through the header of month 2 into its first row, last column only: nothing there (3 photos).
    expect(layoutHits(layout, order, { left: 330, top: 200, right: 400, bottom: 320 }, left)).toEqual([]);
    // The whole canvas.
    expect(layoutHits(layout, order, { left: 0, top: 0, right: 1000, bottom: layout.height }, left).sort((a, b) => a - b)).toEqual([...order].sort((a, b) => a - b));
    // The gap between two cells touches neither.
    expect(layoutHits(layout, order, { left: 117, top: 60, right: 119, bottom: 70 }, left)).toEqual([]);
  });
});
