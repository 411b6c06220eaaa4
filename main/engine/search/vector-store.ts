import { HIDDEN_PHOTOS } from './filters.js';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type BetterSqlite3 from 'better-sqlite3';
import type { Db } from '../db/database.js';
import { mulberry32 } from '../random.js';
import { CoarseQuantizer } from './index/coarse.js';
import { MARGIN, QuantizedIndex } from './index/quantized-index.js';
import { RerankFile } from './index/rerank-file.js';
import { readSnapshot, snapshotPath, writeSnapshot } from './index/snapshot.js';
import { searchIndex } from './index-search.js';
import { byScore, dot, TopK, type VectorHit } from './ranking.js';
import { blobOf, CHUNK_SIZE, floatsOf, forEachStoredBatch, quote, shadowLayoutOk, tableNameFor } from './vec0-tables.js';

export type { VectorHit } from './ranking.js';
export { EXACT_CANDIDATES } from './index-search.js';
export { tableNameFor } from './vec0-tables.js';

type Statement = BetterSqlite3.Statement<unknown[]>;

/**
 * The vector store: one model's embeddings, keyed by photo id, and nearest-neighbour search over
 * them by cosine similarity.
 *
 * ## Layout (per embedding model)
 *
 * - `vec_<slug>_<hash>`: a sqlite-vec `vec0` table, `embedding float[dim]`, rowid = photos.id,
 *   registered in `embedding_models` (migration 4). The name is the model id made safe (lower
 *   case, [a-z0-9_]) plus 8 hex digits of its sha256, so two ids that slug alike do not collide.
 *   Vectors are stored L2-normalised (real CLIP exports are not), so L2 distance ranks exactly as
 *   cosine does (cos = 1 - d²/2) and sqlite-vec's plain L2 kernel does the exact scans.
 *   `chunk_size=16` instead of the default 1024: vec0 keeps a chunk's vectors in one blob, and a
 *   read of one vector by rowid opens that blob and walks its overflow-page chain. Measured at
 *   100k × 512 on the bench machine: 170 µs per point read at 1024, 18 µs at 64, 5-10 µs at 16,
 *   for a full scan about 35% slower (49 → 65 ms). The reranking below reads hundreds of vectors by
 *   rowid per query, so point reads matter more; the full scan is only the small-library path.
 * - `<table>_changes`: an append-only log (seq, photo_id, op) of every put and delete, pruned to
 *   the last LOG_KEEP entries. It is how the in-memory index of each process (below) learns, in
 *   one indexed read, what changed since it last looked, whoever changed it: this process, a
 *   trigger, or another process (`iris watch` embedding while the app searches).
 * - `<table>_photo_deleted`: an AFTER DELETE trigger on photos. vec0 has no foreign keys and the
 *   library store deletes photos with plain DELETEs (removeFolder, purgeOrphans), so the trigger
 *   deletes the photo's vector (vec0 accepts DELETE from a trigger; tested) and logs it. Its SQL
 *   uses only vec0's public interface, never the shadow tables, because it runs on every photo
 *   delete and must not break if sqlite-vec changes its internals.
 *
 * vec0 never reuses the slot of a deleted vector except at the end of the last chunk, so a library
 * that deletes many photos keeps their space (a sqlite-vec limitation; VACUUM does not help).
 *
 * ## Search
 *
 * Below INDEX_MIN_VECTORS (and whenever `exact` is asked) search is exact: sqlite-vec's
 * brute-force KNN over the float vectors, with `rowid IN (...)` for candidate ids.
 *
 * From INDEX_MIN_VECTORS on, a float scan grows linearly (≈0.6 s per query at 1M × 512 on the
 * 2-core bench machine), so search goes through a per-process in-memory index
 * (index/quantized-index.ts: each vector as a coarse centre plus a 1.75-bit code of its rotated
 * residual, from which an upper bound on its score with any query is computed). Every code is
 * scanned (split with a second thread from 65,536 photos: index/scan-thread.ts); the candidates
 * are then scored exactly from vec0, best bound first, until the next bound is below the k-th best exact score: only membership of the top k can be wrong, when a
 * bound (set MARGIN standard deviations of estimation error high) is beaten, and every score
 * returned is exact. The index is built on the first search from the stored vectors, kept in step
 * through the change log, and saved beside the library (index/snapshot.ts) so that a restart
 * loads it instead of building it again.
 *
 * With `candidateIds`, the same scan runs and only the candidates are kept, with the threshold of
 * the first pass read from the candidates' own bounds: the result is the top k among the
 * candidates, not a filtered global top k; a set of at most EXACT_CANDIDATES is simply scored
 * exactly.
 *
 * Hidden photos (orphaned, kept for move detection) keep their vectors but are left out of search
 * results unless `includeHidden` is given: a caller dropping them afterwards would return fewer
 * than k results.
 */

/** Below this many vectors, every search is an exact scan (≈10 ms at 20k × 512). */
export const INDEX_MIN_VECTORS = 20_000;
/** Leaves of the coarse quantizer: about √n, at least 64, at most 1,024. */
const leavesFor = (n: number) => Math.max(64, Math.min(1024, Math.round(Math.sqrt(n))));
/** Vectors the coarse quantizer is trained on (a stride of whole chunks across the table). */
const TRAINING_SAMPLE = 32_768;
/**
 * Change-log entries kept; a process (or a saved index) further behind than this rebuilds its
 * index. About 20 bytes an entry; long enough that an `iris index` of a big import while the app
 * is closed leaves the saved index usable.
 */
const LOG_KEEP = 500_000;
/** The log is pruned back to LOG_KEEP about once per this many entries. */
const LOG_PRUNE_EVERY = 4_096;
/** sqlite-vec's largest k for a vec0 KNN query (SQLITE_VEC_VEC0_K_MAX). */
const VEC0_K_MAX = 4096;
/** sqlite-vec's largest vector width. */
const MAX_DIM = 8192;

const OP_DELETE = 0;
const OP_PUT = 1;

export interface EmbeddingRow {
  photoId: number;
  embedding: Float32Array | readonly number[];
}


export interface VectorSearchOptions {
  /** Only these photos may be returned (e.g. the photos passing folder/date/format filters). */
  candidateIds?: readonly number[] | Int32Array;
  /** Photos never to return (e.g. the photo a "similar to" search starts from). */
  exclude?: readonly number[];
  /** Also return hidden (orphaned) photos. Default false. */
  includeHidden?: boolean;
  /** Force the exact scan (sqlite-vec brute force) whatever the library size. */
  exact?: boolean;
  /** For tests and benchmarks: the bound's margin, in standard deviations (default MARGIN). */
  margin?: number;
}

export interface EmbeddingModelInfo {
  modelId: string;
  tableName: string;
  dim: number;
  createdAt: number;
}

/** Memory held by this process's in-memory index for a model, for diagnostics and benchmarks. */
export interface IndexStats {
  vectors: number;
  slots: number;
  bytes: number;
  /** Time to build it from the stored vectors, or to load it from its saved copy. */
  buildMs: number;
  source: 'built' | 'snapshot';
  /** Exact reads the last search made after the first pass (how hard the query was). */
  lastExactReads: number;
}

// ---------------------------------------------------------------- validation

function checkPhotoId(photoId: number): number {
  if (!Number.isSafeInteger(photoId) || photoId < 1 || photoId > 0x7fffffff) throw new RangeError(`photo id must be a positive 32-bit integer, got ${photoId}`);
  return photoId;
}

/** An L2-normalised float32 copy of `vector`, or an error naming what is wrong with it. */
function normalised(vector: Float32Array | readonly number[], dim: number, what: string): Float32Array {
  if (vector.length !== dim) throw new RangeError(`${what} has ${vector.length} dimensions; this model's vectors have ${dim}`);
  let sum = 0;
  for (let i = 0; i < dim; i++) {
    const value = vector[i]!;
    if (!Number.isFinite(value)) throw new RangeError(`${what} has a non-finite value (${value}) at dimension ${i}`);
    sum += value * value;
  }
  if (!(sum > 0) || !Number.isFinite(sum)) throw new RangeError(`${what} has no direction (zero or overflowing length); it cannot be normalised`);
  const scale = 1 / Math.sqrt(sum);
  const out = new Float32Array(dim);
  for (let i = 0; i < dim; i++) out[i] = vector[i]! * scale;
  return out;
}

// ---------------------------------------------------------------- per-process shared state

/**
 * What this process knows about one model's table, shared by every VectorStore opened on the same
 * connection (the engine opens one per call): the change-log position it is in step with, the
 * vector count then, and the binary index once the library is large enough to need one.
 */
interface SharedState {
  seq: number;
  count: number;
  index: QuantizedIndex | null;
  /** The 8-bit copies the first pass's candidates are scored from (undefined: not opened yet). */
  rerank: RerankFile | null | undefined;
  /** Where the index came from, and the change-log position of its last saved copy. */
  source: 'built' | 'snapshot';
  savedSeq: number;
  lastExactReads: number;
  /** Whether sqlite-vec's shadow tables have the layout this file reads directly. */
  shadow: boolean;
  /** Prepared statements by SQL text (preparing costs more than running most of them). */
  statements: Map<string, Statement>;
}

const sharedStates = new WeakMap<Db, Map<string, SharedState>>();

function statesOf(db: Db): Map<string, SharedState> {
  let states = sharedStates.get(db);
  if (!states) {
    states = new Map();
    sharedStates.set(db, states);
  }
  return states;
}

// ---------------------------------------------------------------- the store

export class VectorStore {
  private readonly table: string;
  private readonly changes: string;
  /** Where to list and count the stored rowids: the `_rowids` shadow table, or vec0 itself. */
  private readonly rowidSource: string;
  private readonly state: SharedState;

  private constructor(
    private readonly db: Db,
    readonly modelId: string,
    readonly tableName: string,
    readonly dim: number,
  ) {
    this.table = quote(tableName);
    this.changes = quote(`${tableName}_changes`);
    const states = statesOf(db);
    let state = states.get(tableName);
    if (!state) {
      state = { seq: -1, count: 0, index: null, rerank: undefined, source: 'built', savedSeq: -1, lastExactReads: 0, shadow: shadowLayoutOk(db, tableName), statements: new Map() };
      states.set(tableName, state);
    }
    this.state = state;
    this.rowidSource = state.shadow ? quote(`${tableName}_rowids`) : this.table;
  }

  /**
   * The store for a model's embeddings, creating its table, change log and delete trigger and
   * registering it on first use. Throws if the model is registered with another width.
   */
  static open(db: Db, modelId: string, dim: number): VectorStore {
    if (typeof modelId !== 'string' || modelId.trim() === '') throw new RangeError('an embedding model id is required');
    if (!Number.isInteger(dim) || dim < 1 || dim > MAX_DIM) throw new RangeError(`embedding width must be a whole number from 1 to ${MAX_DIM}, got ${dim}`);
    const registered = () => db.prepare(`SELECT table_name AS tableName, dim FROM embedding_models WHERE model_id = ?`).get(modelId) as { tableName: string; dim: number } | undefined;
    const mismatch = (row: { dim: number }) =>
      new Error(`embedding model "${modelId}" is registered with ${row.dim} dimensions, not ${dim}: its stored vectors do not fit; forget the model (VectorStore.forget) to embed again`);
    const complete = (tableName: string) =>
      (db.prepare(`SELECT count(*) FROM sqlite_master WHERE name IN (?, ?, ?)`).pluck().get(tableName, `${tableName}_changes`, `${tableName}_photo_deleted`) as number) === 3;

    const row = registered();
    if (row && row.dim !== dim) throw mismatch(row);
    if (row && complete(row.tableName)) return new VectorStore(db, modelId, row.tableName, dim);
    if (db.readonly) throw new Error(`the library is open read-only and has no table yet for embedding model "${modelId}"`);

    const tableName = db.transaction(() => {
      // Read again inside the write lock: another process may have just created it.
      const again = registered();
      if (again && again.dim !== dim) throw mismatch(again);
      const name = again?.tableName ?? tableNameFor(modelId);
      const table = quote(name);
      db.exec(`
        CREATE VIRTUAL TABLE IF NOT EXISTS ${table} USING vec0(embedding float[${dim}], chunk_size=${CHUNK_SIZE});
        CREATE TABLE IF NOT EXISTS ${quote(`${name}_changes`)} (
          seq       INTEGER PRIMARY KEY AUTOINCREMENT,
          photo_id  INTEGER NOT NULL,
          op        INTEGER NOT NULL  -- ${OP_PUT}: put, ${OP_DELETE}: delete
        );
        CREATE TRIGGER IF NOT EXISTS ${quote(`${name}_photo_deleted`)} AFTER DELETE ON photos
        WHEN EXISTS (SELECT 1 FROM ${table} WHERE rowid = OLD.id)
        BEGIN
          DELETE FROM ${table} WHERE rowid = OLD.id;
          INSERT INTO ${quote(`${name}_changes`)} (photo_id, op) VALUES (OLD.id, ${OP_DELETE});
        END;
      `);
      if (!again) db.prepare(`INSERT INTO embedding_models (model_id, table_name, dim, created_at) VALUES (?, ?, ?, ?)`).run(modelId, name, dim, Date.now());
      return name;
    }).immediate();
    statesOf(db).delete(tableName);
    return new VectorStore(db, modelId, tableName, dim);
  }

  /** Drops a model's vectors, change log, trigger and registration. False if it was not registered. */
  static forget(db: Db, modelId: string): boolean {
    return db.transaction(() => {
      const row = db.prepare(`SELECT table_name AS tableName FROM embedding_models WHERE model_id = ?`).get(modelId) as { tableName: string } | undefined;
      if (!row) return false;
      db.exec(`
        DROP TRIGGER IF EXISTS ${quote(`${row.tableName}_photo_deleted`)};
        DROP TABLE IF EXISTS ${quote(`${row.tableName}_changes`)};
        DROP TABLE IF EXISTS ${quote(row.tableName)};
      `);
      db.prepare(`DELETE FROM embedding_models WHERE model_id = ?`).run(modelId);
      statesOf(db).get(row.tableName)?.rerank?.close();
      statesOf(db).delete(row.tableName);
      for (const file of [snapshotPath(db.name, row.tableName), RerankFile.pathFor(db.name, row.tableName)]) if (file) fs.rmSync(file, { force: true });
      return true;
    }).immediate();
  }

  /** Every registered embedding model. */
  static models(db: Db): EmbeddingModelInfo[] {
    return db.prepare(`SELECT model_id AS modelId, table_name AS tableName, dim, created_at AS createdAt FROM embedding_models ORDER BY model_id`).all() as EmbeddingModelInfo[];
  }

  /** Lets go of this process's in-memory index for every model of `db` (rebuilt on the next search). */
  static releaseMemory(db: Db): void {
    for (const state of statesOf(db).values()) {
      state.index = null;
      state.seq = -1;
    }
  }

  /** Lets go of everything this process holds for the connection's models (indexes, the open 8-bit copy files): before db.close(). */
  static closeAll(db: Db): void {
    for (const state of statesOf(db).values()) {
      state.rerank?.close();
      state.rerank = undefined;
      state.index = null;
    }
    sharedStates.delete(db);
  }

  private sql(source: string): Statement {
    let statement = this.state.statements.get(source);
    if (!statement) {
      statement = this.db.prepare<unknown[]>(source);
      this.state.statements.set(source, statement);
    }
    return statement;
  }

  // ---- writes

  /** Stores (or replaces) a photo's embedding, normalised. False if the photo is no longer in the library. */
  put(photoId: number, embedding: Float32Array | readonly number[]): boolean {
    return this.putMany([{ photoId, embedding }]) === 1;
  }

  /**
   * Stores many embeddings in one transaction. Every row is checked first (length, finite values,
   * non-zero), so a bad row stores nothing. Rows whose photo has left the library meanwhile are
   * skipped (no vector may outlive its photo). Returns how many were stored.
   */
  putMany(rows: Iterable<EmbeddingRow>): number {
    const prepared = [...rows].map(({ photoId, embedding }) => {
      const vector = normalised(embedding, this.dim, `the embedding of photo ${photoId}`);
      return { photoId, id: BigInt(checkPhotoId(photoId)), vector, blob: blobOf(vector) };
    });
    if (prepared.length === 0) return 0;
    const photoExists = this.sql(`SELECT 1 FROM photos WHERE id = ?`).pluck();
    const exists = this.sql(`SELECT 1 FROM ${this.table} WHERE rowid = ?`).pluck();
    const insert = this.sql(`INSERT INTO ${this.table} (rowid, embedding) VALUES (?, ?)`);
    const update = this.sql(`UPDATE ${this.table} SET embedding = ? WHERE rowid = ?`);
    const log = this.sql(`INSERT INTO ${this.changes} (photo_id, op) VALUES (?, ${OP_PUT})`);
    const rerank = this.rerankFile();
    return this.db.transaction(() => {
      let seq = 0;
      const storedIds: number[] = [];
      const storedVectors: Float32Array[] = [];
      for (const { photoId, id, vector, blob } of prepared) {
        if (!photoExists.get(id)) continue;
        if (exists.get(id)) update.run(blob, id);
        else insert.run(id, blob);
        seq = Number(log.run(id).lastInsertRowid);
        storedIds.push(photoId);
        storedVectors.push(vector);
      }
      // Under the write lock, before the commit: see rerank-file.ts.
      if (rerank?.writable) rerank.writeMany(storedIds, storedVectors);
      const stored = storedIds.length;
      // Pruned a few thousand entries at a time: a DELETE per small transaction cost ~6% of an insert.
      if (seq > LOG_KEEP && seq % LOG_PRUNE_EVERY < prepared.length) this.sql(`DELETE FROM ${this.changes} WHERE seq <= ?`).run(seq - LOG_KEEP);
      return stored;
    }).immediate();
  }

  /** Deletes a photo's embedding; false if it had none. */
  delete(photoId: number): boolean {
    const id = BigInt(checkPhotoId(photoId));
    return this.db.transaction(() => {
      if (!this.sql(`SELECT 1 FROM ${this.table} WHERE rowid = ?`).get(id)) return false;
      this.sql(`DELETE FROM ${this.table} WHERE rowid = ?`).run(id);
      this.sql(`INSERT INTO ${this.changes} (photo_id, op) VALUES (?, ${OP_DELETE})`).run(id);
      return true;
    }).immediate();
  }

  // ---- reads

  /** A photo's stored (normalised) embedding. */
  get(photoId: number): Float32Array | undefined {
    const blob = this.sql(`SELECT embedding FROM ${this.table} WHERE rowid = ?`).pluck().get(BigInt(checkPhotoId(photoId))) as Buffer | undefined;
    return blob ? floatsOf(blob).slice() : undefined;
  }

  has(photoId: number): boolean {
    return this.sql(`SELECT 1 FROM ${this.rowidSource} WHERE rowid = ?`).get(BigInt(checkPhotoId(photoId))) !== undefined;
  }

  /** How many photos have an embedding (hidden ones included). */
  count(): number {
    this.refresh();
    return this.state.count;
  }

  /** Every photo id with an embedding, ascending. */
  photoIds(): number[] {
    return this.sql(`SELECT rowid FROM ${this.rowidSource} ORDER BY rowid`).pluck().all() as number[];
  }

  /** Every stored vector with its photo id (the library map lays them all out). */
  readAll(): { photoIds: number[]; vectors: Float32Array } {
    const count = this.count();
    const photoIds: number[] = [];
    const vectors = new Float32Array(count * this.dim);
    this.db.transaction(() =>
      this.forEachBatch((ids, batch) => {
        // count() and the scan share the transaction, so they agree; the guard only protects the copy.
        if (photoIds.length + ids.length > count) return;
        vectors.set(batch.subarray(0, ids.length * this.dim), photoIds.length * this.dim);
        photoIds.push(...ids);
      }),
    )();
    return { photoIds, vectors: vectors.subarray(0, photoIds.length * this.dim) };
  }

  /**
   * SQL (no parameters) selecting `photo_id` for every readable, visible photo without an
   * embedding: what the embedding jobs should work on.
   */
  missingQuery(): string {
    return `SELECT p.id AS photo_id FROM photos p WHERE p.status = 'ok' AND p.orphaned_at IS NULL AND NOT EXISTS (SELECT 1 FROM ${this.rowidSource} v WHERE v.rowid = p.id)`;
  }

  /** Up to `limit` readable, visible photos without an embedding, by id, after `afterId`. */
  missing(limit = 1000, afterId = 0): number[] {
    return this.sql(`SELECT photo_id FROM (${this.missingQuery()}) WHERE photo_id > ? ORDER BY photo_id LIMIT ?`).pluck().all(afterId, limit) as number[];
  }

  /** The ids among `photoIds` that have no embedding. */
  photoIdsWithout(photoIds: Iterable<number>): number[] {
    const has = this.sql(`SELECT 1 FROM ${this.rowidSource} WHERE rowid = ?`).pluck();
    return [...photoIds].filter((id) => !has.get(BigInt(checkPhotoId(id))));
  }

  /** This process's in-memory index, if one has been built. */
  indexStats(): IndexStats | null {
    const { index, source, lastExactReads } = this.state;
    return index && { vectors: index.live, slots: index.size, bytes: index.memoryBytes + (this.state.rerank?.mirrorBytes ?? 0), buildMs: index.buildMs, source, lastExactReads };
  }

  // ---- keeping the shared state in step

  private currentSeq(): number {
    return (this.sql(`SELECT seq FROM sqlite_sequence WHERE name = ?`).pluck().get(`${this.tableName}_changes`) as number | undefined) ?? 0;
  }

  private countStored(): number {
    return this.sql(`SELECT count(*) FROM ${this.rowidSource}`).pluck().get() as number;
  }

  /**
   * Brings the count and the index up to the change log, in one read transaction. A log tail up
   * to half the index is applied to it (a put costs a vector read and an encode, ≈15 µs; a
   * rebuild at a million costs ~10 s); a longer one, or one already pruned, drops the index, to be
   * rebuilt by the next search. An index that has grown to four times what its coarse quantizer
   * was trained on is dropped too, so that it is trained again on what the library now holds.
   */
  private refresh(): void {
    const state = this.state;
    this.db.transaction(() => {
      const seq = this.currentSeq();
      if (seq === state.seq) return;
      const index = state.index;
      if (index && seq > state.seq && this.applyLog(index, state.seq, seq)) {
        state.seq = seq;
        state.count = index.live;
        if (index.live > 4 * index.shape.trainedOn) state.index = null;
        return;
      }
      state.index = null;
      state.count = this.countStored();
      state.seq = seq;
    })();
    this.maybeSave();
  }

  /** Applies the change log's entries after `from` up to `to` to `index`; false if it cannot. */
  private applyLog(index: QuantizedIndex, from: number, to: number): boolean {
    const oldest = this.sql(`SELECT min(seq) FROM ${this.changes}`).pluck().get() as number | null;
    if (to > from && (oldest === null || oldest > from + 1)) return false;
    if (to - from > Math.max(20_000, index.live / 2)) return false;
    const rows = this.sql(`SELECT photo_id, op FROM ${this.changes} WHERE seq > ? AND seq <= ? ORDER BY seq`).raw().all(from, to) as [number, number][];
    const read = this.sql(`SELECT embedding FROM ${this.table} WHERE rowid = ?`).pluck();
    const rerank = this.rerankFile();
    for (const [photoId, op] of rows) {
      if (op === OP_DELETE) {
        index.remove(photoId);
        continue;
      }
      // The vector as it is now; if it has been deleted since, a later entry says so too.
      const blob = read.get(BigInt(photoId)) as Buffer | undefined;
      if (blob) index.upsert(photoId, floatsOf(blob));
      rerank?.reload(photoId);
    }
    index.maybeCompact();
    return true;
  }

  /**
   * Saves the index beside the library once it has taken in enough changes since it was last
   * saved (a twentieth of it, at least 10,000), or was just built. Best effort: a library folder
   * that cannot be written only costs a rebuild at the next start.
   */
  private maybeSave(force = false): void {
    // Called on every search: the cheap tests first.
    const { index, seq, savedSeq } = this.state;
    if (!index || this.db.readonly) return;
    if (!force && seq - savedSeq < Math.max(10_000, index.live / 20)) return;
    const file = snapshotPath(this.db.name, this.tableName);
    if (!file) return;
    try {
      writeSnapshot(file, { table: this.tableName, tableCreatedAt: this.createdAt(), seq }, index);
    } catch {
      // Not saved: the next start builds instead (see above); not retried before as many changes again.
    }
    this.state.savedSeq = seq;
  }

  /** The table's 8-bit copies (opened once per connection), or null where there is no file. */
  private rerankFile(): RerankFile | null {
    if (this.state.rerank === undefined) {
      const file = RerankFile.pathFor(this.db.name, this.tableName);
      this.state.rerank = file && QuantizedIndex.supports(this.dim) ? RerankFile.open(file, this.dim, this.createdAt(), !this.db.readonly) : null;
    }
    return this.state.rerank;
  }

  private createdAt(): number {
    return (this.db.prepare(`SELECT created_at FROM embedding_models WHERE table_name = ?`).pluck().get(this.tableName) as number | undefined) ?? 0;
  }

  /** Batches of stored vectors (vec0-tables.ts, forEachStoredBatch): with `stride`, every stride-th chunk. */
  private forEachBatch(visit: (photoIds: readonly number[], vectors: Float32Array) => void, stride = 1): void {
    forEachStoredBatch({ sql: (source) => this.sql(source), table: this.table, tableName: this.tableName, dim: this.dim, directly: this.state.shadow }, visit, stride);
  }

  /**
   * Gives this process an index: the saved one when it fits (then the change log since it was
   * saved is applied), else one built from every stored vector, in one read transaction with the
   * log position it matches, and saved.
   */
  private build(): void {
    const state = this.state;
    const started = performance.now();
    if (this.load()) {
      state.index!.buildMs = performance.now() - started;
      state.source = 'snapshot';
      return;
    }
    const dim = this.dim;
    this.db.transaction(() => {
      const seq = this.currentSeq();
      const count = this.countStored();
      const rand = mulberry32(Number.parseInt(createHash('sha256').update(this.tableName).digest('hex').slice(0, 8), 16));
      // The training sample: whole chunks spread over the table (neighbouring rows were embedded
      // together and look alike, so a stride, not a prefix).
      const sample: Float32Array[] = [];
      let sampled = 0;
      this.forEachBatch((_ids, vectors) => {
        sample.push(vectors.slice());
        sampled += vectors.length / dim;
      }, Math.max(1, Math.floor(count / TRAINING_SAMPLE)));
      const training = new Float32Array(sampled * dim);
      let at = 0;
      for (const part of sample) {
        training.set(part, at);
        at += part.length;
      }
      const coarse = CoarseQuantizer.train(training, dim, leavesFor(count), rand);
      const signs = QuantizedIndex.randomSigns(dim, rand);
      const index = new QuantizedIndex({ dim, trainedOn: count }, coarse, signs, Math.ceil(count * 1.02) + 256);
      // A file of 8-bit copies made just now (new, lost, or of another table) is filled from the
      // stored vectors; an existing one was kept in step by putMany.
      const rerank = this.rerankFile();
      const fill = rerank?.writable && rerank.created;
      this.forEachBatch((ids, vectors) => {
        if (fill) rerank!.writeMany(ids, ids.map((_, i) => vectors.subarray(i * dim, (i + 1) * dim)));
        for (let i = 0; i < ids.length; i++) {
          const vector = vectors.subarray(i * dim, (i + 1) * dim);
          index.upsert(ids[i]!, vector);
        }
      });
      if (rerank) rerank.created = false;
      rerank?.loadMirror();
      index.buildMs = performance.now() - started;
      state.index = index;
      state.source = 'built';
      state.count = index.live;
      state.seq = seq;
    })();
    this.maybeSave(true);
  }

  /** Loads the saved index if it fits this table and the change log still covers it. */
  private load(): boolean {
    const file = snapshotPath(this.db.name, this.tableName);
    if (!file || !fs.existsSync(file)) return false;
    const state = this.state;
    return this.db.transaction(() => {
      // A saved index without its 8-bit copies would read every candidate from sqlite-vec: build.
      if (this.rerankFile()?.created) return false;
      const saved = readSnapshot(file, { table: this.tableName, tableCreatedAt: this.createdAt(), dim: this.dim });
      if (!saved) return false;
      const seq = this.currentSeq();
      const { index, header } = saved;
      if (header.seq > seq || !this.applyLog(index, header.seq, seq)) return false;
      if (index.live !== this.countStored()) return false;
      this.rerankFile()?.loadMirror();
      state.index = index;
      state.count = index.live;
      state.seq = seq;
      state.savedSeq = header.seq;
      return true;
    })();
  }

  // ---- search

  /**
   * The k photos most similar to `query` (cosine; the query need not be normalised), best first.
   * See the notes at the top of this file for how; with `candidateIds`, only those photos are
   * considered, and the result is the best among them.
   */
  search(query: Float32Array | readonly number[], k: number, options: VectorSearchOptions = {}): VectorHit[] {
    if (!Number.isInteger(k) || k < 0) throw new RangeError(`k must be a whole number, got ${k}`);
    const q = normalised(query, this.dim, 'the query vector');
    if (k === 0) return [];
    const exclude = new Set(options.exclude ?? []);
    if (!options.includeHidden) {
      // Photos gone from disk, and those the person hid (a duplicate not kept: filters.ts).
      for (const id of this.sql(`SELECT id FROM photos WHERE orphaned_at IS NOT NULL UNION ALL ${HIDDEN_PHOTOS}`).pluck().iterate() as IterableIterator<number>) exclude.add(id);
    }
    const candidateIds = options.candidateIds;
    if (candidateIds && candidateIds.length === 0) return [];
    this.refresh();
    // Below half the threshold (a library that shrank) the exact scan is cheap again.
    if (this.state.index && this.state.count < INDEX_MIN_VECTORS / 2) this.state.index = null;
    if (!options.exact && !this.state.index && this.state.count >= INDEX_MIN_VECTORS && QuantizedIndex.supports(this.dim)) this.build();
    const index = this.state.index;
    if (options.exact || !index) {
      const candidates = candidateIds ? [...new Set(candidateIds)].filter((id) => !exclude.has(id)) : null;
      return candidates?.length === 0 ? [] : this.exactSearch(q, k, candidates, exclude);
    }
    const read = this.sql(`SELECT embedding FROM ${this.table} WHERE rowid = ?`).pluck();
    const copies = this.rerankFile();
    const { hits, reads } = searchIndex(index, q, k, candidateIds ?? null, exclude, options.margin ?? MARGIN, {
      exact: (photoId) => {
        const blob = read.get(BigInt(photoId)) as Buffer | undefined;
        return blob ? dot(q, floatsOf(blob)) : null;
      },
      eightBit: copies?.scorer(q) ?? null,
      rescore: (photoIds, best) => this.rerank(q, photoIds, best),
    });
    this.state.lastExactReads = reads;
    return hits;
  }

  /** Exact: sqlite-vec's brute-force KNN, or a scan in JS when k is past vec0's limit. */
  private exactSearch(q: Float32Array, k: number, candidates: number[] | null, exclude: ReadonlySet<number>): VectorHit[] {
    const wanted = candidates ? k : k + exclude.size;
    if (wanted > VEC0_K_MAX) return this.scanSearch(q, k, candidates, exclude);
    const rows = candidates
      ? (this.sql(`SELECT rowid, distance FROM ${this.table} WHERE embedding MATCH ? AND k = ? AND rowid IN (SELECT value FROM json_each(?))`)
          .raw()
          .all(blobOf(q), BigInt(wanted), JSON.stringify(candidates)) as [number, number][])
      : (this.sql(`SELECT rowid, distance FROM ${this.table} WHERE embedding MATCH ? AND k = ?`).raw().all(blobOf(q), BigInt(wanted)) as [number, number][]);
    return rows
      .filter(([photoId]) => !exclude.has(photoId))
      .map(([photoId, distance]) => ({ photoId, score: 1 - (distance * distance) / 2 }))
      .sort(byScore)
      .slice(0, k);
  }

  private scanSearch(q: Float32Array, k: number, candidates: number[] | null, exclude: ReadonlySet<number>): VectorHit[] {
    const allowed = candidates ? new Set(candidates) : null;
    const top = new TopK(k);
    const dim = this.dim;
    this.forEachBatch((ids, vectors) => {
      ids.forEach((photoId, i) => {
        if (allowed ? allowed.has(photoId) : !exclude.has(photoId)) top.offer(photoId, dot(q, vectors.subarray(i * dim, (i + 1) * dim)));
      });
    });
    return top.sorted();
  }

  /** Exact scores for `photoIds`, the k best. */
  private rerank(q: Float32Array, photoIds: number[], k: number): VectorHit[] {
    const read = this.sql(`SELECT embedding FROM ${this.table} WHERE rowid = ?`).pluck();
    const top = new TopK(k);
    // In id order: neighbouring ids share b-tree pages and chunks (≈7% faster at 1M).
    for (const photoId of photoIds.sort((a, b) => a - b)) {
      const blob = read.get(BigInt(photoId)) as Buffer | undefined;
      if (blob) top.offer(photoId, dot(q, floatsOf(blob)));
    }
    return top.sorted();
  }
}
