import path from 'node:path';
import type { Db } from './db/database.js';
import { placeOf } from './library/places.js';
import { carryOrganisation } from './organise/organise-store.js';
import { StatementCache } from './db/statements.js';
import { NotFoundError } from './errors.js';
import { JobQueue } from './jobs/queue.js';
import { isWithin } from './paths.js';

export interface Folder {
  id: number;
  path: string;
  addedAt: number;
  scannedAt: number | null;
  lastError: string | null;
}

export type PhotoStatus = 'pending' | 'ok' | 'failed';

export interface PhotoRecord {
  id: number;
  hash: string;
  /** The first place the bytes are found; `paths` lists every place. */
  path: string;
  paths: string[];
  size: number;
  width: number | null;
  height: number | null;
  format: string | null;
  takenAt: string | null;
  takenAtSource: 'exif' | 'mtime' | null;
  camera: string | null;
  lens: string | null;
  gps: { lat: number; lon: number; alt: number | null } | null;
  /** Where the GPS position is, named offline (library/places.ts); null without one. */
  place: string | null;
  orientation: number | null;
  status: PhotoStatus;
  error: string | null;
}

export interface KnownFile {
  photoId: number;
  size: number;
  mtimeMs: number;
}

/** What recording a file found, so callers can report it (and pair moves). */
export type FileOutcome =
  | { kind: 'unchanged'; photoId: number }
  | { kind: 'added'; photoId: number; newPhoto: boolean; revived: boolean }
  | { kind: 'changed'; photoId: number; newPhoto: boolean; previousPhotoId: number };

export interface FileFacts {
  path: string;
  folderId: number;
  size: number;
  mtimeMs: number;
  hash: string;
}

/** Photos whose last location vanished are kept hidden this long, so a move keeps its id. */
const ORPHAN_GRACE_MS = 30 * 24 * 3600 * 1000;

type PhotoRow = {
  id: number; hash: string; size: number; status: PhotoStatus; error: string | null; format: string | null;
  width: number | null; height: number | null; orientation: number | null; taken_at: string | null;
  taken_at_source: 'exif' | 'mtime' | null; camera_make: string | null; camera_model: string | null; lens: string | null;
  gps_lat: number | null; gps_lon: number | null; gps_alt: number | null; place: string | null; paths: string;
};

function toRecord(row: PhotoRow): PhotoRecord {
  // GROUP_CONCAT with a separator no path can contain (NUL is not allowed in file names).
  const paths = row.paths.split('\0').sort();
  const camera = [row.camera_make, row.camera_model].filter(Boolean).join(' ');
  return {
    id: row.id,
    hash: row.hash,
    path: paths[0]!,
    paths,
    size: row.size,
    width: row.width,
    height: row.height,
    format: row.format,
    takenAt: row.taken_at,
    takenAtSource: row.taken_at_source,
    // Cameras often repeat the make in the model ("Canon" + "Canon EOS 5D"): say it once.
    camera: row.camera_model && row.camera_make && row.camera_model.startsWith(row.camera_make) ? row.camera_model : camera || null,
    lens: row.lens,
    gps: row.gps_lat !== null && row.gps_lon !== null ? { lat: row.gps_lat, lon: row.gps_lon, alt: row.gps_alt } : null,
    place: row.place,
    orientation: row.orientation,
    status: row.status,
    error: row.error,
  };
}

/**
 * Folders, photos and locations: the library's data, and the one place that keeps the identity
 * rules (a photo is its hash; paths come and go).
 */
export class LibraryStore {
  readonly jobs: JobQueue;
  private readonly statements: StatementCache;

  constructor(private readonly db: Db) {
    this.statements = new StatementCache(db);
    this.jobs = new JobQueue(db, this.statements);
  }

  private sql(text: string) {
    return this.statements.get(text);
  }

  // ---- folders ----

  listFolders(): Folder[] {
    return this.sql(`SELECT id, path, added_at AS addedAt, scanned_at AS scannedAt, last_error AS lastError FROM folders ORDER BY path`).all() as Folder[];
  }

  /** The folder with this id; NotFoundError (the contract's not-found) when there is none. */
  requireFolder(folderId: number): Folder {
    const folder = this.sql(`SELECT id, path, added_at AS addedAt, scanned_at AS scannedAt, last_error AS lastError FROM folders WHERE id = ?`).get(folderId) as Folder | undefined;
    if (!folder) throw new NotFoundError(`no folder with id ${folderId}`);
    return folder;
  }

  /** The registered folder that holds `file`, if any. */
  folderFor(file: string): Folder | undefined {
    return this.listFolders().find((folder) => isWithin(folder.path, file));
  }

  /**
   * Registers a folder. A folder inside one already registered is covered by it; a folder that
   * contains registered ones takes them (and their photos) over, so no file belongs to two folders.
   */
  addFolder(folderPath: string): { folder: Folder; created: boolean } {
    const absolute = path.resolve(folderPath);
    return this.db.transaction(() => {
      const existing = this.listFolders();
      const covering = existing.find((folder) => isWithin(folder.path, absolute));
      if (covering) return { folder: covering, created: false };
      const now = Date.now();
      const id = Number(this.sql(`INSERT INTO folders (path, added_at) VALUES (?, ?)`).run(absolute, now).lastInsertRowid);
      for (const inner of existing.filter((folder) => isWithin(absolute, folder.path))) {
        this.sql(`UPDATE locations SET folder_id = ? WHERE folder_id = ?`).run(id, inner.id);
        this.sql(`DELETE FROM folders WHERE id = ?`).run(inner.id);
      }
      return { folder: { id, path: absolute, addedAt: now, scannedAt: null, lastError: null }, created: true };
    }).immediate();
  }

  /**
   * Forgets a folder and every photo found only there. Files on disk are never touched. Returns the
   * hashes of the photos that left the library, so their thumbnails can be dropped.
   */
  removeFolder(folderPath: string): { removed: boolean; photos: number; hashes: string[] } {
    const absolute = path.resolve(folderPath);
    return this.db.transaction(() => {
      const folder = this.sql(`SELECT id FROM folders WHERE path = ?`).get(absolute) as { id: number } | undefined;
      if (!folder) return { removed: false, photos: 0, hashes: [] };
      const affected = this.sql(`SELECT DISTINCT photo_id AS id FROM locations WHERE folder_id = ?`).all(folder.id) as { id: number }[];
      this.sql(`DELETE FROM locations WHERE folder_id = ?`).run(folder.id);
      this.sql(`DELETE FROM folders WHERE id = ?`).run(folder.id);
      const hashes: string[] = [];
      const lonely = this.sql(`SELECT hash FROM photos WHERE id = ? AND NOT EXISTS (SELECT 1 FROM locations WHERE photo_id = photos.id)`);
      const drop = this.sql(`DELETE FROM photos WHERE id = ?`);
      for (const { id } of affected) {
        const row = lonely.get(id) as { hash: string } | undefined;
        if (row) {
          hashes.push(row.hash);
          drop.run(id);
        }
      }
      return { removed: true, photos: hashes.length, hashes };
    }).immediate();
  }

  markScanned(folderId: number, error: string | null): void {
    this.sql(`UPDATE folders SET scanned_at = ?, last_error = ? WHERE id = ?`).run(Date.now(), error, folderId);
  }

  // ---- locations ----

  /** Every file known under a folder, by path, for the size+mtime comparison of a rescan. */
  knownFiles(folderId: number): Map<string, KnownFile> {
    const rows = this.sql(`SELECT path, photo_id AS photoId, size, mtime_ms AS mtimeMs FROM locations WHERE folder_id = ?`).raw().all(folderId) as [string, number, number, number][];
    return new Map(rows.map(([file, photoId, size, mtimeMs]) => [file, { photoId, size, mtimeMs }]));
  }

  knownFile(file: string): (KnownFile & { hash: string }) | undefined {
    return this.sql(`SELECT l.photo_id AS photoId, l.size, l.mtime_ms AS mtimeMs, p.hash FROM locations l JOIN photos p ON p.id = l.photo_id WHERE l.path = ?`)
      .get(file) as (KnownFile & { hash: string }) | undefined;
  }

  /**
   * Records that `facts.path` holds bytes with `facts.hash`. Creates the photo (and its thumbnail
   * job) when the bytes are new; a photo hidden after its last location vanished comes back with
   * its id; a path whose bytes changed now points at the photo of its new bytes.
   */
  recordFile(facts: FileFacts): FileOutcome {
    return this.db.transaction((): FileOutcome => {
      const now = Date.now();
      const current = this.sql(`SELECT l.id, l.photo_id AS photoId, p.hash FROM locations l JOIN photos p ON p.id = l.photo_id WHERE l.path = ?`).get(facts.path) as
        | { id: number; photoId: number; hash: string }
        | undefined;
      if (current && current.hash === facts.hash) {
        this.sql(`UPDATE locations SET size = ?, mtime_ms = ?, folder_id = ? WHERE id = ?`).run(facts.size, facts.mtimeMs, facts.folderId, current.id);
        return { kind: 'unchanged', photoId: current.photoId };
      }
      const existing = this.sql(`SELECT id, orphaned_at AS orphanedAt FROM photos WHERE hash = ?`).get(facts.hash) as { id: number; orphanedAt: number | null } | undefined;
      let photoId: number;
      if (existing) {
        photoId = existing.id;
        if (existing.orphanedAt !== null) this.sql(`UPDATE photos SET orphaned_at = NULL WHERE id = ?`).run(photoId);
      } else {
        photoId = Number(this.sql(`INSERT INTO photos (hash, size, added_at) VALUES (?, ?, ?)`).run(facts.hash, facts.size, now).lastInsertRowid);
        this.jobs.enqueue('thumbnail', photoId);
      }
      if (current) {
        this.sql(`UPDATE locations SET photo_id = ?, size = ?, mtime_ms = ?, folder_id = ? WHERE id = ?`).run(photoId, facts.size, facts.mtimeMs, facts.folderId, current.id);
        this.orphanIfLonely(current.photoId, now);
        // Edited in another app: the new bytes keep the stars, keywords and albums the old ones had.
        carryOrganisation(this.db, current.photoId, photoId);
        return { kind: 'changed', photoId, newPhoto: !existing, previousPhotoId: current.photoId };
      }
      this.sql(`INSERT INTO locations (photo_id, folder_id, path, size, mtime_ms, added_at) VALUES (?, ?, ?, ?, ?, ?)`)
        .run(photoId, facts.folderId, facts.path, facts.size, facts.mtimeMs, now);
      return { kind: 'added', photoId, newPhoto: !existing, revived: existing?.orphanedAt != null };
    }).immediate();
  }

  /** Forgets one path. The photo stays (hidden) while no other location holds it, for move pairing. */
  removeFile(file: string): { photoId: number; orphaned: boolean } | undefined {
    return this.db.transaction(() => {
      const row = this.sql(`SELECT id, photo_id AS photoId FROM locations WHERE path = ?`).get(file) as { id: number; photoId: number } | undefined;
      if (!row) return undefined;
      this.sql(`DELETE FROM locations WHERE id = ?`).run(row.id);
      return { photoId: row.photoId, orphaned: this.orphanIfLonely(row.photoId, Date.now()) };
    }).immediate();
  }

  /** Every known path at or below `dir` (for a folder deleted as a whole). */
  filesUnder(dir: string): string[] {
    const prefix = dir.endsWith(path.sep) ? dir : dir + path.sep;
    const rows = this.sql(`SELECT path FROM locations WHERE substr(path, 1, ?) = ?`).pluck().all(prefix.length, prefix) as string[];
    return rows;
  }

  private orphanIfLonely(photoId: number, now: number): boolean {
    const result = this.sql(`UPDATE photos SET orphaned_at = ? WHERE id = ? AND orphaned_at IS NULL AND NOT EXISTS (SELECT 1 FROM locations WHERE photo_id = ?)`)
      .run(now, photoId, photoId);
    return result.changes > 0;
  }

  /** Deletes photos hidden for longer than the grace period; returns their hashes. */
  purgeOrphans(olderThanMs = ORPHAN_GRACE_MS, now = Date.now()): string[] {
    return this.db.transaction(() => {
      const hashes = this.sql(`SELECT hash FROM photos WHERE orphaned_at IS NOT NULL AND orphaned_at <= ?`).pluck().all(now - olderThanMs) as string[];
      this.sql(`DELETE FROM photos WHERE orphaned_at IS NOT NULL AND orphaned_at <= ?`).run(now - olderThanMs);
      return hashes;
    }).immediate();
  }

  // ---- photos ----

  private photoQuery(where: string): string {
    return `SELECT p.*, group_concat(l.path, char(0)) AS paths FROM photos p JOIN locations l ON l.photo_id = p.id ${where} GROUP BY p.id ORDER BY min(l.path)`;
  }

  /** Every photo in the library (hidden orphans excluded), ordered by path. */
  listPhotos(options: { folderId?: number } = {}): PhotoRecord[] {
    const rows = options.folderId === undefined
      ? this.sql(this.photoQuery('')).all()
      : this.sql(this.photoQuery('WHERE p.id IN (SELECT photo_id FROM locations WHERE folder_id = ?)')).all(options.folderId);
    return (rows as PhotoRow[]).map(toRecord);
  }

  getPhoto(id: number): PhotoRecord | undefined {
    const row = this.sql(this.photoQuery('WHERE p.id = ?')).get(id) as PhotoRow | undefined;
    return row ? toRecord(row) : undefined;
  }

  /** The photo with this id; NotFoundError (the contract's not-found) when there is none. */
  requirePhoto(id: number): PhotoRecord {
    const photo = this.getPhoto(id);
    if (!photo) throw new NotFoundError(`no photo with id ${id}`);
    return photo;
  }

  /** Paths where a photo's bytes are, oldest location first, with each one's mtime. */
  locationsOf(photoId: number): { path: string; mtimeMs: number }[] {
    return this.sql(`SELECT path, mtime_ms AS mtimeMs FROM locations WHERE photo_id = ? ORDER BY id`).all(photoId) as { path: string; mtimeMs: number }[];
  }

  /** Visible, readable photos with a GPS position, for the map of photos. */
  placedPhotos(): { id: number; lat: number; lon: number; place: string | null }[] {
    return this.sql(
      `SELECT id, gps_lat AS lat, gps_lon AS lon, place FROM photos WHERE gps_lat IS NOT NULL AND gps_lon IS NOT NULL AND status = 'ok' AND orphaned_at IS NULL ORDER BY taken_at DESC, id`,
    ).all() as { id: number; lat: number; lon: number; place: string | null }[];
  }

  hashOf(photoId: number): string | undefined {
    return this.sql(`SELECT hash FROM photos WHERE id = ?`).pluck().get(photoId) as string | undefined;
  }

  saveMetadata(photoId: number, m: {
    format: string; width: number; height: number; orientation: number | null; takenAt: string | null; takenAtSource: 'exif' | 'mtime' | null;
    cameraMake: string | null; cameraModel: string | null; lens: string | null; gps: { lat: number; lon: number; alt: number | null } | null;
  }): void {
    // The place is named offline from the GPS position (library/places.ts), for the search box.
    const place = m.gps ? (placeOf(m.gps.lat, m.gps.lon)?.label ?? null) : null;
    this.sql(
        `UPDATE photos SET format = ?, width = ?, height = ?, orientation = ?, taken_at = ?, taken_at_source = ?,
           camera_make = ?, camera_model = ?, lens = ?, gps_lat = ?, gps_lon = ?, gps_alt = ?, place = ? WHERE id = ?`,
      )
      .run(m.format, m.width, m.height, m.orientation, m.takenAt, m.takenAtSource, m.cameraMake, m.cameraModel, m.lens, m.gps?.lat ?? null, m.gps?.lon ?? null, m.gps?.alt ?? null, place, photoId);
  }

  setStatus(photoId: number, status: PhotoStatus, error: string | null = null): void {
    this.sql(`UPDATE photos SET status = ?, error = ? WHERE id = ?`).run(status, error, photoId);
  }

  /** Failed photos with a location under one of the given folders (all folders when omitted). */
  failedPhotos(folderIds?: readonly number[]): { path: string; error: string }[] {
    const filter = folderIds ? `AND l.folder_id IN (${folderIds.map(() => '?').join(',')})` : '';
    return this.sql(`SELECT l.path, p.error FROM photos p JOIN locations l ON l.photo_id = p.id WHERE p.status = 'failed' ${filter} ORDER BY l.path`)
      .all(...(folderIds ?? [])) as { path: string; error: string }[];
  }

  // ---- settings (small per-library choices: the execution device, the CLIP model) ----

  getSetting(key: string): string | undefined {
    return (this.sql(`SELECT value FROM settings WHERE key = ?`).get(key) as { value: string } | undefined)?.value;
  }

  setSetting(key: string, value: string | null): void {
    if (value === null) this.sql(`DELETE FROM settings WHERE key = ?`).run(key);
    else this.sql(`INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`).run(key, value);
  }

  recordProblem(scope: string, file: string | null, message: string): void {
    this.sql(`INSERT INTO problems (at, scope, path, message) VALUES (?, ?, ?, ?)`).run(Date.now(), scope, file, message);
  }

  counts(): { folders: number; photos: number; ok: number; failed: number; pending: number; hidden: number; locations: number } {
    const row = this.sql(
        `SELECT (SELECT count(*) FROM folders) AS folders,
                (SELECT count(*) FROM photos WHERE orphaned_at IS NULL) AS photos,
                (SELECT count(*) FROM photos WHERE orphaned_at IS NULL AND status = 'ok') AS ok,
                (SELECT count(*) FROM photos WHERE orphaned_at IS NULL AND status = 'failed') AS failed,
                (SELECT count(*) FROM photos WHERE orphaned_at IS NULL AND status = 'pending') AS pending,
                (SELECT count(*) FROM photos WHERE orphaned_at IS NOT NULL) AS hidden,
                (SELECT count(*) FROM locations) AS locations`,
      )
      .get() as ReturnType<LibraryStore['counts']>;
    return row;
  }
}
