import type { Db } from '../db/database.js';
import { StatementCache } from '../db/statements.js';
import { NotFoundError, UsageError } from '../errors.js';

/**
 * Albums a person makes by hand (migration 14). Iris data only: adding a photo to an album never
 * copies, moves or changes its file. Photos keep a position (REAL, so a photo moved between two
 * others takes the midpoint and no other row is rewritten); an album sorted by date ignores it.
 */

export type AlbumSort = 'date' | 'manual';

export interface Album {
  id: number;
  name: string;
  sort: AlbumSort;
  /** The photo that shows the album: the chosen one, else its first photo; null when empty. */
  coverPhotoId: number | null;
  count: number;
  createdAt: number;
  updatedAt: number;
}

const MAX_NAME = 200;

function cleanName(name: string): string {
  const clean = name.replace(/\s+/g, ' ').trim();
  if (!clean) throw new UsageError('an album needs a name');
  if (clean.length > MAX_NAME) throw new UsageError(`an album name is at most ${MAX_NAME} characters`);
  return clean;
}

/** Visible members of an album, in the album's order (`album`: the SQL naming the album's id). */
const ORDERED = (sort: AlbumSort, album = '?') =>
  `SELECT ap.photo_id FROM album_photos ap JOIN photos p ON p.id = ap.photo_id AND p.orphaned_at IS NULL WHERE ap.album_id = ${album}
   ORDER BY ${sort === 'manual' ? 'ap.position, ap.added_at' : 'p.taken_at IS NULL, p.taken_at DESC, p.id DESC'}`;

/** Albums with their counts and covers (the chosen photo, else the first in the album's order), in one query. */
const ALBUMS = `SELECT a.id, a.name, a.sort, a.created_at AS createdAt, a.updated_at AS updatedAt,
    (SELECT count(*) FROM album_photos ap JOIN photos p ON p.id = ap.photo_id AND p.orphaned_at IS NULL WHERE ap.album_id = a.id) AS count,
    coalesce(a.cover_photo_id, CASE a.sort WHEN 'manual' THEN (${ORDERED('manual', 'a.id')} LIMIT 1) ELSE (${ORDERED('date', 'a.id')} LIMIT 1) END) AS coverPhotoId
  FROM albums a`;

export class AlbumStore {
  private readonly statements: StatementCache;

  constructor(private readonly db: Db) {
    this.statements = new StatementCache(db);
  }

  private sql(text: string) {
    return this.statements.get(text);
  }

  list(): Album[] {
    return this.sql(`${ALBUMS} ORDER BY a.name COLLATE NOCASE, a.id`).all() as Album[];
  }

  get(id: number): Album {
    const album = this.sql(`${ALBUMS} WHERE a.id = ?`).get(id) as Album | undefined;
    if (!album) throw new NotFoundError(`no album ${id}`);
    return album;
  }

  create(name: string, photoIds: readonly number[] = []): number {
    const now = Date.now();
    return this.db.transaction(() => {
      const id = Number(this.sql(`INSERT INTO albums (name, created_at, updated_at) VALUES (?, ?, ?)`).run(cleanName(name), now, now).lastInsertRowid);
      this.add(id, photoIds);
      return id;
    }).immediate();
  }

  update(id: number, change: { name?: string; sort?: AlbumSort; coverPhotoId?: number | null }): void {
    this.require(id);
    const now = Date.now();
    if (change.name !== undefined) this.sql(`UPDATE albums SET name = ?, updated_at = ? WHERE id = ?`).run(cleanName(change.name), now, id);
    if (change.sort !== undefined) this.sql(`UPDATE albums SET sort = ?, updated_at = ? WHERE id = ?`).run(change.sort, now, id);
    if (change.coverPhotoId !== undefined) {
      if (change.coverPhotoId !== null && !this.sql(`SELECT 1 FROM album_photos WHERE album_id = ? AND photo_id = ?`).get(id, change.coverPhotoId)) {
        throw new UsageError(`photo ${change.coverPhotoId} is not in this album`);
      }
      this.sql(`UPDATE albums SET cover_photo_id = ?, updated_at = ? WHERE id = ?`).run(change.coverPhotoId, now, id);
    }
  }

  /** Deletes the album; its photos stay in the library. */
  delete(id: number): void {
    this.require(id);
    this.sql(`DELETE FROM albums WHERE id = ?`).run(id);
  }

  /** Adds photos at the end (those already in it stay where they are); returns how many were added. */
  add(id: number, photoIds: readonly number[]): number {
    this.require(id);
    const now = Date.now();
    return this.db.transaction(() => {
      let position = (this.sql(`SELECT coalesce(max(position), 0) FROM album_photos WHERE album_id = ?`).pluck().get(id) as number) + 1;
      let added = 0;
      const insert = this.sql(`INSERT OR IGNORE INTO album_photos (album_id, photo_id, position, added_at) SELECT ?, id, ?, ? FROM photos WHERE id = ?`);
      for (const photoId of photoIds) {
        const changes = insert.run(id, position, now, photoId).changes;
        added += changes;
        position += changes;
      }
      if (added > 0) this.touch(id);
      return added;
    }).immediate();
  }

  remove(id: number, photoIds: readonly number[]): number {
    this.require(id);
    const drop = this.sql(`DELETE FROM album_photos WHERE album_id = ? AND photo_id = ?`);
    const removed = this.db.transaction(() => photoIds.reduce((n, photoId) => n + drop.run(id, photoId).changes, 0)).immediate();
    if (removed > 0) {
      this.sql(`UPDATE albums SET cover_photo_id = NULL WHERE id = ? AND cover_photo_id NOT IN (SELECT photo_id FROM album_photos WHERE album_id = ?)`).run(id, id);
      this.touch(id);
    }
    return removed;
  }

  /**
   * Moves `photoIds` (in that order) to stand just before `beforeId` (null: at the end), and sorts
   * the album by hand from now on.
   */
  move(id: number, photoIds: readonly number[], beforeId: number | null): void {
    this.require(id);
    this.db.transaction(() => {
      const order = this.photos(id, 'manual').filter((photoId) => !photoIds.includes(photoId));
      const at = beforeId === null ? order.length : order.indexOf(beforeId);
      if (at < 0) throw new UsageError(`photo ${beforeId} is not in this album, or is one of those moved`);
      const moving = photoIds.filter((photoId) => this.sql(`SELECT 1 FROM album_photos WHERE album_id = ? AND photo_id = ?`).get(id, photoId));
      order.splice(at, 0, ...moving);
      // Whole positions again: simple, and an album is at most a few thousand rows.
      const set = this.sql(`UPDATE album_photos SET position = ? WHERE album_id = ? AND photo_id = ?`);
      order.forEach((photoId, i) => set.run(i + 1, id, photoId));
      this.sql(`UPDATE albums SET sort = 'manual' WHERE id = ?`).run(id);
      this.touch(id);
    }).immediate();
  }

  /** The album's visible photos in its order. */
  photos(id: number, sort?: AlbumSort): number[] {
    const albumSort = sort ?? (this.sql(`SELECT sort FROM albums WHERE id = ?`).pluck().get(id) as AlbumSort | undefined);
    if (!albumSort) throw new NotFoundError(`no album ${id}`);
    return this.sql(ORDERED(albumSort)).pluck().all(id) as number[];
  }

  /** The albums a photo is in, by name. */
  albumsOf(photoId: number): { id: number; name: string }[] {
    return this.sql(`SELECT a.id, a.name FROM albums a JOIN album_photos ap ON ap.album_id = a.id WHERE ap.photo_id = ? ORDER BY a.name COLLATE NOCASE`).all(photoId) as {
      id: number;
      name: string;
    }[];
  }

  private require(id: number): void {
    if (!this.sql(`SELECT 1 FROM albums WHERE id = ?`).get(id)) throw new NotFoundError(`no album ${id}`);
  }

  private touch(id: number): void {
    this.sql(`UPDATE albums SET updated_at = ? WHERE id = ?`).run(Date.now(), id);
  }
}
