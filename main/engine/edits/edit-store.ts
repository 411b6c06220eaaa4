import type { Db } from '../db/database.js';
import { StatementCache } from '../db/statements.js';
import { type EditParams, parseEditParams } from './edit-params.js';

export interface Edit {
  id: number;
  sourcePhotoId: number | null;
  params: EditParams;
  outputPath: string;
  outputPhotoId: number | null;
  createdAt: number;
  durationMs: number;
}

interface EditRow {
  id: number;
  sourcePhotoId: number | null;
  params: string;
  outputPath: string;
  outputPhotoId: number | null;
  createdAt: number;
  durationMs: number;
}

const SELECT = `SELECT id, source_photo_id AS sourcePhotoId, params, output_path AS outputPath, output_photo_id AS outputPhotoId, created_at AS createdAt, duration_ms AS durationMs FROM edits`;

/** Finished edits and generations (migration 6): the file, its source photo and every parameter. */
export class EditStore {
  private readonly statements: StatementCache;

  constructor(db: Db) {
    this.statements = new StatementCache(db);
  }

  add(edit: { sourcePhotoId: number | null; params: EditParams; outputPath: string; durationMs: number }): Edit {
    const id = Number(
      this.statements
        .get(`INSERT INTO edits (source_photo_id, mode, params, output_path, created_at, duration_ms) VALUES (?, ?, ?, ?, ?, ?)`)
        .run(edit.sourcePhotoId, edit.params.mode, JSON.stringify(edit.params), edit.outputPath, Date.now(), Math.round(edit.durationMs)).lastInsertRowid,
    );
    return this.get(id)!;
  }

  get(id: number): Edit | undefined {
    const row = this.statements.get(`${SELECT} WHERE id = ?`).get(id) as EditRow | undefined;
    return row && toEdit(row);
  }

  /** A photo's edits, newest first. */
  forPhoto(photoId: number): Edit[] {
    return (this.statements.get(`${SELECT} WHERE source_photo_id = ? ORDER BY created_at DESC, id DESC`).all(photoId) as EditRow[]).map(toEdit);
  }

  /** The edit that made this photo (an edit's output file, once read), if any. */
  madePhoto(photoId: number): Edit | undefined {
    const row = this.statements.get(`${SELECT} WHERE output_photo_id = ? ORDER BY id DESC LIMIT 1`).get(photoId) as EditRow | undefined;
    return row && toEdit(row);
  }

  /** The latest edits, newest first. */
  latest(limit: number): Edit[] {
    return (this.statements.get(`${SELECT} ORDER BY created_at DESC, id DESC LIMIT ?`).all(limit) as EditRow[]).map(toEdit);
  }

  /** Output paths of edits the library has not read (yet): where an interrupted write may be left (edit-output.ts). */
  unreadOutputs(): string[] {
    return this.statements.get(`SELECT output_path FROM edits WHERE output_photo_id IS NULL`).pluck().all() as string[];
  }

  /** The library read the output file: link the edit to that photo. */
  linkOutput(id: number, photoId: number): void {
    this.statements.get(`UPDATE edits SET output_photo_id = ? WHERE id = ?`).run(photoId, id);
  }
}

function toEdit(row: EditRow): Edit {
  return { ...row, params: parseEditParams(JSON.parse(row.params)) };
}
