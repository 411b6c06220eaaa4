import type { Db } from '../db/database.js';
import { StatementCache } from '../db/statements.js';
import type { CaptionDetail } from '../generation/captioner.js';
import { type FullTextMatch, fullTextSearch } from '../search/full-text.js';

export interface Caption {
  photoId: number;
  text: string;
  /** The model that wrote it; for a person's caption, the model of the caption it replaced (or "person"). */
  model: string;
  detail: CaptionDetail;
  /** A person wrote or changed it: batches never overwrite it. */
  edited: boolean;
  createdAt: number;
  updatedAt: number;
}

export type CaptionMatch = FullTextMatch;

interface CaptionRow {
  photoId: number;
  text: string;
  model: string;
  detail: CaptionDetail;
  edited: number;
  createdAt: number;
  updatedAt: number;
}

const SELECT = `SELECT photo_id AS photoId, text, model, detail, edited, created_at AS createdAt, updated_at AS updatedAt FROM captions`;

/** Captions in the library database (table captions, full-text index captions_fts). */
export class CaptionStore {
  private readonly statements: StatementCache;

  constructor(private readonly db: Db) {
    this.statements = new StatementCache(db);
  }

  get(photoId: number): Caption | undefined {
    const row = this.statements.get(`${SELECT} WHERE photo_id = ?`).get(photoId) as CaptionRow | undefined;
    return row && toCaption(row);
  }

  /**
   * Stores a generated caption unless a person's caption is there (edited ones are never
   * overwritten). Returns whether it was stored.
   */
  putGenerated(photoId: number, text: string, model: string, detail: CaptionDetail): boolean {
    const now = Date.now();
    const result = this.statements
      .get(
        `INSERT INTO captions (photo_id, text, model, detail, edited, created_at, updated_at) VALUES (?, ?, ?, ?, 0, ?, ?)
         ON CONFLICT (photo_id) DO UPDATE SET text = excluded.text, model = excluded.model, detail = excluded.detail, updated_at = excluded.updated_at
         WHERE captions.edited = 0`,
      )
      .run(photoId, text, model, detail, now, now);
    return result.changes > 0;
  }

  /** A person's caption (marks it edited); an empty text removes the caption. */
  putEdited(photoId: number, text: string): Caption | undefined {
    const trimmed = text.trim();
    if (trimmed === '') {
      this.statements.get(`DELETE FROM captions WHERE photo_id = ?`).run(photoId);
      return undefined;
    }
    const now = Date.now();
    this.statements
      .get(
        `INSERT INTO captions (photo_id, text, model, detail, edited, created_at, updated_at) VALUES (?, ?, 'person', 'brief', 1, ?, ?)
         ON CONFLICT (photo_id) DO UPDATE SET text = excluded.text, edited = 1, updated_at = excluded.updated_at`,
      )
      .run(photoId, trimmed, now, now);
    return this.get(photoId);
  }

  /** Photos with a caption, and how many of those a person wrote. */
  counts(): { captioned: number; edited: number } {
    return this.statements.get(`SELECT count(*) AS captioned, coalesce(sum(edited), 0) AS edited FROM captions`).get() as { captioned: number; edited: number };
  }

  /** Photos with a caption by a person (batches skip them). */
  editedIdsQuery(): string {
    return `SELECT photo_id FROM captions WHERE edited = 1`;
  }

  /** Photos with a caption, as a query selecting photo_id (a batch without `redo` skips them). */
  captionedIdsQuery(): string {
    return `SELECT photo_id FROM captions`;
  }

  /** The photos that have a caption, in id order. */
  photoIds(): number[] {
    return this.statements.get(`SELECT photo_id FROM captions ORDER BY photo_id`).pluck().all() as number[];
  }

  /** Captions matching `query`, best first (search/full-text.ts). `within` keeps only those photos. */
  search(query: string, limit: number, within?: { sql: string; params: readonly unknown[] }): CaptionMatch[] {
    return fullTextSearch(this.statements, { text: 'captions', fts: 'captions_fts' }, query, limit, within);
  }
}

function toCaption(row: CaptionRow): Caption {
  return { ...row, edited: row.edited === 1 };
}
