import type { Db } from '../db/database.js';
import { StatementCache } from '../db/statements.js';
import { NotFoundError, UsageError } from '../errors.js';
import type { FoundFace } from './face-model.js';

/**
 * Faces and people in the library database (migration 13): what a face model found in each photo,
 * the people faces were grouped into, and what the person chose (names, merges, faces moved or
 * taken out). One owner for these tables; clustering (people-clustering.ts) only reads faces and
 * writes person_id on faces it may touch (assigned_by 'auto').
 */

export interface StoredFace {
  id: number;
  photoId: number;
  model: string;
  box: { x: number; y: number; w: number; h: number };
  score: number;
  personId: number | null;
  assignedBy: 'auto' | 'user';
}

export interface PersonSummary {
  id: number;
  name: string | null;
  hidden: boolean;
  faces: number;
  /** Visible photos with one of its faces, newest first, each with a path. */
  photos: { id: number; path: string }[];
  coverFaceId: number | null;
}

/** A face's embedding as stored: little-endian float32. */
function toBlob(vector: Float32Array): Buffer {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
}

function fromBlob(blob: Buffer): Float32Array {
  // Copied: the Buffer's memory may not be aligned for a Float32Array view.
  const copy = new Uint8Array(blob.byteLength);
  copy.set(blob);
  return new Float32Array(copy.buffer);
}

/** Faces that count: found in a visible photo, not marked "not a face". */
const LIVE = `f.not_face = 0 AND EXISTS (SELECT 1 FROM photos p WHERE p.id = f.photo_id AND p.orphaned_at IS NULL)`;

export class FaceStore {
  private readonly statements: StatementCache;

  constructor(private readonly db: Db) {
    this.statements = new StatementCache(db);
  }

  private sql(text: string) {
    return this.statements.get(text);
  }

  /** Photos `model` has not looked at yet (readable, visible), as a query selecting photo_id. */
  unscannedQuery(model: string): { sql: string; params: unknown[] } {
    return { sql: `SELECT id AS photo_id FROM photos WHERE status = 'ok' AND orphaned_at IS NULL AND id NOT IN (SELECT photo_id FROM face_scans WHERE model = ?)`, params: [model] };
  }

  /** What `model` found in a photo: its earlier findings by that model are replaced (faces drawn by hand stay). */
  putScan(photoId: number, model: string, faces: readonly FoundFace[]): number[] {
    return this.db.transaction(() => {
      this.sql(`DELETE FROM faces WHERE photo_id = ? AND model = ?`).run(photoId, model);
      const now = Date.now();
      const insert = this.sql(`INSERT INTO faces (photo_id, model, x, y, w, h, keypoints, score, embedding, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
      const ids = faces.map((face) => Number(insert.run(photoId, model, face.box.x, face.box.y, face.box.w, face.box.h, JSON.stringify(face.keypoints), face.score, toBlob(face.embedding), now).lastInsertRowid));
      this.sql(`INSERT INTO face_scans (photo_id, model, faces, scanned_at) VALUES (?, ?, ?, ?) ON CONFLICT (photo_id, model) DO UPDATE SET faces = excluded.faces, scanned_at = excluded.scanned_at`).run(photoId, model, faces.length, now);
      return ids;
    })();
  }

  /** Faces clustering may place: `model`'s, with no person, never touched by the person. */
  unplaced(model: string): { id: number; embedding: Float32Array }[] {
    const rows = this.sql(`SELECT f.id, f.embedding FROM faces f WHERE f.model = ? AND f.person_id IS NULL AND f.assigned_by = 'auto' AND f.embedding IS NOT NULL AND ${LIVE} ORDER BY f.id`).all(model) as { id: number; embedding: Buffer }[];
    return rows.map((row) => ({ id: row.id, embedding: fromBlob(row.embedding) }));
  }

  /** Every person's faces by `model` with their embeddings (for the people's centroids). */
  peopleFaces(model: string): Map<number, Float32Array[]> {
    const rows = this.sql(`SELECT f.person_id AS personId, f.embedding FROM faces f WHERE f.model = ? AND f.person_id IS NOT NULL AND f.embedding IS NOT NULL AND ${LIVE}`).all(model) as { personId: number; embedding: Buffer }[];
    const people = new Map<number, Float32Array[]>();
    for (const row of rows) {
      const list = people.get(row.personId);
      if (list) list.push(fromBlob(row.embedding));
      else people.set(row.personId, [fromBlob(row.embedding)]);
    }
    return people;
  }

  /** Clustering's decisions, in one transaction: faces joining people, and new people from groups of faces. */
  applyClustering(joins: readonly { faceId: number; personId: number }[], groups: readonly (readonly number[])[]): number[] {
    return this.db.transaction(() => {
      const assign = this.sql(`UPDATE faces SET person_id = ? WHERE id = ? AND assigned_by = 'auto' AND person_id IS NULL`);
      for (const { faceId, personId } of joins) assign.run(personId, faceId);
      const created: number[] = [];
      for (const group of groups) {
        const personId = this.newPerson(null);
        for (const faceId of group) assign.run(personId, faceId);
        created.push(personId);
      }
      return created;
    })();
  }

  private newPerson(name: string | null): number {
    const now = Date.now();
    return Number(this.sql(`INSERT INTO people (name, created_at, updated_at) VALUES (?, ?, ?)`).run(name, now, now).lastInsertRowid);
  }

  /** A person's faces with their photos' paths (what `iris people show` lists and split takes). */
  facesOfPerson(personId: number): { id: number; photoId: number; path: string | null; score: number }[] {
    return this.sql(
      `SELECT f.id, f.photo_id AS photoId, (SELECT min(path) FROM locations WHERE photo_id = f.photo_id) AS path, f.score FROM faces f WHERE f.person_id = ? AND ${LIVE} ORDER BY f.photo_id, f.x`,
    ).all(personId) as { id: number; photoId: number; path: string | null; score: number }[];
  }

  facesOf(photoId: number): (StoredFace & { personName: string | null })[] {
    const rows = this.sql(
      `SELECT f.id, f.photo_id AS photoId, f.model, f.x, f.y, f.w, f.h, f.score, f.person_id AS personId, f.assigned_by AS assignedBy, pe.name AS personName
       FROM faces f LEFT JOIN people pe ON pe.id = f.person_id WHERE f.photo_id = ? AND f.not_face = 0 ORDER BY f.x`,
    ).all(photoId) as (Omit<StoredFace, 'box'> & { x: number; y: number; w: number; h: number; personName: string | null })[];
    return rows.map(({ x, y, w, h, ...face }) => ({ ...face, box: { x, y, w, h } }));
  }

  /** People with at least one live face, named ones first, then by how many photos (hidden ones only when asked). */
  listPeople(options: { hidden?: boolean } = {}): PersonSummary[] {
    const people = this.sql(
      `SELECT p.id, p.name, p.hidden, p.cover_face_id AS coverFaceId, count(f.id) AS faces FROM people p JOIN faces f ON f.person_id = p.id AND ${LIVE}
       ${options.hidden ? '' : 'WHERE p.hidden = 0'} GROUP BY p.id`,
    ).all() as { id: number; name: string | null; hidden: number; coverFaceId: number | null; faces: number }[];
    const photosOf = this.sql(
      `SELECT ph.id, (SELECT min(path) FROM locations WHERE photo_id = ph.id) AS path FROM photos ph
       WHERE ph.orphaned_at IS NULL AND ph.id IN (SELECT f.photo_id FROM faces f WHERE f.person_id = ? AND f.not_face = 0)
       ORDER BY ph.taken_at IS NULL, ph.taken_at DESC, ph.id DESC`,
    );
    return people
      .map((person) => ({
        id: person.id,
        name: person.name,
        hidden: person.hidden === 1,
        faces: person.faces,
        coverFaceId: person.coverFaceId,
        photos: (photosOf.all(person.id) as { id: number; path: string | null }[]).filter((photo): photo is { id: number; path: string } => photo.path !== null),
      }))
      .sort((a, b) => Number(b.name !== null) - Number(a.name !== null) || b.photos.length - a.photos.length || a.id - b.id);
  }

  requirePerson(id: number): { id: number; name: string | null } {
    const person = this.sql(`SELECT id, name FROM people WHERE id = ?`).get(id) as { id: number; name: string | null } | undefined;
    if (!person) throw new NotFoundError(`no person with id ${id} (see \`iris people\`)`);
    return person;
  }

  /** Names a person ("" or null takes the name away). */
  name(id: number, name: string | null): void {
    this.requirePerson(id);
    const clean = name?.trim() || null;
    if (clean && clean.length > 100) throw new UsageError('a name has at most 100 characters');
    this.sql(`UPDATE people SET name = ?, updated_at = ? WHERE id = ?`).run(clean, Date.now(), id);
  }

  hide(id: number, hidden: boolean): void {
    this.requirePerson(id);
    this.sql(`UPDATE people SET hidden = ?, updated_at = ? WHERE id = ?`).run(hidden ? 1 : 0, Date.now(), id);
  }

  /** Moves every face of `others` to `into` and forgets them; `into` keeps its name, or takes the first other's. */
  merge(into: number, others: readonly number[]): void {
    this.db.transaction(() => {
      const target = this.requirePerson(into);
      for (const other of others) {
        if (other === into) throw new UsageError(`cannot merge person ${into} into itself`);
        const source = this.requirePerson(other);
        if (!target.name && source.name) {
          this.sql(`UPDATE people SET name = ? WHERE id = ?`).run(source.name, into);
          target.name = source.name;
        }
        this.sql(`UPDATE faces SET person_id = ? WHERE person_id = ?`).run(into, other);
        this.sql(`DELETE FROM people WHERE id = ?`).run(other);
      }
      this.sql(`UPDATE people SET updated_at = ? WHERE id = ?`).run(Date.now(), into);
    })();
  }

  /** Takes these faces out of `personId` into a new person of their own (the person's choice: clustering leaves them there). */
  split(personId: number, faceIds: readonly number[], name: string | null = null): number {
    return this.db.transaction(() => {
      this.requirePerson(personId);
      const owned = this.sql(`SELECT count(*) FROM faces WHERE person_id = ? AND id IN (SELECT value FROM json_each(?))`).pluck().get(personId, JSON.stringify(faceIds)) as number;
      if (faceIds.length === 0 || owned !== faceIds.length) throw new UsageError(`faces ${faceIds.join(', ')} are not all person ${personId}'s (see \`iris people show ${personId}\`)`);
      const created = this.newPerson(name);
      this.sql(`UPDATE faces SET person_id = ?, assigned_by = 'user' WHERE id IN (SELECT value FROM json_each(?))`).run(created, JSON.stringify(faceIds));
      return created;
    })();
  }

  /** The person's choice for one face: this person, or nobody (clustering will not place it again). */
  moveFace(faceId: number, personId: number | null): void {
    if (personId !== null) this.requirePerson(personId);
    const changed = this.sql(`UPDATE faces SET person_id = ?, assigned_by = 'user' WHERE id = ?`).run(personId, faceId).changes;
    if (changed === 0) throw new NotFoundError(`no face with id ${faceId}`);
  }

  /** A face on its own in a new person (the person's choice). */
  newPersonFor(faceId: number): number {
    return this.db.transaction(() => {
      if (!this.sql(`SELECT 1 FROM faces WHERE id = ?`).get(faceId)) throw new NotFoundError(`no face with id ${faceId}`);
      const created = this.newPerson(null);
      this.sql(`UPDATE faces SET person_id = ?, assigned_by = 'user', not_face = 0 WHERE id = ?`).run(created, faceId);
      return created;
    })();
  }

  /** How many live faces and people with a face there are. */
  counts(): { faces: number; people: number } {
    const faces = this.sql(`SELECT count(*) FROM faces f WHERE ${LIVE}`).pluck().get() as number;
    const people = this.sql(`SELECT count(DISTINCT f.person_id) FROM faces f WHERE f.person_id IS NOT NULL AND ${LIVE}`).pluck().get() as number;
    return { faces, people };
  }

  /** Takes a face out of everything: it is not a face (the detector was wrong). */
  markNotFace(faceId: number): void {
    const changed = this.sql(`UPDATE faces SET not_face = 1, person_id = NULL, assigned_by = 'user' WHERE id = ?`).run(faceId).changes;
    if (changed === 0) throw new NotFoundError(`no face with id ${faceId}`);
  }

  /** A face the person drew where the detector found none (model 'manual'); its embedding when one could be made. */
  addDrawn(photoId: number, box: StoredFace['box'], embedding: Float32Array | null, personId: number | null): number {
    if (personId !== null) this.requirePerson(personId);
    return Number(
      this.sql(`INSERT INTO faces (photo_id, model, x, y, w, h, score, embedding, person_id, assigned_by, created_at) VALUES (?, 'manual', ?, ?, ?, ?, 1, ?, ?, 'user', ?)`).run(
        photoId,
        box.x,
        box.y,
        box.w,
        box.h,
        embedding ? toBlob(embedding) : null,
        personId,
        Date.now(),
      ).lastInsertRowid,
    );
  }

  /** The face shown for a person: the one chosen, else its most confident face. */
  cover(personId: number): { faceId: number; photoId: number; box: StoredFace['box']; aspect: number } | null {
    const row = this.sql(
      `SELECT f.id AS faceId, f.photo_id AS photoId, f.x, f.y, f.w, f.h, coalesce(p.width * 1.0 / nullif(p.height, 0), 1) AS aspect FROM faces f JOIN photos p ON p.id = f.photo_id
       WHERE f.person_id = ? AND ${LIVE} ORDER BY f.id = (SELECT cover_face_id FROM people WHERE id = ?) DESC, f.score DESC, f.id LIMIT 1`,
    ).get(personId, personId) as { faceId: number; photoId: number; x: number; y: number; w: number; h: number; aspect: number } | undefined;
    return row ? { faceId: row.faceId, photoId: row.photoId, box: { x: row.x, y: row.y, w: row.w, h: row.h }, aspect: row.aspect } : null;
  }

  setCover(personId: number, faceId: number): void {
    const owned = this.sql(`SELECT 1 FROM faces WHERE id = ? AND person_id = ?`).get(faceId, personId);
    if (!owned) throw new UsageError(`face ${faceId} is not person ${personId}'s`);
    this.sql(`UPDATE people SET cover_face_id = ?, updated_at = ? WHERE id = ?`).run(faceId, Date.now(), personId);
  }

  /** Photo ids of any of these people's faces (for a person filter), as a query selecting photo_id. */
  static photosOfPeopleQuery(count: number): string {
    return `SELECT photo_id FROM faces WHERE not_face = 0 AND person_id IN (${new Array(count).fill('?').join(',')})`;
  }

  /** Photos with a face of a named person (what `iris export-xmp --all --faces` writes). */
  photosWithNamedFaces(): number[] {
    return this.sql(`SELECT DISTINCT f.photo_id FROM faces f JOIN people pe ON pe.id = f.person_id WHERE pe.name IS NOT NULL AND ${LIVE} ORDER BY f.photo_id`).pluck().all() as number[];
  }

  /**
   * A person named in another app's sidecar: the face found here that the region covers joins the
   * person of that name (made if there is none), as the person's choice; a region over no face found
   * here is kept as a face drawn by hand. Faces the person already placed are left alone.
   */
  importNamed(photoId: number, region: { name: string; box: StoredFace['box'] }): void {
    this.db.transaction(() => {
      const existing = this.sql(`SELECT id FROM people WHERE lower(name) = lower(?) ORDER BY id LIMIT 1`).pluck().get(region.name) as number | undefined;
      const personId = existing ?? this.newPerson(region.name);
      const faces = this.facesOf(photoId);
      const overlap = (box: StoredFace['box']) => {
        const w = Math.max(0, Math.min(box.x + box.w, region.box.x + region.box.w) - Math.max(box.x, region.box.x));
        const h = Math.max(0, Math.min(box.y + box.h, region.box.y + region.box.h) - Math.max(box.y, region.box.y));
        const inter = w * h;
        return inter / (box.w * box.h + region.box.w * region.box.h - inter);
      };
      const match = faces.filter((face) => overlap(face.box) > 0.3).sort((a, b) => overlap(b.box) - overlap(a.box))[0];
      if (match) {
        if (match.assignedBy === 'auto') this.sql(`UPDATE faces SET person_id = ?, assigned_by = 'user' WHERE id = ?`).run(personId, match.id);
        return;
      }
      this.addDrawn(photoId, region.box, null, personId);
    })();
  }

  /** Named, visible people by name (for the search box). */
  namedPeople(): { id: number; name: string }[] {
    return this.sql(`SELECT id, name FROM people WHERE name IS NOT NULL AND hidden = 0`).all() as { id: number; name: string }[];
  }

  /** Deletes every face, scan and person: "Forget all faces". */
  forgetAll(): { faces: number; people: number } {
    return this.db.transaction(() => {
      const faces = this.sql(`DELETE FROM faces`).run().changes;
      this.sql(`DELETE FROM face_scans`).run();
      const people = this.sql(`DELETE FROM people`).run().changes;
      return { faces, people };
    })();
  }
}
