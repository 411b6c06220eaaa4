/**
 * Where every row of the library grid sits, as pure arithmetic: month headers and rows of square
 * cells stacked top to bottom. The grid keeps only the rows that intersect the viewport (plus
 * overscan) in the DOM; finding them is a binary search over row tops, so a scroll frame costs
 * O(log rows) no matter how many photos there are.
 */

export interface GridOptions {
  /** Preferred cell edge in CSS px; the real edge stretches so cells fill the width exactly. */
  targetCell: number;
  gap: number;
  headerHeight: number;
  /** Space above the first header and below the last row. */
  padding: number;
}

export interface GroupSpan {
  start: number;
  count: number;
}

export interface GridRow {
  kind: 'header' | 'cells';
  /** Index of the group the row belongs to. */
  group: number;
  top: number;
  height: number;
  /** For cell rows: the first photo's position in the id column, and how many photos the row holds. */
  start: number;
  count: number;
}

export interface GridLayout {
  rows: GridRow[];
  /** Total scroll height in CSS px. */
  height: number;
  columns: number;
  cell: number;
  gap: number;
}

export const defaultGridOptions: GridOptions = { targetCell: 160, gap: 4, headerHeight: 48, padding: 8 };

export function columnsFor(width: number, options: GridOptions): { columns: number; cell: number } {
  const usable = Math.max(0, width);
  const columns = Math.max(1, Math.floor((usable + options.gap) / (options.targetCell + options.gap)));
  const cell = Math.max(1, (usable - options.gap * (columns - 1)) / columns);
  return { columns, cell };
}

export function layoutGrid(groups: readonly GroupSpan[], width: number, options: GridOptions = defaultGridOptions): GridLayout {
  const { columns, cell } = columnsFor(width, options);
  const rowHeight = cell + options.gap;
  const rows: GridRow[] = [];
  let top = options.padding;
  for (let g = 0; g < groups.length; g++) {
    const group = groups[g]!;
    if (group.count <= 0) continue;
    rows.push({ kind: 'header', group: g, top, height: options.headerHeight, start: group.start, count: 0 });
    top += options.headerHeight;
    for (let offset = 0; offset < group.count; offset += columns) {
      rows.push({ kind: 'cells', group: g, top, height: rowHeight, start: group.start + offset, count: Math.min(columns, group.count - offset) });
      top += rowHeight;
    }
  }
  return { rows, height: top + options.padding, columns, cell, gap: options.gap };
}

/** Index of the first row whose bottom edge is below `y` (rows.length when none). */
export function firstRowBelow(rows: readonly GridRow[], y: number): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const row = rows[mid]!;
    if (row.top + row.height <= y) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The rows to render for a viewport: [first, end) including `overscan` px above and below. */
export function visibleRange(layout: GridLayout, scrollTop: number, viewportHeight: number, overscan: number): { first: number; end: number } {
  const first = firstRowBelow(layout.rows, Math.max(0, scrollTop - overscan));
  const bottom = scrollTop + viewportHeight + overscan;
  let lo = first;
  let hi = layout.rows.length;
  // First row that starts at or below `bottom`.
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (layout.rows[mid]!.top < bottom) lo = mid + 1;
    else hi = mid;
  }
  return { first, end: lo };
}

/** The cell row that holds the photo at `position` (binary search on row starts), or -1. */
export function rowOfPosition(layout: GridLayout, position: number): number {
  const rows = layout.rows;
  let lo = 0;
  let hi = rows.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const row = rows[mid]!;
    // Headers share `start` with their first row; treat a header as coming just before it.
    const start = row.kind === 'header' ? row.start - 0.5 : row.start;
    if (start <= position) {
      if (row.kind === 'cells') found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (found < 0) return -1;
  const row = rows[found]!;
  return position >= row.start && position < row.start + row.count ? found : -1;
}

/**
 * The position reached by an arrow key from `position`: left/right step one photo, up/down move a
 * row keeping the column where the next row is long enough.
 */
export function moveInGrid(layout: GridLayout, position: number, total: number, key: 'left' | 'right' | 'up' | 'down'): number {
  if (total === 0) return 0;
  if (key === 'left') return Math.max(0, position - 1);
  if (key === 'right') return Math.min(total - 1, position + 1);
  const rowIndex = rowOfPosition(layout, position);
  if (rowIndex < 0) return position;
  const row = layout.rows[rowIndex]!;
  const column = position - row.start;
  const step = key === 'down' ? 1 : -1;
  for (let r = rowIndex + step; r >= 0 && r < layout.rows.length; r += step) {
    const next = layout.rows[r]!;
    if (next.kind !== 'cells') continue;
    return next.start + Math.min(column, next.count - 1);
  }
  return position;
}
