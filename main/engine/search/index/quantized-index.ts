import { CoarseQuantizer } from './coarse.js';
import { type Kernels, newKernels } from './kernels.js';
import { runScan, type ScanArgs } from './scan-protocol.js';
import { ScanThread } from './scan-thread.js';

/**
 * The in-memory first pass of vector search above INDEX_MIN_VECTORS: every vector as a compact
 * code from which an UPPER BOUND on its cosine with any query can be computed, all of them scanned
 * per query, and only the vectors whose bound can still beat the k-th best exact score read back
 * and scored exactly (by the caller, from sqlite-vec, the store of record). The method is
 * IVF-RaBitQ's (Gao & Long, SIGMOD 2024, with Gao et al.'s extended codes) in a form that fits
 * 128 MiB at a million 512-d photos:
 *
 * - A vector x (unit) is stored as its nearest coarse centre c (coarse.ts) and its residual
 *   r = x - c, rotated by a random orthogonal map (sign flips and Walsh-Hadamard transforms, three
 *   rounds: O(d log d), and after it every coordinate carries about the same share of |r|).
 * - The rotated residual is quantised per coordinate: 2 bits (sign and "large") for the first
 *   three quarters of the coordinates, the sign alone for the rest (Lloyd-Max levels for a
 *   Gaussian, ±0.4528 / ±1.510 and ±0.798 standard deviations): 1.75 bits a dimension, 112 bytes
 *   at 512-d. With 2 bits everywhere the codes alone would be 128 MB at a million.
 * - The score <q, x> = <q, c> + <q, r> is estimated as <q, c> (exact: one dot product per centre
 *   per query) + g·<Rq, x̄> (x̄ the code's levels, g = |r|²/<x̄, Rr>: RaBitQ's unbiased
 *   estimator). Its error is nearly Gaussian with a standard deviation of g·h/√(d-1), where h
 *   (how far the code's direction is from the residual's) is kept per vector in a byte; the bound
 *   adds MARGIN of those. The first pass never
 *   reduces the query to bits: <Rq, x̄> is summed from per-query tables of 16 float entries per
 *   4-bit group of the code, quantised to 8 bits (the FastScan layout of faiss and RaBitQ: 16
 *   codes side by side, looked up 16 at a time by a SIMD byte shuffle; kernels.wat).
 *
 * Why not a graph (HNSW, as hnswlib, usearch and faiss offer): a graph needs the full vectors or
 * large codes plus ~128-256 bytes of links per vector (over the memory goal), and a graph walk
 * built from the photos' own neighbourhoods loses recall on queries that sit apart from them,
 * which every typed sentence does (CLIP's modality gap; RoarGraph, VLDB 2024). A full scan of
 * codes does not care where the query is. Why not probing only the nearest IVF cells: see
 * coarse.ts. Why not sqlite-vec's own quantised columns: its KNN cannot take a float query
 * against bit codes with a per-vector correction, and it selects per chunk in O(k·chunk).
 */

const LEVEL_LOW = 0.4528;
const LEVEL_HIGH = 1.51;
const LEVEL_SIGN = 0.7979;
/** |u| above SPLIT standard deviations takes the high level. */
const SPLIT = 0.9816;
const ROTATION_ROUNDS = 3;
/** Codes are laid out 16 slots to a block (one SIMD register of bytes). */
const BLOCK = 16;
/** Standard deviations of estimation error added to make a bound (one-sided miss ≈ 0.6 %; measured recall@10 ≥ 0.998 mean on every hostile query set, and half the reads of 3). */
export const MARGIN = 2.5;
/**
 * From `minSlots` slots the full scan is shared with the scan thread (scan-thread.ts): below it the
 * hand-over (≈20-50 µs) costs more than sharing saves. The threads claim `chunkBlocks` blocks at a
 * time (8,192 slots, ~0.1 ms of scanning): small enough that a thread that falls behind leaves
 * little to wait for, large enough that claiming costs nothing. Tests lower both.
 */
export const parallelScan = { minSlots: 65_536, chunkBlocks: 512 };

/** What a snapshot holds (snapshot.ts), besides the coarse quantizer. */
export interface IndexArrays {
  signs: Float32Array;
  codes: Uint8Array;
  clusters: Uint16Array;
  gains: Float32Array;
  widths: Uint8Array;
  ids: Int32Array;
}

export interface IndexShape {
  dim: number;
  /** Vectors the coarse quantizer was trained among (the store retrains at four times as many). */
  trainedOn: number;
}

const nextPowerOfTwo = (n: number) => 2 ** Math.ceil(Math.log2(n));
const roundUp = (value: number, to: number) => Math.ceil(value / to) * to;

/** Bytes of a slot bitmap for `capacity` slots, whole blocks of 16 (the scan reads a block's bits). */
function filterBytes(capacity: number): number {
  return roundUp(capacity, BLOCK) / 8 + 16;
}

export class QuantizedIndex {
  /** Coordinates after padding to a power of two for the transform. */
  readonly padded: number;
  /** Coordinates quantised with 2 bits (the rest with 1). */
  readonly twoBit: number;
  /** 4-bit groups per code, and code bytes (two groups a byte). */
  readonly groups: number;
  readonly codeBytes: number;
  private kernels!: Kernels;
  capacity = 0;
  /** Slots in use, dead ones (photo id 0) included. */
  size = 0;
  live = 0;
  ids = new Int32Array(0);
  /** photo id → slot + 1 (0: none). Photo ids are dense integers, so an array beats a Map. */
  private slotOf = new Int32Array(0);
  buildMs = 0;
  /** Scratch for rotations and residuals (plain typed arrays; see rotate). */
  private readonly work: Float32Array;
  private readonly residual: Float32Array;
  // Byte offsets in the kernels' memory; see layout().
  private codesAt = 0;
  private clusterAt = 0;
  private gainAt = 0;
  private widthAt = 0;
  private cstAt = 0;
  private lutAt = 0;
  private rotAt = 0;
  private outSlotsAt = 0;
  private outBoundsAt = 0;
  /** The scan thread's output region (its chunks of a shared scan). */
  private outSlots2At = 0;
  private outBounds2At = 0;
  /** A search's slot filter (a bitmap, bit slot & 7 of byte slot >> 3), for the scan to keep only those slots. */
  private filterAt = 0;
  private outCap = 0;

  constructor(
    readonly shape: IndexShape,
    readonly coarse: CoarseQuantizer,
    /** ROTATION_ROUNDS × padded random signs (±1). */
    readonly signs: Float32Array,
    capacity: number,
  ) {
    ({ padded: this.padded, twoBit: this.twoBit, groups: this.groups, codeBytes: this.codeBytes } = QuantizedIndex.geometry(shape.dim));
    this.work = new Float32Array(this.padded);
    this.residual = new Float32Array(shape.dim);
    this.layout(capacity);
  }

  /** The code's geometry for vectors of `dim`. */
  static geometry(dim: number): { padded: number; twoBit: number; groups: number; codeBytes: number; signs: number } {
    const padded = nextPowerOfTwo(Math.max(64, dim));
    const twoBit = (padded * 3) / 4;
    const groups = twoBit / 2 + (padded - twoBit) / 4;
    return { padded, twoBit, groups, codeBytes: groups / 2, signs: ROTATION_ROUNDS * padded };
  }

  static randomSigns(dim: number, rand: () => number): Float32Array {
    return Float32Array.from({ length: QuantizedIndex.geometry(dim).signs }, () => (rand() < 0.5 ? -1 : 1));
  }

  /** The vector width this index can take: a multiple of 16 (the SIMD kernels), at least 64. */
  static supports(dim: number): boolean {
    return dim >= 64 && dim % 16 === 0;
  }

  get dead(): number {
    return this.size - this.live;
  }

  /** Bytes held: the kernels' memory, the coarse quantizer and the id maps. */
  get memoryBytes(): number {
    return this.kernels.memory.buffer.byteLength + this.coarse.bytes + this.ids.byteLength + this.slotOf.byteLength + this.signs.byteLength;
  }

  /**
   * (Re)lays out the kernels' memory for `capacity` slots, copying what is there: codes, per slot
   * cluster (u16), gain (f32) and width (u8); then per query the centres' scores, the tables, the rotated
   * query and the first pass's output (a sixteenth of the slots, at least 32k), twice: one region
   * per scanning thread.
   */
  private layout(capacity: number): void {
    capacity = roundUp(Math.max(capacity, BLOCK), BLOCK);
    const old = this.capacity > 0 ? { kernels: this.kernels, codesAt: this.codesAt, clusterAt: this.clusterAt, gainAt: this.gainAt, widthAt: this.widthAt } : null;
    const leaves = this.coarse.leafCountTotal;
    const codesAt = 0;
    const clusterAt = roundUp(codesAt + capacity * this.codeBytes, 16);
    const gainAt = roundUp(clusterAt + capacity * 2, 16);
    const widthAt = roundUp(gainAt + capacity * 4, 16);
    const cstAt = roundUp(widthAt + capacity + 16, 16);
    const lutAt = roundUp(cstAt + leaves * 4, 16);
    const rotAt = roundUp(lutAt + this.codeBytes * 32, 16);
    const outCap = Math.max(32_768, Math.ceil(capacity / 16));
    const outSlotsAt = roundUp(rotAt + this.padded * 4, 16);
    const outBoundsAt = outSlotsAt + outCap * 4;
    const outSlots2At = outBoundsAt + outCap * 4;
    const outBounds2At = outSlots2At + outCap * 4;
    const filterAt = roundUp(outBounds2At + outCap * 4, 16);
    const kernels = newKernels(filterAt + filterBytes(capacity));
    if (old) {
      const bytes = new Uint8Array(kernels.memory.buffer);
      const from = new Uint8Array(old.kernels.memory.buffer);
      bytes.set(from.subarray(old.codesAt, old.codesAt + roundUp(this.size, BLOCK) * this.codeBytes), codesAt);
      bytes.set(from.subarray(old.clusterAt, old.clusterAt + this.size * 2), clusterAt);
      bytes.set(from.subarray(old.gainAt, old.gainAt + this.size * 4), gainAt);
      bytes.set(from.subarray(old.widthAt, old.widthAt + this.size), widthAt);
    }
    Object.assign(this, { kernels, codesAt, clusterAt, gainAt, widthAt, cstAt, lutAt, rotAt, outSlotsAt, outBoundsAt, outSlots2At, outBounds2At, filterAt, outCap });
    const ids = new Int32Array(capacity);
    ids.set(this.ids.subarray(0, this.size));
    this.ids = ids;
    this.capacity = capacity;
  }

  private get memory(): ArrayBuffer {
    return this.kernels.memory.buffer;
  }

  /** The slot of a photo's vector, or -1. */
  slot(photoId: number): number {
    return photoId < this.slotOf.length ? this.slotOf[photoId]! - 1 : -1;
  }

  /**
   * Rotates a vector (zero-padded to `padded`): ROTATION_ROUNDS × (random signs, Walsh-Hadamard),
   * scaled to stay orthonormal. Returns this.work (overwritten by the next call). The element
   * loops run on a plain typed array and only the transform on the kernels' memory: V8 reads and
   * writes views of WebAssembly memory several times slower in a hot loop (measured here).
   */
  private rotate(vector: Float32Array): Float32Array {
    const { padded, work } = this;
    const shared = new Float32Array(this.memory, this.rotAt, padded);
    work.set(vector);
    work.fill(0, vector.length);
    const scale = 1 / Math.sqrt(padded);
    for (let round = 0; round < ROTATION_ROUNDS; round++) {
      const signs = this.signs;
      const from = round * padded;
      for (let j = 0; j < padded; j++) work[j]! *= signs[from + j]! * scale;
      shared.set(work);
      this.kernels.fwht(this.rotAt, padded);
      work.set(shared);
    }
    return work;
  }

  /**
   * Encodes a unit vector into `slot`: its cluster, gain and code. Returns h, the estimator's
   * error scale for this vector (see the file's notes), for the build to calibrate the bound.
   */
  private encode(slot: number, vector: Float32Array): number {
    const { padded, twoBit, codeBytes, shape } = this;
    const cluster = this.coarse.assign(vector);
    const centre = this.coarse.leaves.subarray(cluster * shape.dim, (cluster + 1) * shape.dim);
    const residual = this.residual;
    for (let j = 0; j < shape.dim; j++) residual[j] = vector[j]! - centre[j]!;
    const u = this.rotate(residual);
    let norm2 = 0;
    for (let j = 0; j < padded; j++) norm2 += u[j]! * u[j]!;
    const split = SPLIT * Math.sqrt(norm2 / padded);
    const bytes = new Uint8Array(this.memory);
    // Byte p of this slot's code sits at base + 16·p (the block layout); two groups a byte.
    const base = this.codesAt + (slot >> 4) * codeBytes * BLOCK + (slot & 15);
    let dotLevels = 0;
    let levels2 = 0;
    let low = 0;
    let group = 0;
    for (let j = 0; j < padded; group++) {
      let value = 0;
      if (j < twoBit) {
        for (let i = 0; i < 2; i++, j++) {
          const x = u[j]!;
          const size = x < 0 ? -x : x;
          const high = size > split;
          const level = high ? LEVEL_HIGH : LEVEL_LOW;
          dotLevels += level * size;
          levels2 += level * level;
          value |= ((x > 0 ? 1 : 0) | (high ? 2 : 0)) << (2 * i);
        }
      } else {
        for (let i = 0; i < 4; i++, j++) {
          const x = u[j]!;
          dotLevels += LEVEL_SIGN * (x < 0 ? -x : x);
          if (x > 0) value |= 1 << i;
        }
        levels2 += 4 * LEVEL_SIGN * LEVEL_SIGN;
      }
      if ((group & 1) === 0) low = value;
      else bytes[base + (group >> 1) * BLOCK] = low | (value << 4);
    }
    if (group !== this.groups || codeBytes * 2 !== group) throw new Error('code layout mismatch');
    new Uint16Array(this.memory, this.clusterAt, this.capacity)[slot] = cluster;
    const gain = dotLevels > 0 ? norm2 / dotLevels : 0;
    new Float32Array(this.memory, this.gainAt, this.capacity)[slot] = gain;
    const h = norm2 > 0 ? Math.sqrt(Math.max(0, levels2 - (dotLevels * dotLevels) / norm2)) : 0;
    new Uint8Array(this.memory, this.widthAt, this.capacity)[slot] = Math.min(255, Math.ceil(h / this.widthUnit));
    return h;
  }

  /** Gives `photoId` a slot (a new one at the end if it has none); returns it. */
  private claim(photoId: number): number {
    const existing = this.slot(photoId);
    if (existing >= 0) return existing;
    if (this.size === this.capacity) this.layout(Math.ceil(this.capacity * 1.25));
    if (photoId >= this.slotOf.length) {
      const grown = new Int32Array(Math.max(photoId + 1, Math.ceil(this.slotOf.length * 1.25)));
      grown.set(this.slotOf);
      this.slotOf = grown;
    }
    const slot = this.size++;
    this.ids[slot] = photoId;
    this.slotOf[photoId] = slot + 1;
    this.live++;
    return slot;
  }

  /**
   * h per unit of the width byte: typical h is ~0.3·√padded (measured: 6-8 at 512), stored as
   * ~70-90; 255 stands for ~3× typical. Above it the byte saturates and the bound is short (never
   * seen in the benchmarks' data).
   */
  private get widthUnit(): number {
    return Math.sqrt(this.padded) / 256;
  }

  /** Adds or replaces a photo's (unit) vector; returns h (see encode). */
  upsert(photoId: number, vector: Float32Array): number {
    return this.encode(this.claim(photoId), vector);
  }

  remove(photoId: number): void {
    const slot = this.slot(photoId);
    if (slot < 0) return;
    this.ids[slot] = 0;
    this.slotOf[photoId] = 0;
    this.live--;
  }

  /** Closes the holes left by deletions once they are a tenth of the slots. */
  maybeCompact(): void {
    if (this.dead < Math.max(1024, this.size / 10)) return;
    const bytes = new Uint8Array(this.memory);
    const clusters = new Uint16Array(this.memory, this.clusterAt, this.capacity);
    const gains = new Float32Array(this.memory, this.gainAt, this.capacity);
    const widths = new Uint8Array(this.memory, this.widthAt, this.capacity);
    const address = (slot: number, p: number) => this.codesAt + (slot >> 4) * this.codeBytes * BLOCK + p * BLOCK + (slot & 15);
    let to = 0;
    for (let from = 0; from < this.size; from++) {
      const photoId = this.ids[from]!;
      if (photoId === 0) continue;
      if (to !== from) {
        for (let p = 0; p < this.codeBytes; p++) bytes[address(to, p)] = bytes[address(from, p)]!;
        clusters[to] = clusters[from]!;
        gains[to] = gains[from]!;
        widths[to] = widths[from]!;
        this.ids[to] = photoId;
        this.slotOf[photoId] = to + 1;
      }
      to++;
    }
    this.ids.fill(0, to, this.size);
    // Slots past the end keep stale codes; a zero gain and photo id 0 keep them out of results.
    gains.fill(0, to, roundUp(this.size, BLOCK));
    this.size = to;
  }

  // ---- query

  /**
   * Prepares the kernels for a query (unit vector): the centres' scores, and the tables that sum
   * g·<Rq, x̄> per slot. Returns the scan's scale, offset and the bound's margin (in units of g).
   */
  private prepare(query: Float32Array, margin: number): { delta: number; offset: number; omega: number } {
    const { padded, twoBit, groups } = this;
    this.coarse.scores(query, new Float32Array(this.memory, this.cstAt, this.coarse.leafCountTotal));
    const q = this.rotate(query).slice();
    const entries = new Float32Array(groups * 16);
    let group = 0;
    for (let j = 0; j < twoBit; j += 2, group++) {
      for (let value = 0; value < 16; value++) {
        let sum = 0;
        for (let i = 0; i < 2; i++) {
          const bits = value >> (2 * i);
          sum += q[j + i]! * (bits & 1 ? 1 : -1) * (bits & 2 ? LEVEL_HIGH : LEVEL_LOW);
        }
        entries[group * 16 + value] = sum;
      }
    }
    for (let j = twoBit; j < padded; j += 4, group++) {
      for (let value = 0; value < 16; value++) {
        let sum = 0;
        for (let i = 0; i < 4; i++) sum += q[j + i]! * ((value >> i) & 1 ? LEVEL_SIGN : -LEVEL_SIGN);
        entries[group * 16 + value] = sum;
      }
    }
    // 8-bit tables: each group's entries shifted to start at 0 and scaled by one delta, at most
    // entryMax so that two entries never saturate a byte and all groups never overflow 16 bits.
    const entryMax = Math.min(127, Math.floor(65_535 / groups));
    const mins = new Float32Array(groups);
    let widest = 0;
    let offset = 0;
    for (let g = 0; g < groups; g++) {
      let min = Infinity;
      let max = -Infinity;
      for (let v = 0; v < 16; v++) {
        min = Math.min(min, entries[g * 16 + v]!);
        max = Math.max(max, entries[g * 16 + v]!);
      }
      mins[g] = min;
      offset += min;
      widest = Math.max(widest, max - min);
    }
    const delta = widest > 0 ? widest / entryMax : 1;
    const lut = new Uint8Array(this.memory, this.lutAt, this.codeBytes * 32);
    for (let g = 0; g < groups; g++) {
      const at = (g >> 1) * 32 + (g & 1) * 16;
      for (let v = 0; v < 16; v++) lut[at + v] = Math.round((entries[g * 16 + v]! - mins[g]!) / delta);
    }
    // The margin, per unit of gain: the slot's estimation error (its width byte, h/√(d-1) a
    // standard deviation) and the tables' rounding (uniform, ±delta/2 a group).
    const omega = (margin * this.widthUnit) / Math.sqrt(padded - 1);
    return { delta, offset: offset + margin * delta * Math.sqrt(groups / 12), omega };
  }

  /**
   * Runs the first pass over blocks first, first+step, ...; returns the slots and bounds that
   * reached threshold (at most outCap per scanning thread) and how many did. A full scan of a large
   * index is shared with the scan thread, chunk by chunk.
   */
  private scan(prepared: { delta: number; offset: number; omega: number }, first: number, step: number, threshold: number, filter: number): { count: number; slots: Int32Array; bounds: Float32Array } {
    const end = Math.ceil(this.size / BLOCK);
    const args: ScanArgs = {
      codes: this.codesAt, first, step, end, bytes: this.codeBytes, lut: this.lutAt, cluster: this.clusterAt, cst: this.cstAt,
      gain: this.gainAt, width: this.widthAt, ...prepared, threshold, outSlots: this.outSlotsAt, outBounds: this.outBoundsAt, cap: this.outCap, filter,
    };
    const helper = step === 1 && this.size >= parallelScan.minSlots ? ScanThread.get() : null;
    const shared = helper?.scan(this.kernels, args, { outSlots: this.outSlots2At, outBounds: this.outBounds2At }, parallelScan.chunkBlocks);
    if (shared) {
      const a = this.passed(this.outSlotsAt, this.outBoundsAt, shared.mine);
      const b = this.passed(this.outSlots2At, this.outBounds2At, shared.theirs);
      const slots = new Int32Array(a.slots.length + b.slots.length);
      const bounds = new Float32Array(slots.length);
      slots.set(a.slots);
      slots.set(b.slots, a.slots.length);
      bounds.set(a.bounds);
      bounds.set(b.bounds, a.bounds.length);
      return { count: shared.mine + shared.theirs, slots, bounds };
    }
    const count = runScan(this.kernels, args);
    return { count, ...this.passed(this.outSlotsAt, this.outBoundsAt, count) };
  }

  /** Copies of an output region's slots and bounds (the first min(count, outCap)). */
  private passed(slotsAt: number, boundsAt: number, count: number): { slots: Int32Array; bounds: Float32Array } {
    const written = Math.min(count, this.outCap);
    return { slots: new Int32Array(this.memory, slotsAt, written).slice(), bounds: new Float32Array(this.memory, boundsAt, written).slice() };
  }

  /**
   * Candidates for a query: about `wanted` photos that `accept` takes (deleted slots never), with
   * their bounds, unordered, and the threshold below which every bound was left out: a caller
   * whose k-th score is above it has seen every photo that could beat it. With `below`, only
   * bounds under it (a further pass after the first ran dry). With `filter` (a slot bitmap: bit
   * slot & 7 of byte slot >> 3), the scan itself keeps only its slots; `accept` still decides.
   */
  candidates(
    query: Float32Array,
    wanted: number,
    accept: (photoId: number) => boolean,
    margin = MARGIN,
    below = Infinity,
    filter: Uint8Array | null = null,
  ): { photoIds: Int32Array; bounds: Float32Array; threshold: number } {
    const prepared = this.prepare(query, margin);
    let filterAt = 0;
    if (filter) {
      const region = new Uint8Array(this.memory, this.filterAt, filterBytes(this.capacity));
      region.fill(0);
      region.set(filter.subarray(0, Math.min(filter.length, region.length)));
      filterAt = this.filterAt;
    }
    const blocks = Math.ceil(this.size / BLOCK);
    // A threshold that keeps about 1.5 × wanted, read off a sample of ~2k slots (every step-th block).
    const step = Math.max(1, Math.floor(blocks / 128));
    let threshold = -Infinity;
    if (step > 1) {
      const sample = this.scan(prepared, 0, step, -Infinity, filterAt);
      const accepted = new Float32Array(sample.slots.length);
      let n = 0;
      for (let i = 0; i < sample.slots.length; i++) {
        const photoId = this.ids[sample.slots[i]!]!;
        if (photoId !== 0 && sample.bounds[i]! < below && accept(photoId)) accepted[n++] = sample.bounds[i]!;
      }
      const sampledBlocks = Math.ceil(blocks / step);
      const keep = Math.ceil((1.5 * wanted * sampledBlocks) / blocks);
      // Typed-array sort: numeric and ascending, so the keep-th largest is counted from the end.
      if (n > keep) threshold = accepted.subarray(0, n).sort()[n - 1 - keep]!;
    }
    for (;;) {
      const found = this.scan(prepared, 0, 1, threshold, filterAt);
      if (found.slots.length < found.count) {
        // Far more passed than the sample said (a skewed sample): raise the threshold and look again.
        threshold = found.bounds.slice().sort()[found.bounds.length - 1 - Math.floor(this.outCap / 4)]!;
        continue;
      }
      const photoIds = new Int32Array(found.slots.length);
      const bounds = new Float32Array(found.slots.length);
      let n = 0;
      for (let i = 0; i < found.slots.length; i++) {
        const photoId = this.ids[found.slots[i]!]!;
        if (photoId !== 0 && found.bounds[i]! < below && accept(photoId)) {
          photoIds[n] = photoId;
          bounds[n++] = found.bounds[i]!;
        }
      }
      return { photoIds: photoIds.subarray(0, n), bounds: bounds.subarray(0, n), threshold };
    }
  }

  // ---- snapshots

  arrays(): IndexArrays {
    return {
      signs: this.signs,
      codes: new Uint8Array(this.memory, this.codesAt, roundUp(this.size, BLOCK) * this.codeBytes),
      clusters: new Uint16Array(this.memory, this.clusterAt, this.size),
      gains: new Float32Array(this.memory, this.gainAt, this.size),
      widths: new Uint8Array(this.memory, this.widthAt, this.size),
      ids: this.ids.subarray(0, this.size),
    };
  }

  /** Fills a fresh index (capacity ≥ size) from a snapshot's arrays. */
  restore(arrays: Omit<IndexArrays, 'signs'>): void {
    const size = arrays.ids.length;
    if (size > this.capacity) this.layout(size);
    new Uint8Array(this.memory, this.codesAt, arrays.codes.length).set(arrays.codes);
    new Uint16Array(this.memory, this.clusterAt, size).set(arrays.clusters);
    new Float32Array(this.memory, this.gainAt, size).set(arrays.gains);
    new Uint8Array(this.memory, this.widthAt, size).set(arrays.widths);
    this.ids.set(arrays.ids);
    this.size = size;
    let maxId = 0;
    for (let slot = 0; slot < size; slot++) maxId = Math.max(maxId, arrays.ids[slot]!);
    this.slotOf = new Int32Array(maxId + 1);
    this.live = 0;
    for (let slot = 0; slot < size; slot++) {
      const photoId = arrays.ids[slot]!;
      if (photoId === 0) continue;
      this.slotOf[photoId] = slot + 1;
      this.live++;
    }
  }
}
