import path from 'node:path';
import { UsageError } from '../errors.js';

/** What a search may be narrowed to. All given conditions must hold. */
export interface SearchFilters {
  /** Only photos with a location inside this folder (absolute path; any depth). */
  folder?: string;
  /** Capture date on or after / before this (YYYY-MM-DD or a full YYYY-MM-DDTHH:MM:SS wall-clock time). */
  after?: string;
  before?: string;
  /** Only these formats (as Iris records them: jpeg, png, webp, heic, avif, tiff, gif...). */
  formats?: string[];
}

const DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?)?$/;

function checkDate(flag: string, value: string): string {
  if (!DATE.test(value) || Number.isNaN(Date.parse(value.length === 10 ? value : `${value}Z`))) {
    throw new UsageError(`${flag} wants a date like 2024-07-31 or 2024-07-31T18:00, not "${value}"`);
  }
  return value;
}

export function hasFilters(filters: SearchFilters): boolean {
  return !!(filters.folder || filters.after || filters.before || filters.formats?.length);
}

/**
 * The filters as one SQL query selecting `photo_id` from visible photos. Capture times are stored
 * as wall-clock text (`YYYY-MM-DDTHH:MM:SS`), which sorts as it reads, so a date compares as text:
 * `--before 2024-08-01` means before that day begins.
 */
export function filterQuery(filters: SearchFilters): { sql: string; params: unknown[] } {
  const where = ['p.orphaned_at IS NULL'];
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
  return { sql: `SELECT p.id AS photo_id FROM photos p WHERE ${where.join(' AND ')}`, params };
}
