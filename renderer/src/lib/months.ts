/**
 * Month grouping of the timeline, pure and allocation-light: 100,000 photos become a handful of
 * groups (start + count into the id column), never 100,000 objects.
 */
import type { Timeline } from './types.js';

export interface MonthGroup {
  /** UTC year and month (0-11) of the camera's wall clock; both null for the "No date" group. */
  year: number | null;
  month: number | null;
  /** Position of the group's first photo in `GroupedTimeline.ids`. */
  start: number;
  count: number;
}

export interface GroupedTimeline {
  /** Photo ids in display order: months newest first, undated photos last. */
  ids: ArrayLike<number>;
  /** Capture time per position in `ids` (epoch ms), null when unknown. */
  takenAt: ArrayLike<number | null>;
  groups: MonthGroup[];
}

const NO_DATE = -1;

/** year * 12 + month, or NO_DATE. */
function monthKey(ms: number | null | undefined): number {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return NO_DATE;
  const date = new Date(ms);
  return date.getUTCFullYear() * 12 + date.getUTCMonth();
}

/**
 * Groups a timeline by month. The engine sends it newest first with undated photos last, so the
 * usual path only walks the array once and keeps the engine's arrays as they are; if the order
 * is anything else (a month split in two runs, undated photos in the middle), the photos are
 * regrouped with a stable counting sort so each month appears once and "No date" comes last.
 */
/** What grouping reads of a timeline (the engine's `pending` list is the grid's business). */
type DatedPhotos = Pick<Timeline, 'ids' | 'takenAt' | 'aspect'>;

export function groupByMonth(timeline: DatedPhotos): GroupedTimeline {
  const { ids, takenAt } = timeline;
  const n = ids.length;
  const keys = new Int32Array(n);
  // Only build a Date when a photo falls outside the current month's [lo, hi) range: photos come
  // sorted, so that is once per month rather than once per photo.
  let lo = Infinity;
  let hi = -Infinity;
  let currentKey = NO_DATE;
  for (let i = 0; i < n; i++) {
    const ms = takenAt[i];
    if (ms === null || ms === undefined || !Number.isFinite(ms)) {
      keys[i] = NO_DATE;
      continue;
    }
    if (ms < lo || ms >= hi) {
      currentKey = monthKey(ms);
      const year = Math.floor(currentKey / 12);
      const month = currentKey % 12;
      lo = Date.UTC(year, month, 1);
      hi = Date.UTC(year, month + 1, 1);
    }
    keys[i] = currentKey;
  }

  // Runs of equal keys; the order is already right when every key forms one run, dated runs are
  // newest first, and the undated run (if any) is last.
  const runs: MonthGroup[] = [];
  let ordered = true;
  for (let i = 0; i < n; ) {
    const key = keys[i]!;
    let j = i + 1;
    while (j < n && keys[j] === key) j++;
    const previous = runs.length > 0 ? keyOf(runs[runs.length - 1]!) : null;
    if (previous !== null && (previous === NO_DATE || (key !== NO_DATE && key >= previous))) ordered = false;
    runs.push(groupFor(key, i, j - i));
    i = j;
  }
  if (ordered) return { ids, takenAt, groups: runs };
  return regroup(timeline, keys);
}

function keyOf(group: MonthGroup): number {
  return group.year === null || group.month === null ? NO_DATE : group.year * 12 + group.month;
}

function groupFor(key: number, start: number, count: number): MonthGroup {
  return key === NO_DATE ? { year: null, month: null, start, count } : { year: Math.floor(key / 12), month: key % 12, start, count };
}

function regroup(timeline: DatedPhotos, keys: Int32Array): GroupedTimeline {
  const counts = new Map<number, number>();
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  // Newest month first; NO_DATE (-1) sorts last because every real key is positive.
  const order = [...counts.keys()].sort((a, b) => b - a);
  const offsets = new Map<number, number>();
  const groups: MonthGroup[] = [];
  let offset = 0;
  for (const key of order) {
    const count = counts.get(key)!;
    offsets.set(key, offset);
    groups.push(groupFor(key, offset, count));
    offset += count;
  }
  const ids = new Array<number>(keys.length);
  const takenAt = new Array<number | null>(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const at = offsets.get(key)!;
    offsets.set(key, at + 1);
    ids[at] = timeline.ids[i]!;
    takenAt[at] = timeline.takenAt[i] ?? null;
  }
  return { ids, takenAt, groups };
}
