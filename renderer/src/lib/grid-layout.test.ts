import { describe, expect, it } from 'vitest';
import { columnsFor, defaultGridOptions, layoutGrid, moveInGrid, rowOfPosition, visibleRange, type GridLayout } from './grid-layout.js';

const options = { targetCell: 100, gap: 4, headerHeight: 40, padding: 8 };

describe('columnsFor', () => {
  it('fits as many cells of about the target size as the width allows, stretched to fill it', () => {
    const { columns, cell } = columnsFor(1000, options);
    expect(columns).toBe(9); // 9 * 100 + 8 * 4 = 932 ≤ 1000; 10 would need 1036
    expect(columns * cell + (columns - 1) * options.gap).toBeCloseTo(1000);
  });

  it('always has at least one column', () => {
    expect(columnsFor(10, options).columns).toBe(1);
    expect(columnsFor(0, options).columns).toBe(1);
  });
});

describe('layoutGrid', () => {
  it('stacks a header and full rows per group; the last row of a group may be short', () => {
    const layout = layoutGrid([{ start: 0, count: 10 }, { start: 10, count: 3 }], 412, options); // 4 columns of 100
    expect(layout.columns).toBe(4);
    expect(layout.rows.map((row) => [row.kind, row.start, row.count])).toEqual([
      ['header', 0, 0],
      ['cells', 0, 4],
      ['cells', 4, 4],
      ['cells', 8, 2],
      ['header', 10, 0],
      ['cells', 10, 3],
    ]);
    // Rows touch: each starts where the previous one ends.
    for (let i = 1; i < layout.rows.length; i++) expect(layout.rows[i]!.top).toBeCloseTo(layout.rows[i - 1]!.top + layout.rows[i - 1]!.height);
    const last = layout.rows[layout.rows.length - 1]!;
    expect(layout.height).toBeCloseTo(last.top + last.height + options.padding);
  });
});

function bruteForceVisible(layout: GridLayout, top: number, height: number, overscan: number) {
  const lo = Math.max(0, top - overscan);
  const hi = top + height + overscan;
  const hits = layout.rows.map((row, i) => (row.top + row.height > lo && row.top < hi ? i : -1)).filter((i) => i >= 0);
  return hits.length ? { first: hits[0]!, end: hits[hits.length - 1]! + 1 } : null;
}

describe('visibleRange', () => {
  const groups = Array.from({ length: 120 }, (_, g) => ({ start: g * 900, count: 1 + ((g * 7919) % 1700) }));
  let start = 0;
  for (const group of groups) {
    group.start = start;
    start += group.count;
  }
  const layout = layoutGrid(groups, 1180, defaultGridOptions);

  it('matches a brute-force scan at many scroll positions (binary search is right at every edge)', () => {
    for (let k = 0; k < 400; k++) {
      const top = (layout.height * k) / 400;
      const expected = bruteForceVisible(layout, top, 800, 300);
      const actual = visibleRange(layout, top, 800, 300);
      expect(expected).not.toBeNull();
      expect(actual).toEqual(expected);
    }
  });

  it('renders a bounded number of rows whatever the library size', () => {
    const range = visibleRange(layout, layout.height / 2, 800, 800);
    expect(range.end - range.first).toBeLessThan(20);
  });

  it('is empty past the end', () => {
    const range = visibleRange(layout, layout.height + 5000, 800, 100);
    expect(range.end - range.first).toBe(0);
  });
});

describe('rowOfPosition and moveInGrid', () => {
  const layout = layoutGrid([{ start: 0, count: 10 }, { start: 10, count: 3 }], 412, options); // 4 columns

  it('finds the row that holds a photo', () => {
    expect(layout.rows[rowOfPosition(layout, 0)]!.start).toBe(0);
    expect(layout.rows[rowOfPosition(layout, 5)]!.start).toBe(4);
    expect(layout.rows[rowOfPosition(layout, 9)]!.start).toBe(8);
    expect(layout.rows[rowOfPosition(layout, 12)]!.start).toBe(10);
    expect(rowOfPosition(layout, 13)).toBe(-1);
  });

  it('moves down a row keeping the column, clamped to a short row, across month headers', () => {
    expect(moveInGrid(layout, 1, 13, 'down')).toBe(5);
    expect(moveInGrid(layout, 7, 13, 'down')).toBe(9); // row 8..9 has 2 cells
    expect(moveInGrid(layout, 9, 13, 'down')).toBe(11); // into the next month
    expect(moveInGrid(layout, 11, 13, 'up')).toBe(9);
    expect(moveInGrid(layout, 0, 13, 'left')).toBe(0);
    expect(moveInGrid(layout, 12, 13, 'right')).toBe(12);
    expect(moveInGrid(layout, 2, 13, 'up')).toBe(2);
  });
});
