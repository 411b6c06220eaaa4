import path from 'node:path';
import { UsageError } from '../errors.js';
import { escapeLike } from './full-text.js';

/** What a search may be narrowed to. All given conditions must hold. */
export interface SearchFilters {
  /** Only photos with a location inside this folder (absolute path; any depth). */
  folder?: string;
  /** Capture date on or after / before this (YYYY-MM-DD or a full YYYY-MM-DDTHH:MM:SS wall-clock time). */
  after?: string;
  before?: string;
  /** Only these formats (as Iris records them: jpeg, png, webp, heic, avif, tiff, gif...). */
  formats?: string[];
  /**
   * Only photos whose camera (make and model) holds, as whole words with case aside, one name of
   * each group: [["iphone"]] is a camera filter, [["iphone", "pixel"]] the query's camera chips
   * ("iPhone or Pixel"), and both together must hold.
   */
  cameras?: string[][];
  /** Only photos whose place (named from GPS: library/places.ts) holds one phrase of each group ("paris", "new york", "法国"), grouped as `cameras`. */
  places?: string[][];
  /** Only photos with a face of a person named one name of each group (case aside), grouped as `cameras`. */
  people?: string[][];
  /** Only favourites (a heart). */
  favourite?: boolean;
  /** Only photos with at least this many stars (1–5). */
  minRating?: number;
  /** Only photos with this colour label. */
  label?: string;
  /** true: only rejected photos; false: none of them. */
  rejected?: boolean;
  /** Only photos in this album. */
  albumId?: number;
  /** Only photos with this keyword (case aside). */
  keyword?: string;
  /** true: only the photos hidden from the library (duplicates not kept); otherwise they are left out. */
  hidden?: boolean;
}

/** Photos a person hid (duplicates review): out of the grid and of every search unless asked for. */
export const HIDDEN_PHOTOS = `SELECT photo_id FROM photo_marks WHERE hidden_at IS NOT NULL`;

const DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?)?$/;

function checkDate(flag: string, value: string): string {
  if (!DATE.test(value) || Number.isNaN(Date.parse(value.length === 10 ? value : `${value}Z`))) {
    throw new UsageError(`${flag} wants a date like 2024-07-31 or 2024-07-31T18:00, not "${value}"`);
  }
  return value;
}

export function hasFilters(filters: SearchFilters): boolean {
  return !!(
    filters.folder ||
    filters.after ||
    filters.before ||
    filters.formats?.length ||
    filters.cameras?.length ||
    filters.places?.length ||
    filters.people?.length ||
    filters.favourite ||
    filters.minRating ||
    filters.label ||
    filters.rejected !== undefined ||
    filters.albumId !== undefined ||
    filters.keyword ||
    filters.hidden
  );
}

/**
 * The filters as one SQL query selecting `photo_id` from visible photos. Capture times are stored
 * as wall-clock text (`YYYY-MM-DDTHH:MM:SS`), which sorts as it reads, so a date compares as text:
 * `--before 2024-08-01` means before that day begins.
 */
export function filterQuery(filters: SearchFilters): { sql: string; params: unknown[] } {
  const where = ['p.orphaned_at IS NULL', filters.hidden ? `p.id IN (${HIDDEN_PHOTOS})` : `p.id NOT IN (${HIDDEN_PHOTOS})`];
  const params: unknown[] = [];
  if (filters.folder) {
    // Paths below a folder are those between "<folder>/" and "<folder>0" ('0' follows '/'): a
    // range the unique index on locations.path serves, exact and case-sensitive (LIKE is neither).
    const folder = path.resolve(filters.folder).replace(/[\\/]+$/, '');
    const next = String.fromCharCode(path.sep.charCodeAt(0) + 1);
    where.push(`EXISTS (SELECT 1 FROM locations l WHERE l.photo_id = p.id AND l.path >= ? AND l.path < ?)`);
    params.push(folder + path.sep, folder + next);
  }
  if (filters.after) {
    where.push('p.taken_at >= ?');
    params.push(checkDate('--after', filters.after));
  }
  if (filters.before) {
    where.push('p.taken_at < ?');
    params.push(checkDate('--before', filters.before));
  }
  if (filters.formats?.length) {
    where.push(`p.format IN (${filters.formats.map(() => '?').join(',')})`);
    params.push(...filters.formats.map((format) => (format.toLowerCase() === 'jpg' ? 'jpeg' : format.toLowerCase())));
  }
  for (const group of filters.cameras ?? []) {
    if (group.length === 0) continue;
    // Padded with spaces so that a name matches whole words: "pixel 7" is not "Pixel 7a".
    const camera = `(' ' || lower(trim(coalesce(p.camera_make, '') || ' ' || coalesce(p.camera_model, ''))) || ' ')`;
    where.push(`(${group.map(() => `${camera} LIKE ? ESCAPE '\\'`).join(' OR ')})`);
    params.push(...group.map((name) => `% ${escapeLike(name.trim().toLowerCase().replace(/\s+/g, ' '))} %`));
  }
  for (const group of filters.places ?? []) {
    if (group.length === 0) continue;
    // Phrases in the place's own full-text index: whole words, accents and case aside ("sao paulo" is São Paulo).
    where.push(`p.id IN (SELECT rowid FROM photos_place_fts WHERE photos_place_fts MATCH ?)`);
    params.push(group.map((name) => `"${name.trim().replace(/"/g, '""')}"`).join(' OR '));
  }
  for (const group of filters.people ?? []) {
    if (group.length === 0) continue;
    where.push(`p.id IN (SELECT f.photo_id FROM faces f JOIN people pe ON pe.id = f.person_id WHERE f.not_face = 0 AND pe.hidden = 0 AND lower(pe.name) IN (${group.map(() => 'lower(?)').join(', ')}))`);
    params.push(...group.map((name) => name.trim()));
  }
  markFilters(filters, where, params);
  return { sql: `SELECT p.id AS photo_id FROM photos p WHERE ${where.join(' AND ')}`, params };
}

/** Favourites, stars, colour labels, rejects, albums and keywords (organise/organise-store.ts). */
function markFilters(filters: SearchFilters, where: string[], params: unknown[]): void {
  const marks: string[] = [];
  if (filters.favourite) marks.push('favourite = 1');
  if (filters.minRating) {
    marks.push('rating >= ?');
    params.push(filters.minRating);
  }
  if (filters.label) {
    marks.push('label = ?');
    params.push(filters.label.toLowerCase());
  }
  if (filters.rejected) marks.push('rejected = 1');
  if (marks.length > 0) where.push(`p.id IN (SELECT photo_id FROM photo_marks WHERE ${marks.join(' AND ')})`);
  if (filters.rejected === false) where.push(`p.id NOT IN (SELECT photo_id FROM photo_marks WHERE rejected = 1)`);
  if (filters.albumId !== undefined) {
    where.push('p.id IN (SELECT photo_id FROM album_photos WHERE album_id = ?)');
    params.push(filters.albumId);
  }
  if (filters.keyword) {
    where.push('p.id IN (SELECT photo_id FROM photo_keywords WHERE keyword = ?)');
    params.push(filters.keyword.trim());
  }
}
