import fs from 'node:fs';
import path from 'node:path';
import { CoarseQuantizer } from './coarse.js';
import { type IndexShape, QuantizedIndex } from './quantized-index.js';

/**
 * The in-memory index saved beside the library (`vector-index/<table>.ivx` next to iris.db), so
 * that a restart loads it in a fraction of a second instead of rebuilding it (about 10 s at a
 * million photos). It is a cache: sqlite-vec stays the store of record, and a snapshot is used only
 * when it names the same table (and the same creation of it), its change-log position is still
 * covered by the log, and it reads back whole; anything else is rebuilt.
 *
 * Layout: "IRISVIX1", a u32 header length, the header (JSON), then the arrays in header order,
 * each starting on an 8-byte boundary, little-endian as the machine is (the file is local).
 */

const MAGIC = 'IRISVIX1';
const FORMAT = 2;

export interface SnapshotHeader {
  format: number;
  table: string;
  /** embedding_models.created_at of the table: a forgotten and re-created table is another. */
  tableCreatedAt: number;
  /** The change-log position the index is in step with. */
  seq: number;
  shape: IndexShape;
  topCount: number;
  leafCount: number;
  size: number;
  capacity: number;
}

type Typed = Float32Array | Int32Array | Uint8Array | Uint16Array;

const align8 = (n: number) => Math.ceil(n / 8) * 8;

export function snapshotPath(dbFile: string, table: string): string | null {
  if (!dbFile || dbFile === ':memory:') return null;
  return path.join(path.dirname(path.resolve(dbFile)), 'vector-index', `${table}.ivx`);
}

/** Writes the snapshot atomically (a temporary file renamed over the old one). */
export function writeSnapshot(file: string, header: Omit<SnapshotHeader, 'format' | 'shape' | 'topCount' | 'leafCount' | 'size' | 'capacity'>, index: QuantizedIndex): void {
  const arrays = index.arrays();
  const coarse = index.coarse;
  const full: SnapshotHeader = {
    ...header,
    format: FORMAT,
    shape: index.shape,
    topCount: coarse.leafStart.length,
    leafCount: coarse.leafCountTotal,
    size: index.size,
    capacity: index.capacity,
  };
  const parts: Typed[] = [arrays.signs, coarse.top, coarse.leaves, coarse.leafStart, coarse.leafCount, arrays.codes, arrays.clusters, arrays.gains, arrays.widths, arrays.ids];
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
  const fd = fs.openSync(temporary, 'w');
  try {
    const json = Buffer.from(JSON.stringify(full), 'utf8');
    const head = Buffer.alloc(align8(12 + json.length));
    head.write(MAGIC, 0, 'latin1');
    head.writeUInt32LE(json.length, 8);
    json.copy(head, 12);
    fs.writeSync(fd, head);
    for (const part of parts) {
      const bytes = Buffer.from(part.buffer, part.byteOffset, part.byteLength);
      fs.writeSync(fd, bytes);
      const pad = align8(bytes.length) - bytes.length;
      if (pad > 0) fs.writeSync(fd, Buffer.alloc(pad));
    }
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temporary, file);
}

/**
 * The snapshot's index, or null when there is none or it does not fit `expect` (another table,
 * another width, a newer format, a truncated file). `seq` is checked by the caller, which knows
 * the change log.
 */
export function readSnapshot(file: string, expect: { table: string; tableCreatedAt: number; dim: number }): { header: SnapshotHeader; index: QuantizedIndex } | null {
  let data: Buffer;
  try {
    data = fs.readFileSync(file);
  } catch {
    return null;
  }
  if (data.length < 12 || data.toString('latin1', 0, 8) !== MAGIC) return null;
  const jsonLength = data.readUInt32LE(8);
  let header: SnapshotHeader;
  try {
    header = JSON.parse(data.toString('utf8', 12, 12 + jsonLength)) as SnapshotHeader;
  } catch {
    return null;
  }
  if (header.format !== FORMAT || header.table !== expect.table || header.tableCreatedAt !== expect.tableCreatedAt || header.shape.dim !== expect.dim) return null;
  let at = align8(12 + jsonLength);
  const take = <T extends Typed>(make: new (buffer: ArrayBuffer, offset: number, length: number) => T, length: number, bytesEach: number): T | null => {
    if (at + length * bytesEach > data.length) return null;
    // A copy into its own aligned buffer: the file buffer's offsets need not be aligned.
    const copy = new Uint8Array(length * bytesEach);
    copy.set(data.subarray(at, at + length * bytesEach));
    at = align8(at + length * bytesEach);
    return new make(copy.buffer, 0, length);
  };
  const { dim } = header.shape;
  const geometry = QuantizedIndex.geometry(dim);
  const signs = take(Float32Array, geometry.signs, 4);
  const top = take(Float32Array, header.topCount * dim, 4);
  const leaves = take(Float32Array, header.leafCount * dim, 4);
  const leafStart = take(Int32Array, header.topCount, 4);
  const leafCount = take(Int32Array, header.topCount, 4);
  const codes = take(Uint8Array, Math.ceil(header.size / 16) * 16 * geometry.codeBytes, 1);
  const clusters = take(Uint16Array, header.size, 2);
  const gains = take(Float32Array, header.size, 4);
  const widths = take(Uint8Array, header.size, 1);
  const ids = take(Int32Array, header.size, 4);
  if (!signs || !top || !leaves || !leafStart || !leafCount || !codes || !clusters || !gains || !widths || !ids) return null;
  const coarse = CoarseQuantizer.restore(dim, top, leaves, leafStart, leafCount);
  const index = new QuantizedIndex(header.shape, coarse, signs, Math.max(header.capacity, header.size));
  index.restore({ codes, clusters, gains, widths, ids });
  return { header, index };
}
