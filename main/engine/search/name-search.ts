import type { Db } from '../db/database.js';
import { UNSEGMENTED, escapeLike, foldText } from './full-text.js';

/**
 * The search box's name signals: a photo whose file name, folder (below its library folder) or
 * camera and lens hold the query's words. Kept in the FTS5 table `search_names` by triggers
 * (migration 8), so moves, renames and newly read cameras are seen at once.
 *
 * Words are matched as prefixes after Porter stemming ("screenshots" finds Screenshot_2024-…,
 * "paris" finds IMG_0042-paris.jpg), every meaningful word must match somewhere in the same
 * location (a sentence such as "a dog on the beach" rarely matches names, and should not: CLIP
 * answers it), and common English function words are left out so that "photos from Paris" is
 * "paris". A query in a script without spaces (Chinese, Japanese) is matched by substring.
 */

/** Why a photo matched, for the result's "why" line. */
export type NameField = 'file name' | 'folder' | 'camera' | 'place' | 'person' | 'keyword';

export interface NameMatch {
  photoId: number;
  /** The fields that hold the words, best first, with the text that matched. */
  reasons: { field: NameField; text: string }[];
}

const FIELDS: readonly [NameField, 'file' | 'folder' | 'camera'][] = [
  ['file name', 'file'],
  ['folder', 'folder'],
  ['camera', 'camera'],
];

/** Words that say nothing about a photo's name (and would keep a sentence from ever matching). */
const STOP_WORDS = new Set(
  'a an and are as at be by for from i in is it its me my of on or our photo photos picture pictures image images shot shots taken that the their this those to was we were with'.split(' '),
);


export function isStopWord(word: string): boolean {
  return STOP_WORDS.has(word);
}

/** The query's words worth matching against names ([] when none are). */
function nameWords(query: string): string[] {
  return (query.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((word) => !STOP_WORDS.has(word) && (word.length > 1 || /\p{N}/u.test(word)));
}

/**
 * Photos whose names match, best first (bm25 with the file name weighted over folder over camera).
 * `within`, a query selecting `photo_id` (search/filters.ts), keeps only those photos.
 */
export function searchNames(db: Db, query: string, limit: number, within?: { sql: string; params: readonly unknown[] }): NameMatch[] {
  const restrict = within ? `AND photo_id IN (${within.sql})` : '';
  const params = within?.params ?? [];
  let rows: { photoId: number; file: string; folder: string; camera: string }[];
  if (UNSEGMENTED.test(query)) {
    const words = query.trim().split(/\s+/).filter(Boolean);
    if (words.length === 0) return [];
    const where = words.map(() => `(file || ' ' || folder || ' ' || camera) LIKE ? ESCAPE '\\'`).join(' AND ');
    rows = db
      .prepare(`SELECT photo_id AS photoId, file, folder, camera FROM search_names WHERE ${where} ${restrict} LIMIT ?`)
      .all(...words.map((w) => `%${escapeLike(w)}%`), ...params, limit * 4) as typeof rows;
  } else {
    const words = nameWords(query);
    if (words.length === 0) return [];
    rows = db
      .prepare(
        `SELECT photo_id AS photoId, file, folder, camera FROM (SELECT photo_id, file, folder, camera, bm25(search_names, 4.0, 2.0, 1.0) AS rank FROM search_names WHERE search_names MATCH ?) WHERE true ${restrict} ORDER BY rank LIMIT ?`,
      )
      .all(words.map((word) => `"${word}"*`).join(' '), ...params, limit * 4) as typeof rows;
  }
  // One result per photo (a photo at two paths matches twice), in the order of its best location.
  const matches = new Map<number, NameMatch>();
  for (const row of rows) {
    if (matches.has(row.photoId)) continue;
    matches.set(row.photoId, { photoId: row.photoId, reasons: reasonsOf(row, query) });
    if (matches.size === limit) break;
  }
  // Then the photos whose place (named from GPS: library/places.ts) has the words.
  for (const { photoId, place } of searchPlaces(db, query, limit, within)) {
    const match = matches.get(photoId);
    if (match) match.reasons.push({ field: 'place', text: place });
    else if (matches.size < limit) matches.set(photoId, { photoId, reasons: [{ field: 'place', text: place }] });
  }
  // And the photos of the people whose names have the words ("obama": faces/face-store.ts).
  for (const { photoId, name } of searchPeople(db, query, limit, within)) {
    const match = matches.get(photoId);
    if (match) match.reasons.push({ field: 'person', text: name });
    else if (matches.size < limit) matches.set(photoId, { photoId, reasons: [{ field: 'person', text: name }] });
  }
  return [...matches.values()];
}

/**
 * Photos whose keywords (a person's, or another app's through XMP: organise/organise-store.ts) hold
 * every meaningful word of the query, as prefixes, case and accents aside; the keywords are the why.
 */
export function searchKeywords(db: Db, query: string, limit: number, within?: { sql: string; params: readonly unknown[] }): NameMatch[] {
  const restrict = within ? `AND f.rowid IN (${within.sql})` : '';
  const params = within?.params ?? [];
  let rows: { photoId: number; text: string }[];
  if (UNSEGMENTED.test(query)) {
    const words = query.trim().split(/\s+/).filter(Boolean);
    if (words.length === 0) return [];
    rows = db
      .prepare(`SELECT f.rowid AS photoId, f.text FROM photo_keywords_fts f WHERE ${words.map(() => `f.text LIKE ? ESCAPE '\\'`).join(' AND ')} ${restrict} LIMIT ?`)
      .all(...words.map((w) => `%${escapeLike(w)}%`), ...params, limit) as typeof rows;
  } else {
    const words = nameWords(query);
    if (words.length === 0) return [];
    rows = db
      .prepare(`SELECT f.rowid AS photoId, f.text FROM photo_keywords_fts f WHERE photo_keywords_fts MATCH ? ${restrict} ORDER BY bm25(photo_keywords_fts) LIMIT ?`)
      .all(words.map((word) => `"${word}"*`).join(' '), ...params, limit) as typeof rows;
  }
  const keywordsOf = db.prepare(`SELECT keyword FROM photo_keywords WHERE photo_id = ? ORDER BY keyword COLLATE NOCASE`).pluck();
  return rows.map(({ photoId }) => ({ photoId, reasons: [{ field: 'keyword' as const, text: (keywordsOf.all(photoId) as string[]).join(', ') }] }));
}

/** Photos of the named people whose every name word is matched by a query word (as a prefix, case and accents aside). */
function searchPeople(db: Db, query: string, limit: number, within?: { sql: string; params: readonly unknown[] }): { photoId: number; name: string }[] {
  const words = UNSEGMENTED.test(query) ? [query.trim()] : nameWords(foldText(query));
  if (words.length === 0) return [];
  const people = (db.prepare(`SELECT id, name FROM people WHERE name IS NOT NULL AND hidden = 0`).all() as { id: number; name: string }[]).filter(({ name }) => {
    const folded = foldText(name);
    const tokens = folded.match(/[\p{L}\p{N}]+/gu) ?? [];
    return words.every((word) => (UNSEGMENTED.test(word) ? folded.includes(word) : tokens.some((token) => token.startsWith(word))));
  });
  if (people.length === 0) return [];
  const restrict = within ? `AND f.photo_id IN (${within.sql})` : '';
  return db
    .prepare(
      `SELECT DISTINCT f.photo_id AS photoId, pe.name FROM faces f JOIN people pe ON pe.id = f.person_id JOIN photos p ON p.id = f.photo_id AND p.orphaned_at IS NULL
       WHERE f.not_face = 0 AND f.person_id IN (SELECT value FROM json_each(?)) ${restrict} ORDER BY f.score DESC LIMIT ?`,
    )
    .all(JSON.stringify(people.map((person) => person.id)), ...(within?.params ?? []), limit) as { photoId: number; name: string }[];
}

function searchPlaces(db: Db, query: string, limit: number, within?: { sql: string; params: readonly unknown[] }): { photoId: number; place: string }[] {
  const restrict = within ? `AND p.id IN (${within.sql})` : '';
  const params = within?.params ?? [];
  if (UNSEGMENTED.test(query)) {
    const words = query.trim().split(/\s+/).filter(Boolean);
    return db
      .prepare(`SELECT p.id AS photoId, p.place FROM photos p WHERE p.place IS NOT NULL AND ${words.map(() => `p.place LIKE ? ESCAPE '\\'`).join(' AND ')} ${restrict} LIMIT ?`)
      .all(...words.map((w) => `%${escapeLike(w)}%`), ...params, limit) as { photoId: number; place: string }[];
  }
  const words = nameWords(query);
  if (words.length === 0) return [];
  return db
    .prepare(`SELECT p.id AS photoId, p.place FROM photos_place_fts f JOIN photos p ON p.id = f.rowid WHERE photos_place_fts MATCH ? ${restrict} ORDER BY bm25(photos_place_fts) LIMIT ?`)
    .all(words.map((word) => `"${word}"*`).join(' '), ...params, limit) as { photoId: number; place: string }[];
}

/** Which of a location's fields hold any of the query's words (prefix, case and accents aside). */
function reasonsOf(row: { file: string; folder: string; camera: string }, query: string): NameMatch['reasons'] {
  const words = UNSEGMENTED.test(query) ? query.trim().split(/\s+/) : nameWords(query);
  const stem = (word: string) => word.replace(/(ies|es|s)$/u, '');
  const reasons: NameMatch['reasons'] = [];
  for (const [field, column] of FIELDS) {
    const text = row[column];
    if (!text) continue;
    const folded = foldText(text);
    const tokens = folded.match(/[\p{L}\p{N}]+/gu) ?? [];
    const hit = words.some((word) => (UNSEGMENTED.test(word) ? folded.includes(foldText(word)) : tokens.some((token) => token.startsWith(stem(foldText(word))))));
    if (hit) reasons.push({ field, text: column === 'folder' ? text.replace(/[\\/]+$/, '') : text });
  }
  return reasons;
}
