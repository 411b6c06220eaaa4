import path from 'node:path';
import type { CallResult } from '../../contract/contract.js';
import type { Db } from '../db/database.js';
import type { Engine } from '../engine.js';
import type { ColourLabel } from '../organise/organise-store.js';
import { HIDDEN_PHOTOS, type SearchFilters, filterQuery, hasFilters } from '../search/filters.js';

/**
 * The read models the UI asks for, shaped for it: the grid's timeline in columns, a photo with its
 * tags, the queue per kind. SQL lives here rather than in LibraryStore because these are views
 * of the app, not rules of the library.
 */

/** EXIF times are wall-clock text; read as UTC they keep the camera's calendar day and month. */
function wallClockMs(takenAt: string | null): number | null {
  if (!takenAt) return null;
  const ms = Date.parse(takenAt.length === 10 ? `${takenAt}T00:00:00Z` : `${takenAt}Z`);
  return Number.isNaN(ms) ? null : ms;
}

/**
 * Every visible photo that is readable or still being read, newest first (no date last). Failed
 * photos are not in the grid: the Jobs panel lists them with their errors.
 */
export function timeline(db: Db, folderId?: number, filters: SearchFilters = {}): CallResult<'photos.timeline'> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (folderId !== undefined) {
    where.push('AND p.id IN (SELECT photo_id FROM locations WHERE folder_id = ?)');
    params.push(folderId);
  }
  // Browsing with filters (no query): only the photos a search with them could return.
  if (!hasFilters(filters)) where.push(`AND p.id NOT IN (${HIDDEN_PHOTOS})`);
  else {
    const filtered = filterQuery(filters);
    where.push(`AND p.id IN (${filtered.sql})`);
    params.push(...filtered.params);
  }
  const rows = db
    .prepare(
      `SELECT p.id, p.taken_at, p.width, p.height, p.status = 'pending' FROM photos p
       WHERE p.orphaned_at IS NULL AND p.status != 'failed' ${where.join(' ')}
       ORDER BY p.taken_at IS NULL, p.taken_at DESC, p.id DESC`,
    )
    .raw()
    .all(...params) as [number, string | null, number | null, number | null, 0 | 1][];
  const ids = new Array<number>(rows.length);
  const takenAt = new Array<number | null>(rows.length);
  const aspect = new Array<number>(rows.length);
  const pending: number[] = [];
  rows.forEach(([id, taken, width, height, isPending], i) => {
    if (isPending) pending.push(id);
    ids[i] = id;
    takenAt[i] = wallClockMs(taken);
    aspect[i] = width && height ? Math.round((width / height) * 1000) / 1000 : 1;
  });
  return { ids, takenAt, aspect, pending, marks: timelineMarks(db, ids) };
}

/**
 * The file name of each photo (its first location; '' when it has none now), in the order given:
 * the grid's accessible label for a cell (the path itself stays in the engine). Its own call, asked
 * after the grid is painted and only for photos the window does not know yet: 100,000 names in the
 * timeline itself made its answer 1.7 MB larger and the first paint about 0.2 s later (bench:ui).
 */
export function photoNames(db: Db, ids: readonly number[]): string[] {
  const first = new Map<number, string>();
  const rows = db.prepare(`SELECT photo_id, path FROM locations WHERE photo_id IN (SELECT value FROM json_each(?)) ORDER BY id`).raw().all(JSON.stringify(ids)) as [number, string][];
  for (const [id, file] of rows) if (!first.has(id)) first.set(id, path.basename(file));
  return ids.map((id) => first.get(id) ?? '');
}

/** The grid's badges: the marks of the photos shown that have any (sparse: most photos have none). */
function timelineMarks(db: Db, ids: readonly number[]): NonNullable<CallResult<'photos.timeline'>['marks']> {
  const shown = new Set(ids);
  const rows = db
    .prepare(`SELECT photo_id, favourite, rating, rejected, label FROM photo_marks WHERE favourite = 1 OR rating > 0 OR rejected = 1 OR label IS NOT NULL`)
    .raw()
    .all() as [number, 0 | 1, number, 0 | 1, ColourLabel | null][];
  return rows
    .filter(([id]) => shown.has(id))
    .map(([id, favourite, rating, rejected, label]) => ({ id, favourite: favourite === 1, rating, rejected: rejected === 1, label }));
}

export function photoDetail(engine: Engine, id: number): CallResult<'photos.get'> {
  const photo = engine.store.requirePhoto(id);
  const { marks, albums } = engine.organise;
  return { ...photo, tags: engine.tags.of(id), caption: engine.captionStore.get(id)?.text ?? null, marks: marks.marksOf(id), keywords: marks.keywordsOf(id), albums: albums.albumsOf(id) };
}

/** The queue per kind, plus the latest failures (photo decoding and model jobs) with their errors. */
export function jobKindCounts(db: Db): CallResult<'jobs.status'>['kinds'] {
  const rows = db.prepare(`SELECT kind, state, COUNT(*) AS n FROM jobs GROUP BY kind, state ORDER BY kind`).all() as { kind: string; state: string; n: number }[];
  const byKind = new Map<string, { kind: string; pending: number; running: number; done: number; failed: number }>();
  for (const row of rows) {
    const entry = byKind.get(row.kind) ?? { kind: row.kind, pending: 0, running: 0, done: 0, failed: 0 };
    if (row.state === 'pending' || row.state === 'running' || row.state === 'done' || row.state === 'failed') entry[row.state] = row.n;
    byKind.set(row.kind, entry);
  }
  return [...byKind.values()];
}

export function recentFailures(db: Db, limit = 100): CallResult<'jobs.status'>['failures'] {
  return db
    .prepare(
      `SELECT j.photo_id AS photoId, COALESCE((SELECT path FROM locations WHERE photo_id = j.photo_id ORDER BY id LIMIT 1), '') AS path, j.kind || ': ' || COALESCE(j.error, 'failed') AS error
       FROM jobs j WHERE j.state = 'failed' ORDER BY j.updated_at DESC, j.id DESC LIMIT ?`,
    )
    .all(limit) as CallResult<'jobs.status'>['failures'];
}
