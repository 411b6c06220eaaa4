import type { Db } from '../db/database.js';
import { StatementCache } from '../db/statements.js';
import { type FullTextMatch, fullTextSearch } from '../search/full-text.js';

export interface PhotoText {
  photoId: number;
  /** What the model read ("" when the photo has no text). */
  text: string;
  model: string;
  updatedAt: number;
}

/** Text read in photos (table photo_text, full-text index photo_text_fts; migration 9). */
export class PhotoTextStore {
  private readonly statements: StatementCache;

  constructor(db: Db) {
    this.statements = new StatementCache(db);
  }

  get(photoId: number): PhotoText | undefined {
    return this.statements.get(`SELECT photo_id AS photoId, text, model, updated_at AS updatedAt FROM photo_text WHERE photo_id = ?`).get(photoId) as PhotoText | undefined;
  }

  /** Stores what `model` read in the photo (trimmed; "" when there is none), replacing an earlier reading. */
  put(photoId: number, text: string, model: string): void {
    this.statements
      .get(`INSERT INTO photo_text (photo_id, text, model, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (photo_id) DO UPDATE SET text = excluded.text, model = excluded.model, updated_at = excluded.updated_at`)
      .run(photoId, text.trim(), model, Date.now());
  }

  /** The text read in each of these photos, in one query (a search's "why" for up to 200 matches). */
  textsOf(photoIds: readonly number[]): Map<number, string> {
    if (photoIds.length === 0) return new Map();
    const rows = this.statements.get(`SELECT photo_id, text FROM photo_text WHERE photo_id IN (SELECT value FROM json_each(?))`).raw().all(JSON.stringify(photoIds)) as [number, string][];
    return new Map(rows);
  }

  /** Photos in which some text was read (not those read and found to hold none). */
  photoIdsWithText(): number[] {
    return (this.statements.get(`SELECT photo_id FROM photo_text WHERE text != '' ORDER BY photo_id`).raw().all() as [number][]).map(([id]) => id);
  }

  /** Photos whose text has been read, as a query selecting photo_id (a batch skips them). */
  readIdsQuery(): string {
    return `SELECT photo_id FROM photo_text`;
  }

  /** Photos whose text has the words, best first (search/full-text.ts). */
  search(query: string, limit: number, within?: { sql: string; params: readonly unknown[] }): FullTextMatch[] {
    return fullTextSearch(this.statements, { text: 'photo_text', fts: 'photo_text_fts' }, query, limit, within);
  }
}
