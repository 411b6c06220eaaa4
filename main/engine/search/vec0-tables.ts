import { createHash } from 'node:crypto';
import type BetterSqlite3 from 'better-sqlite3';
import type { Db } from '../db/database.js';

/**
 * sqlite-vec's tables as the vector store uses them: the safe table name of a model, the float
 * blobs, and a full read of the stored vectors, directly from vec0's chunk tables where their
 * layout is the one this file knows (6-8x faster than vec0's own scan), else through vec0's
 * public interface. VectorStore (vector-store.ts) owns everything else.
 */

type Statement = BetterSqlite3.Statement<unknown[]>;

/** vec0's chunk size for new tables; see the layout notes in vector-store.ts. */
export const CHUNK_SIZE = 16;

/** The vec0 table name for a model id: safe as an identifier, stable, and unique per id. */
export function tableNameFor(modelId: string): string {
  const slug = modelId.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 40) || 'model';
  const hash = createHash('sha256').update(modelId).digest('hex').slice(0, 8);
  return `vec_${slug}_${hash}`;
}

const SAFE_NAME = /^[a-z0-9_]+$/;
export const quote = (name: string) => {
  if (!SAFE_NAME.test(name)) throw new Error(`unsafe table name ${JSON.stringify(name)}`);
  return `"${name}"`;
};

export const blobOf = (vector: Float32Array) => Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);

/** A Float32Array over a blob's bytes: a view when aligned, else a copy. */
export function floatsOf(blob: Buffer, offset = 0, length = (blob.byteLength - offset) / 4): Float32Array {
  const start = blob.byteOffset + offset;
  if (start % 4 === 0) return new Float32Array(blob.buffer, start, length);
  return new Float32Array(blob.buffer.slice(start, start + length * 4));
}

/**
 * Whether the shadow tables look as in sqlite-vec 0.1.x (ARCHITECTURE.md in its repository):
 * `_chunks(chunk_id, size, validity, rowids)`, `_rowids(rowid, id, chunk_id, chunk_offset)`,
 * `_vector_chunks00(rowid, vectors)`. Reading them directly makes a full read of the vectors 6-8x
 * faster than vec0's own scan and counting instant; any other layout falls back to vec0's
 * public interface (correct, slower).
 */
export function shadowLayoutOk(db: Db, table: string): boolean {
  try {
    const version = db.prepare(`SELECT vec_version()`).pluck().get() as string;
    if (!/^v0\.1\./.test(version)) return false;
    const columns = (name: string) => (db.prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(name) as string[]).join(',');
    return (
      columns(`${table}_chunks`) === 'chunk_id,size,validity,rowids' &&
      columns(`${table}_rowids`) === 'rowid,id,chunk_id,chunk_offset' &&
      columns(`${table}_vector_chunks00`) === 'rowid,vectors'
    );
  } catch {
    return false;
  }
}

/**
 * A stored table to read: its statements (prepared once per connection by the store), names, width,
 * and whether its shadow tables may be read directly (shadowLayoutOk).
 */
export interface StoredTable {
  sql(source: string): Statement;
  /** The quoted vec0 table. */
  table: string;
  tableName: string;
  dim: number;
  directly: boolean;
}

/**
 * Calls `visit` with batches of stored vectors: their photo ids and their floats (ids.length ×
 * dim, a view valid only during the call). With `stride`, only every stride-th chunk (a sample).
 * Reads sqlite-vec's chunk tables directly when their layout is known (see shadowLayoutOk),
 * else pages through vec0's own full scan.
 */
export function forEachStoredBatch(source: StoredTable, visit: (photoIds: readonly number[], vectors: Float32Array) => void, stride = 1): void {
const { sql, table, tableName } = source;
  const dim = source.dim;
  if (!source.directly) {
    const ids: number[] = [];
    const batch = new Float32Array(256 * dim);
    let row = 0;
    for (const [rowid, blob] of sql(`SELECT rowid, embedding FROM ${table}`).raw().iterate() as IterableIterator<[number, Buffer]>) {
      if (Math.floor(row++ / CHUNK_SIZE) % stride !== 0) continue;
      batch.set(floatsOf(blob), ids.length * dim);
      ids.push(rowid);
      if (ids.length === 256) {
        visit(ids, batch);
        ids.length = 0;
      }
    }
    if (ids.length > 0) visit(ids, batch.subarray(0, ids.length * dim));
    return;
  }
  // Two plain scans merged here: a join of the two tables made SQLite's planner scan the vector
  // chunks once per chunk row (6x slower). The chunk rows are small (validity bits and rowids).
  const slotsOf = new Map<number, { validity: Buffer; rowids: Buffer }>();
  for (const [chunkId, validity, rowids] of sql(`SELECT chunk_id, validity, rowids FROM ${quote(`${tableName}_chunks`)} WHERE chunk_id % ? = 0`)
    .raw()
    .iterate(stride) as IterableIterator<[number, Buffer, Buffer]>) {
    slotsOf.set(chunkId, { validity, rowids });
  }
  const vectorChunks = sql(`SELECT rowid, vectors FROM ${quote(`${tableName}_vector_chunks00`)} WHERE rowid % ? = 0`).raw();
  for (const [chunkId, blob] of vectorChunks.iterate(stride) as IterableIterator<[number, Buffer]>) {
    const chunk = slotsOf.get(chunkId);
    if (!chunk) continue;
    const all = floatsOf(blob);
    const slots = Math.min(chunk.validity.length * 8, chunk.rowids.length / 8, all.length / dim);
    const ids: number[] = [];
    let contiguous = true;
    for (let i = 0; i < slots; i++) {
      if (((chunk.validity[i >> 3]! >> (i & 7)) & 1) === 0) continue;
      if (ids.length !== i) contiguous = false;
      ids.push(Number(chunk.rowids.readBigInt64LE(i * 8)));
    }
    if (ids.length === 0) continue;
    if (contiguous) {
      visit(ids, all.subarray(0, ids.length * dim));
      continue;
    }
    const packed = new Float32Array(ids.length * dim);
    for (let i = 0, n = 0; i < slots; i++) {
      if (((chunk.validity[i >> 3]! >> (i & 7)) & 1) !== 0) packed.set(all.subarray(i * dim, (i + 1) * dim), dim * n++);
    }
    visit(ids, packed);
  }
}
