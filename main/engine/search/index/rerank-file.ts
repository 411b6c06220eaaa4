import fs from 'node:fs';
import path from 'node:path';
import { type Kernels, newKernels } from './kernels.js';

/**
 * An 8-bit copy of every stored vector, in a file beside the library
 * (`vector-index/<table>.q8`), one fixed-size record per photo id: what the search reads to score
 * the first pass's candidates. A record is one positioned read (≈1.5 µs from the page cache);
 * the same vector read from sqlite-vec costs 10-20 µs (a rowid lookup, then a blob opened in its
 * chunk), and a search of a large library on a typed sentence reads hundreds to thousands.
 * A small file (up to MIRROR_BYTES, ~130k photos at 512-d) is read into memory whole and kept in
 * step record by record (a memory read costs ~0.2 µs); a larger one (512 MB at a million 512-d
 * photos) is read a record at a time, and the OS caches what is read.
 *
 * It is written by VectorStore.putMany inside the write transaction that stores the vector, so
 * writers (the app, `iris index`, `iris watch`) keep it in step under SQLite's write lock; a
 * record with scale 0 (never written: a hole) is missing, and the caller reads sqlite-vec instead.
 * The final top k are always rescored from sqlite-vec, so a record that a crash left different
 * from the stored vector can only move that one photo in the ranking, never a returned score.
 *
 * Layout: a 64-byte header ("IRISQ8", format, dim, the table's created_at), then record i at
 * 64 + i·recordBytes: f32 scale, then dim int8 values (v_j ≈ scale·q_j), padded to 8 bytes.
 */

const MAGIC = 'IRISQ8\0\0';
const FORMAT = 1;
const HEADER = 64;
/** Files up to this size are mirrored in memory (see above). */
export const MIRROR_BYTES = 64 * 2 ** 20;

/** Scores a photo against one query from its 8-bit copy: null when it has none. */
export type EightBitScorer = (photoId: number) => number | null;

export class RerankFile {
  readonly recordBytes: number;
  /**
   * The kernels' memory: the query (f32, zero-padded to a multiple of 16), the score, then the
   * record being scored (read straight into it, with 16 spare bytes for the padded dot).
   */
  private readonly kernels: Kernels;
  private readonly paddedDim: number;
  private readonly scoreAt: number;
  private readonly recordAt: number;
  private readonly record: Uint8Array;
  /** The whole file in memory, when it is small enough (see MIRROR_BYTES). */
  private mirror: Buffer | null = null;
  /** The file was created (or emptied) when opened: no record is there yet. */
  created = false;

  private constructor(
    private readonly fd: number,
    readonly file: string,
    readonly dim: number,
    readonly writable: boolean,
  ) {
    this.recordBytes = Math.ceil((4 + dim) / 8) * 8;
    this.paddedDim = Math.ceil(dim / 16) * 16;
    this.scoreAt = this.paddedDim * 4;
    this.recordAt = this.scoreAt + 16;
    this.kernels = newKernels(this.recordAt + this.recordBytes + this.paddedDim - dim + 16);
    this.record = new Uint8Array(this.kernels.memory.buffer, this.recordAt, this.recordBytes);
  }

  static pathFor(dbFile: string, table: string): string | null {
    if (!dbFile || dbFile === ':memory:') return null;
    return path.join(path.dirname(path.resolve(dbFile)), 'vector-index', `${table}.q8`);
  }

  /**
   * Opens (creating when writable) the file for a table. A file of another table, width or
   * format is emptied (writable) or ignored (read-only): its records would not match.
   */
  static open(file: string, dim: number, tableCreatedAt: number, writable: boolean): RerankFile | null {
    const header = Buffer.alloc(HEADER);
    header.write(MAGIC, 0, 'latin1');
    header.writeUInt32LE(FORMAT, 8);
    header.writeUInt32LE(dim, 12);
    header.writeDoubleLE(tableCreatedAt, 16);
    const matches = (fd: number) => {
      const found = Buffer.alloc(HEADER);
      return fs.readSync(fd, found, 0, HEADER, 0) === HEADER && found.equals(header);
    };
    try {
      if (!writable) {
        const fd = fs.openSync(file, 'r');
        if (matches(fd)) return new RerankFile(fd, file, dim, false);
        fs.closeSync(fd);
        return null;
      }
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const fd = fs.openSync(file, fs.existsSync(file) ? 'r+' : 'w+');
      const opened = new RerankFile(fd, file, dim, true);
      opened.created = !matches(fd);
      if (opened.created) {
        fs.ftruncateSync(fd, 0);
        fs.writeSync(fd, header, 0, HEADER, 0);
      }
      return opened;
    } catch {
      return null;
    }
  }

  close(): void {
    fs.closeSync(this.fd);
  }

  /** Bytes held in memory by the mirror. */
  get mirrorBytes(): number {
    return this.mirror?.length ?? 0;
  }

  /** Reads the whole file into memory when it is at most MIRROR_BYTES; else lets go of any mirror. */
  loadMirror(): void {
    const size = fs.fstatSync(this.fd).size;
    if (size > MIRROR_BYTES) {
      this.mirror = null;
      return;
    }
    const mirror = Buffer.alloc(size);
    fs.readSync(this.fd, mirror, 0, size, 0);
    this.mirror = mirror;
  }

  /**
   * Reads one record again into the mirror (another process wrote it: the change log says so),
   * growing the mirror while it stays within MIRROR_BYTES.
   */
  reload(photoId: number): void {
    const at = HEADER + photoId * this.recordBytes;
    if (this.mirrorRoom(at + this.recordBytes)) fs.readSync(this.fd, this.mirror!, at, this.recordBytes, at);
  }

  /**
   * Whether the mirror holds (after growing, within MIRROR_BYTES) the bytes up to `end`; a mirror
   * that would outgrow it is let go.
   */
  private mirrorRoom(end: number): boolean {
    if (!this.mirror) return false;
    if (end <= this.mirror.length) return true;
    if (end > MIRROR_BYTES) {
      this.mirror = null;
      return false;
    }
    const grown = Buffer.alloc(Math.min(MIRROR_BYTES, Math.max(end, Math.ceil(this.mirror.length * 1.25))));
    this.mirror.copy(grown);
    this.mirror = grown;
    return true;
  }

  /** Writes a photo's (unit) vector. */
  write(photoId: number, vector: Float32Array): void {
    this.writeMany([photoId], [vector]);
  }

  /**
   * Writes many photos' vectors; runs of consecutive photo ids (a batch of new photos, a build
   * reading the table in rowid order) go out as one write, since a write call costs far more
   * than its bytes.
   */
  writeMany(photoIds: readonly number[], vectors: readonly Float32Array[]): void {
    const { recordBytes } = this;
    const order = photoIds.map((_, i) => i).sort((a, b) => photoIds[a]! - photoIds[b]!);
    for (let start = 0; start < order.length; ) {
      let end = start + 1;
      while (end < order.length && photoIds[order[end]!] === photoIds[order[start]!]! + (end - start)) end++;
      const run = Buffer.alloc((end - start) * recordBytes);
      for (let i = start; i < end; i++) this.encode(vectors[order[i]!]!, run, (i - start) * recordBytes);
      const at = HEADER + photoIds[order[start]!]! * recordBytes;
      fs.writeSync(this.fd, run, 0, run.length, at);
      // Copied, not read back: a read per record cost as much as the rest of an insert.
      if (this.mirrorRoom(at + run.length)) run.copy(this.mirror!, at);
      start = end;
    }
  }

  private encode(vector: Float32Array, into: Buffer, at: number): void {
    const { dim } = this;
    let largest = 0;
    for (let j = 0; j < dim; j++) {
      const value = vector[j]!;
      if (value > largest) largest = value;
      else if (-value > largest) largest = -value;
    }
    into.writeFloatLE(largest / 127, at);
    // A multiply, not a divide, per value: this loop runs for every stored vector.
    const inverse = largest > 0 ? 127 / largest : 0;
    const values = new Int8Array(into.buffer, into.byteOffset + at + 4, dim);
    for (let j = 0; j < dim; j++) values[j] = Math.round(vector[j]! * inverse);
  }

  /**
   * A scorer of photos against `q` (unit, dim values): <q, v> from a photo's record. One at a
   * time, since the search stops at the first candidate whose bound cannot beat the k-th score.
   * The query stays in the kernels' memory until the next scorer is made.
   */
  scorer(q: Float32Array): EightBitScorer {
    const { dim, recordBytes, record, kernels, recordAt, scoreAt, paddedDim } = this;
    const query = new Float32Array(kernels.memory.buffer, 0, paddedDim);
    query.fill(0);
    query.set(q.subarray(0, dim));
    const scale = new Float32Array(kernels.memory.buffer, recordAt, 1);
    const score = new Float32Array(kernels.memory.buffer, scoreAt, 1);
    return (photoId) => {
      const at = HEADER + photoId * recordBytes;
      if (this.mirror && at + recordBytes <= this.mirror.length) this.mirror.copy(record, 0, at, at + recordBytes);
      else if (fs.readSync(this.fd, record, 0, recordBytes, at) !== recordBytes) return null;
      if (!(scale[0]! > 0)) return null;
      kernels.dotsInt8(recordAt, 1, recordBytes, paddedDim, 0, scoreAt);
      return score[0]!;
    };
  }
}
