import { type Kernels, newKernels } from './kernels.js';

/**
 * The index's coarse quantizer: K centroids ("leaves") that every vector is stored relative to,
 * found by k-means in two levels (about √K top cells, each split in proportion to its share of
 * the sample), so that assigning a vector costs ~2√K dot products instead of K: what keeps
 * inserts and index builds fast at a million photos.
 *
 * It is not used to skip parts of the library: on queries that leave the photos' cone (typed
 * sentences) the cells nearest the query often miss the true neighbours (measured: 20-70 % of a
 * clustered library had to be probed to find them). It only makes the residuals that the codes
 * carry smaller, so the codes estimate scores more precisely, and it gives every vector a
 * full-precision part of its score, <q, leaf centre>, for free.
 */
export class CoarseQuantizer {
  private readonly kernels: Kernels;
  /** Byte offsets in the kernels' memory. */
  private readonly topAt: number;
  private readonly leavesAt: number;
  private readonly queryAt: number;
  private readonly outAt: number;
  private readonly topHalfNorms: Float32Array;
  private readonly leafHalfNorms: Float32Array;

  private constructor(
    readonly dim: number,
    top: Float32Array,
    leaves: Float32Array,
    /** Per top cell: its first leaf and how many it has (leaves of a cell are contiguous). */
    readonly leafStart: Int32Array,
    readonly leafCount: Int32Array,
  ) {
    const topCount = leafStart.length;
    const leafCountAll = leaves.length / dim;
    this.topAt = 0;
    this.leavesAt = top.byteLength;
    this.queryAt = this.leavesAt + leaves.byteLength;
    this.outAt = this.queryAt + dim * 4;
    this.kernels = newKernels(this.outAt + Math.max(topCount, leafCountAll) * 4);
    this.view(this.topAt, top.length).set(top);
    this.view(this.leavesAt, leaves.length).set(leaves);
    this.topHalfNorms = halfNorms(top, dim);
    this.leafHalfNorms = halfNorms(leaves, dim);
  }

  private view(at: number, length: number): Float32Array {
    return new Float32Array(this.kernels.memory.buffer, at, length);
  }

  get leafCountTotal(): number {
    return this.leafHalfNorms.length;
  }

  get top(): Float32Array {
    return this.view(this.topAt, this.leafStart.length * this.dim);
  }

  get leaves(): Float32Array {
    return this.view(this.leavesAt, this.leafCountTotal * this.dim);
  }

  get bytes(): number {
    return this.kernels.memory.buffer.byteLength + (this.topHalfNorms.byteLength + this.leafHalfNorms.byteLength + this.leafStart.byteLength * 2);
  }

  static restore(dim: number, top: Float32Array, leaves: Float32Array, leafStart: Int32Array, leafCount: Int32Array): CoarseQuantizer {
    return new CoarseQuantizer(dim, top, leaves, leafStart, leafCount);
  }

  /** Trains about `k` leaves on `sample` (n × dim unit vectors). */
  static train(sample: Float32Array, dim: number, k: number, rand: () => number): CoarseQuantizer {
    const n = sample.length / dim;
    const topCount = Math.max(1, Math.min(n, Math.round(Math.sqrt(k))));
    const scratch = new KMeansScratch(dim, Math.max(topCount, Math.ceil(k / topCount) * 4));
    const { centroids: top, assignment } = scratch.kmeans(sample, topCount, rand);
    const leafStart = new Int32Array(topCount);
    const leafCount = new Int32Array(topCount);
    const parts: Float32Array[] = [];
    let leaves = 0;
    for (let t = 0; t < topCount; t++) {
      const members: number[] = [];
      for (let i = 0; i < n; i++) if (assignment[i] === t) members.push(i);
      const cell = new Float32Array(members.length * dim);
      members.forEach((i, m) => cell.set(sample.subarray(i * dim, (i + 1) * dim), m * dim));
      const want = Math.max(1, Math.min(members.length, Math.round((k * members.length) / n)));
      const centroids = members.length === 0 ? top.slice(t * dim, (t + 1) * dim) : scratch.kmeans(cell, want, rand).centroids;
      leafStart[t] = leaves;
      leafCount[t] = centroids.length / dim;
      leaves += leafCount[t]!;
      parts.push(centroids);
    }
    const all = new Float32Array(leaves * dim);
    let at = 0;
    for (const part of parts) {
      all.set(part, at);
      at += part.length;
    }
    return new CoarseQuantizer(dim, top, all, leafStart, leafCount);
  }

  /** The nearest leaf (by the two-level descent) of a unit vector. */
  assign(x: Float32Array): number {
    const { dim, kernels } = this;
    this.view(this.queryAt, dim).set(x);
    const topCount = this.leafStart.length;
    kernels.dots(this.topAt, topCount, dim, this.queryAt, this.outAt);
    const t = argmaxMinus(this.view(this.outAt, topCount), this.topHalfNorms, 0);
    const first = this.leafStart[t]!;
    const count = this.leafCount[t]!;
    kernels.dots(this.leavesAt + first * dim * 4, count, dim, this.queryAt, this.outAt);
    return first + argmaxMinus(this.view(this.outAt, count), this.leafHalfNorms, first);
  }

  /** <q, leaf centre> for every leaf, into `out`. */
  scores(q: Float32Array, out: Float32Array): void {
    this.view(this.queryAt, this.dim).set(q);
    this.kernels.dots(this.leavesAt, this.leafCountTotal, this.dim, this.queryAt, this.outAt);
    out.set(this.view(this.outAt, this.leafCountTotal));
  }
}

function halfNorms(rows: Float32Array, dim: number): Float32Array {
  const out = new Float32Array(rows.length / dim);
  for (let c = 0; c < out.length; c++) {
    let sum = 0;
    for (let j = c * dim; j < (c + 1) * dim; j++) sum += rows[j]! * rows[j]!;
    out[c] = sum / 2;
  }
  return out;
}

/** argmax over c of scores[c] - halfNorms[offset + c]: the nearest centre in L2. */
function argmaxMinus(scores: Float32Array, halfNorms: Float32Array, offset: number): number {
  let best = 0;
  let bestValue = -Infinity;
  for (let c = 0; c < scores.length; c++) {
    const value = scores[c]! - halfNorms[offset + c]!;
    if (value > bestValue) {
      bestValue = value;
      best = c;
    }
  }
  return best;
}

const KMEANS_ROUNDS = 6;

/** Lloyd's k-means with the dots kernel, for up to `maxK` centroids of `dim`. */
class KMeansScratch {
  private readonly kernels: Kernels;
  private readonly queryAt: number;
  private readonly outAt: number;

  constructor(private readonly dim: number, private readonly maxK: number) {
    this.queryAt = maxK * dim * 4;
    this.outAt = this.queryAt + dim * 4;
    this.kernels = newKernels(this.outAt + maxK * 4);
  }

  kmeans(points: Float32Array, wanted: number, rand: () => number): { centroids: Float32Array; assignment: Int32Array } {
    const { dim, kernels } = this;
    const n = points.length / dim;
    const k = Math.max(1, Math.min(wanted, n, this.maxK));
    const centroids = new Float32Array(kernels.memory.buffer, 0, k * dim);
    // Start from k distinct sample points (a partial Fisher-Yates shuffle).
    const order = Int32Array.from({ length: n }, (_, i) => i);
    for (let c = 0; c < k; c++) {
      const pick = c + Math.floor(rand() * (n - c));
      [order[c], order[pick]] = [order[pick]!, order[c]!];
      centroids.set(points.subarray(order[c]! * dim, (order[c]! + 1) * dim), c * dim);
    }
    const assignment = new Int32Array(n);
    const sums = new Float64Array(k * dim);
    const counts = new Int32Array(k);
    const query = new Float32Array(kernels.memory.buffer, this.queryAt, dim);
    const out = new Float32Array(kernels.memory.buffer, this.outAt, k);
    for (let round = 0; round < KMEANS_ROUNDS; round++) {
      const half = halfNorms(centroids, dim);
      sums.fill(0);
      counts.fill(0);
      for (let i = 0; i < n; i++) {
        const point = points.subarray(i * dim, (i + 1) * dim);
        query.set(point);
        kernels.dots(0, k, dim, this.queryAt, this.outAt);
        const c = argmaxMinus(out, half, 0);
        assignment[i] = c;
        counts[c]!++;
        for (let j = 0; j < dim; j++) sums[c * dim + j]! += point[j]!;
      }
      for (let c = 0; c < k; c++) {
        if (counts[c] === 0) {
          // An empty cell takes a random point, so that no centroid is wasted.
          const i = Math.floor(rand() * n);
          centroids.set(points.subarray(i * dim, (i + 1) * dim), c * dim);
          continue;
        }
        for (let j = 0; j < dim; j++) centroids[c * dim + j] = sums[c * dim + j]! / counts[c]!;
      }
    }
    return { centroids: centroids.slice(), assignment };
  }
}
