import type { Db } from '../db/database.js';
import { StatementCache } from '../db/statements.js';
import { UsageError } from '../errors.js';

/**
 * What a person says about their photos: a heart, 0–5 stars, reject, a colour label, keywords, and
 * "hidden" (a duplicate they chose not to keep). Iris data only (migration 14): the photo files are
 * never touched; XMP sidecars get them only on request (xmp/organise.ts). A file whose bytes change
 * becomes a new photo; `carry` moves all of this to it, so retouching a photo elsewhere keeps its stars.
 */

export const COLOUR_LABELS = ['red', 'yellow', 'green', 'blue', 'purple'] as const;
export type ColourLabel = (typeof COLOUR_LABELS)[number];

export interface Marks {
  favourite: boolean;
  rating: number;
  rejected: boolean;
  label: ColourLabel | null;
  hidden: boolean;
}

export interface MarkChange {
  favourite?: boolean;
  rating?: number;
  rejected?: boolean;
  label?: ColourLabel | null;
}

export interface Keyword {
  keyword: string;
  /** Lightroom's path ("Places|France|Paris") when the keyword came with one. */
  hierarchy: string | null;
}

/** Who set a value last: the person in Iris, or another app through XMP. */
export type OrganiseSource = 'user' | 'xmp';

/** The fields of a change that say something (an undefined one leaves the mark as it is). */
function definedOnly(change: MarkChange): MarkChange {
  return Object.fromEntries(Object.entries(change).filter(([, value]) => value !== undefined)) as MarkChange;
}

const NO_MARKS: Marks = { favourite: false, rating: 0, rejected: false, label: null, hidden: false };

/** Keywords are short words a person typed; the bounds keep a hostile sidecar from filling the library. */
const MAX_KEYWORD_LENGTH = 200;
const MAX_KEYWORDS_PER_PHOTO = 500;

/** A keyword as kept: runs of white space as one space, none at the ends. */
function squeeze(keyword: string): string {
  return keyword.replace(/\s+/g, ' ').trim();
}

/** A keyword a person typed, checked: a clear error rather than a keyword silently cut. */
function cleanKeyword(keyword: string): string {
  const clean = squeeze(keyword);
  if (!clean) throw new UsageError('a keyword cannot be empty');
  if (clean.length > MAX_KEYWORD_LENGTH) throw new UsageError(`a keyword is at most ${MAX_KEYWORD_LENGTH} characters`);
  return clean;
}

export class OrganiseStore {
  private readonly statements: StatementCache;

  constructor(private readonly db: Db) {
    this.statements = new StatementCache(db);
  }

  private sql(text: string) {
    return this.statements.get(text);
  }

  marksOf(photoId: number): Marks {
    const row = this.sql(`SELECT favourite, rating, rejected, label, hidden_at AS hiddenAt FROM photo_marks WHERE photo_id = ?`).get(photoId) as
      | { favourite: number; rating: number; rejected: number; label: ColourLabel | null; hiddenAt: number | null }
      | undefined;
    if (!row) return { ...NO_MARKS };
    return { favourite: row.favourite === 1, rating: row.rating, rejected: row.rejected === 1, label: row.label, hidden: row.hiddenAt !== null };
  }

  /** Sets the given marks on every photo (the rest of each photo's marks stay); returns how many photos changed. */
  setMarks(photoIds: readonly number[], change: MarkChange, source: OrganiseSource = 'user'): number {
    if (change.rating !== undefined && (!Number.isInteger(change.rating) || change.rating < 0 || change.rating > 5)) throw new UsageError('a rating is 0 to 5 stars');
    if (change.label != null && !COLOUR_LABELS.includes(change.label)) throw new UsageError(`a colour label is one of ${COLOUR_LABELS.join(', ')}`);
    const now = Date.now();
    const upsert = this.sql(`INSERT INTO photo_marks (photo_id, favourite, rating, rejected, label, source, updated_at)
      SELECT id, ?, ?, ?, ?, ?, ? FROM photos WHERE id = ?
      ON CONFLICT (photo_id) DO UPDATE SET favourite = excluded.favourite, rating = excluded.rating, rejected = excluded.rejected, label = excluded.label, source = excluded.source, updated_at = excluded.updated_at
      WHERE favourite IS NOT excluded.favourite OR rating IS NOT excluded.rating OR rejected IS NOT excluded.rejected OR label IS NOT excluded.label`);
    return this.db.transaction(() => {
      let changed = 0;
      for (const id of photoIds) {
        const next = { ...this.marksOf(id), ...definedOnly(change) };
        changed += upsert.run(next.favourite ? 1 : 0, next.rating, next.rejected ? 1 : 0, next.label, source, now, id).changes;
      }
      return changed;
    }).immediate();
  }

  /** Hides photos from the grid and search (a duplicate not kept), or shows them again. Nothing is deleted. */
  setHidden(photoIds: readonly number[], hidden: boolean): number {
    const now = Date.now();
    const hide = this.sql(`INSERT INTO photo_marks (photo_id, hidden_at, updated_at) SELECT id, ?, ? FROM photos WHERE id = ?
      ON CONFLICT (photo_id) DO UPDATE SET hidden_at = excluded.hidden_at, updated_at = excluded.updated_at WHERE hidden_at IS NULL`);
    const show = this.sql(`UPDATE photo_marks SET hidden_at = NULL, updated_at = ? WHERE photo_id = ? AND hidden_at IS NOT NULL`);
    return this.db.transaction(() => photoIds.reduce((n, id) => n + (hidden ? hide.run(now, now, id) : show.run(now, id)).changes, 0)).immediate();
  }

  /** Photos with stars, a reject, a colour label or keywords (what `iris export-xmp --all --marks` writes), in id order. */
  photosWithMarks(): number[] {
    return this.sql(
      `SELECT photo_id FROM photo_marks WHERE rating > 0 OR rejected = 1 OR label IS NOT NULL UNION SELECT photo_id FROM photo_keywords ORDER BY 1`,
    ).pluck().all() as number[];
  }

  keywordsOf(photoId: number): Keyword[] {
    return this.sql(`SELECT keyword, hierarchy FROM photo_keywords WHERE photo_id = ? ORDER BY keyword COLLATE NOCASE`).all(photoId) as Keyword[];
  }

  /** Adds and removes keywords on every photo; returns how many photos changed. */
  editKeywords(photoIds: readonly number[], add: readonly string[], remove: readonly string[], source: OrganiseSource = 'user'): number {
    const adding = [...new Set(add.map(cleanKeyword))];
    const removing = remove.map((keyword) => keyword.trim()).filter(Boolean);
    const insert = this.sql(`INSERT INTO photo_keywords (photo_id, keyword, hierarchy, source) SELECT id, ?, NULL, ? FROM photos WHERE id = ? ON CONFLICT DO NOTHING`);
    const drop = this.sql(`DELETE FROM photo_keywords WHERE photo_id = ? AND keyword = ?`);
    return this.db.transaction(() => {
      let changed = 0;
      for (const id of photoIds) {
        let touched = 0;
        for (const keyword of removing) touched += drop.run(id, keyword).changes;
        for (const keyword of adding) touched += insert.run(keyword, source, id).changes;
        if (this.keywordCount(id) > MAX_KEYWORDS_PER_PHOTO) throw new UsageError(`a photo holds at most ${MAX_KEYWORDS_PER_PHOTO} keywords`);
        if (touched > 0) {
          indexKeywords(this.db, id);
          changed++;
        }
      }
      return changed;
    }).immediate();
  }

  /** Every keyword with how many visible photos have it, most first: what the keyword filter offers. */
  keywordCounts(): { name: string; count: number }[] {
    return this.sql(
      `SELECT min(k.keyword) AS name, count(DISTINCT k.photo_id) AS count FROM photo_keywords k JOIN photos p ON p.id = k.photo_id AND p.orphaned_at IS NULL
       GROUP BY k.keyword ORDER BY count DESC, name COLLATE NOCASE`,
    ).all() as { name: string; count: number }[];
  }

  /**
   * Takes what another app wrote in the photo's XMP. Called only when the XMP is new or changed
   * since it was last read (`signature`), so it is the newer word and replaces Iris's values for
   * what it holds; a field the XMP leaves out keeps Iris's value. Keywords the XMP lists are added,
   * none is taken away (a sidecar that lost a keyword is more often an older tool than a choice).
   */
  applyXmp(photoId: number, xmp: { rating: number | null; rejected: boolean; label: ColourLabel | null; keywords: readonly Keyword[] }, signature: string): void {
    this.db.transaction(() => {
      const change: MarkChange = {};
      if (xmp.rating !== null) change.rating = xmp.rating;
      if (xmp.rejected || xmp.rating !== null) change.rejected = xmp.rejected;
      if (xmp.label !== null) change.label = xmp.label;
      if (Object.keys(change).length > 0) this.setMarks([photoId], change, 'xmp');
      const insert = this.sql(`INSERT INTO photo_keywords (photo_id, keyword, hierarchy, source) VALUES (?, ?, ?, 'xmp')
        ON CONFLICT (photo_id, keyword) DO UPDATE SET hierarchy = coalesce(excluded.hierarchy, hierarchy)`);
      let count = this.keywordCount(photoId);
      for (const { keyword, hierarchy } of xmp.keywords) {
        if (count >= MAX_KEYWORDS_PER_PHOTO) break;
        // Another app's keyword is kept, cut to length, rather than refused: the photo is not the place to argue.
        const clean = squeeze(keyword).slice(0, MAX_KEYWORD_LENGTH);
        if (clean) count += insert.run(photoId, clean, hierarchy).changes > 0 ? 1 : 0;
      }
      indexKeywords(this.db, photoId);
      this.markXmpRead(photoId, signature);
    }).immediate();
  }

  /** What the photo's XMP looked like when it was last read (null: never read). */
  xmpSignature(photoId: number): string | null {
    return (this.sql(`SELECT signature FROM xmp_reads WHERE photo_id = ?`).pluck().get(photoId) as string | undefined) ?? null;
  }

  /** Whether this sidecar was read at this size and time (an unchanged sidecar is not read again). */
  sidecarKnown(sidecar: string, size: number, mtimeMs: number): boolean {
    return this.sql(`SELECT 1 FROM xmp_sidecars WHERE path = ? AND size = ? AND mtime_ms = ?`).get(sidecar, size, mtimeMs) !== undefined;
  }

  /** Records sidecars as read, each with the size and time it had ([path, size, mtime ms]). */
  noteSidecars(sidecars: readonly (readonly [string, number, number])[]): void {
    const note = this.sql(`INSERT INTO xmp_sidecars (path, size, mtime_ms) VALUES (?, ?, ?) ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime_ms = excluded.mtime_ms`);
    for (const [file, size, mtimeMs] of sidecars) note.run(file, size, mtimeMs);
  }

  forgetSidecar(sidecar: string): void {
    this.sql(`DELETE FROM xmp_sidecars WHERE path = ?`).run(sidecar);
  }

  /** Records that the photo's XMP was read (with nothing new, or inside applyXmp), so it is not read again until it changes. */
  markXmpRead(photoId: number, signature: string): void {
    this.sql(`INSERT INTO xmp_reads (photo_id, signature, read_at) VALUES (?, ?, ?) ON CONFLICT (photo_id) DO UPDATE SET signature = excluded.signature, read_at = excluded.read_at`).run(
      photoId,
      signature,
      Date.now(),
    );
  }

  private keywordCount(photoId: number): number {
    return this.sql(`SELECT count(*) FROM photo_keywords WHERE photo_id = ?`).pluck().get(photoId) as number;
  }

}

/** Writes a photo's keywords (and the words of their hierarchies) as its row of photo_keywords_fts. */
function indexKeywords(db: Db, photoId: number): void {
  db.prepare(`DELETE FROM photo_keywords_fts WHERE rowid = ?`).run(photoId);
  db.prepare(
    `INSERT INTO photo_keywords_fts (rowid, text) SELECT ?, group_concat(keyword || coalesce(' ' || replace(hierarchy, '|', ' '), ''), ' · ')
     FROM photo_keywords WHERE photo_id = ? HAVING count(*) > 0`,
  ).run(photoId, photoId);
}

/**
 * A path's bytes changed (edited in another app): the new photo takes the old one's marks,
 * keywords and albums, where it has none of its own. Runs inside LibraryStore.recordFile's
 * transaction.
 */
export function carryOrganisation(db: Db, from: number, to: number): void {
  db.prepare(
    `INSERT OR IGNORE INTO photo_marks (photo_id, favourite, rating, rejected, label, hidden_at, source, updated_at)
     SELECT ?, favourite, rating, rejected, label, hidden_at, source, updated_at FROM photo_marks WHERE photo_id = ?`,
  ).run(to, from);
  const moved = db.prepare(`INSERT OR IGNORE INTO photo_keywords (photo_id, keyword, hierarchy, source) SELECT ?, keyword, hierarchy, source FROM photo_keywords WHERE photo_id = ?`).run(to, from);
  if (moved.changes > 0) indexKeywords(db, to);
  db.prepare(`INSERT OR IGNORE INTO album_photos (album_id, photo_id, position, added_at) SELECT album_id, ?, position, added_at FROM album_photos WHERE photo_id = ?`).run(to, from);
}
