import type { StatementCache } from '../db/statements.js';

/**
 * Full-text matching over a text table and its external-content FTS5 index (captions, text read
 * in photos): words are matched by the index (every word must appear, as a prefix, ranked by
 * bm25); text in scripts without spaces (Chinese, Japanese, Korean) by substring, since unicode61
 * keeps a whole run of such characters as one token. `within`, a query selecting `photo_id`
 * (search/filters.ts), keeps only those photos.
 */
export interface FullTextMatch {
  photoId: number;
  /** Rank score, higher is better (negated bm25 for words; 0 for substring matches). */
  score: number;
}

/** Han, kana, hangul, Thai: scripts written without spaces, which unicode61 does not split into words (see migration 5). */
export const UNSEGMENTED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Script=Thai}]/u;

export function fullTextSearch(
  statements: StatementCache,
  tables: { text: string; fts: string },
  query: string,
  limit: number,
  within?: { sql: string; params: readonly unknown[] },
): FullTextMatch[] {
  const trimmed = query.trim();
  if (!trimmed) return [];
  const restrict = within ? `AND photo_id IN (${within.sql})` : '';
  const restrictParams = within?.params ?? [];
  if (UNSEGMENTED.test(trimmed)) {
    const words = trimmed.split(/\s+/);
    const where = words.map(() => `text LIKE ? ESCAPE '\\'`).join(' AND ');
    const rows = statements
      .get(`SELECT photo_id AS photoId FROM ${tables.text} WHERE ${where} ${restrict} ORDER BY updated_at DESC LIMIT ?`)
      .all(...words.map((w) => `%${escapeLike(w)}%`), ...restrictParams, limit) as { photoId: number }[];
    return rows.map((row) => ({ photoId: row.photoId, score: 0 }));
  }
  const match = ftsQuery(trimmed);
  if (!match) return [];
  const rows = statements
    .get(`SELECT photo_id AS photoId, rank FROM (SELECT rowid AS photo_id, bm25(${tables.fts}) AS rank FROM ${tables.fts} WHERE ${tables.fts} MATCH ?) WHERE true ${restrict} ORDER BY rank LIMIT ?`)
    .all(match, ...restrictParams, limit) as { photoId: number; rank: number }[];
  return rows.map((row) => ({ photoId: row.photoId, score: -row.rank }));
}

/**
 * A user's words as an FTS5 query: each word quoted (so "AND", "-" or quotes in a query are words,
 * not syntax) and matched as a prefix ("beach*" finds "beaches").
 */
function ftsQuery(text: string): string {
  const words = text.match(/[\p{L}\p{N}]+/gu) ?? [];
  return words.map((word) => `"${word}"*`).join(' ');
}

/** Text as the search compares it: accents off, lower case ("São Paulo" is "sao paulo"). */
export function foldText(text: string): string {
  return text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
}

export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
