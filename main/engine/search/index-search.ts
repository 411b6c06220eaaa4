import type { QuantizedIndex } from './index/quantized-index.js';
import { BoundHeap, TopK, type VectorHit } from './ranking.js';

/**
 * The search over the in-memory index (VectorStore's path above INDEX_MIN_VECTORS; the method is
 * in vector-store.ts's notes): a first pass over every code for upper bounds, then candidates
 * scored best bound first until no bound can beat the k-th score, then the best rescored exactly.
 * Where the scores come from is the store's business (ScoreSources).
 */

/** Candidate sets up to this size are scored exactly, without the first pass (≈5-10 µs per read). */
export const EXACT_CANDIDATES = 2_000;
/**
 * Exact reads a search may make after the first pass before it answers with what it has: bounds
 * the latency of a pathological query (measured needs stay in the hundreds; see BENCHMARKS.md).
 */
const MAX_EXACT_READS = 20_000;
/** Candidates beyond k rescored exactly at the end, and the 8-bit scores' error allowance. */
const RESCORED = 5;
const EIGHT_BIT_ERROR = 0.002;

/** Where a search reads scores: exactly (sqlite-vec), from the 8-bit copies (when there are any), and the final exact rescoring. */
export interface ScoreSources {
  exact(photoId: number): number | null;
  eightBit: ((photoId: number) => number | null) | null;
  /** Exact scores for `photoIds`, the k best, best first. */
  rescore(photoIds: number[], k: number): VectorHit[];
}

/**
 * The k best of the index for `q` (unit), among `candidateIds` when given, never `exclude`; and
 * how many candidates were scored after the first pass.
 */
export function searchIndex(
index: QuantizedIndex,
q: Float32Array,
k: number,
candidateIds: readonly number[] | Int32Array | null,
exclude: ReadonlySet<number>,
margin: number,
scores: ScoreSources,
): { hits: VectorHit[]; reads: number } {
  let accept = (photoId: number) => !exclude.has(photoId);
  let population = index.live;
  let filter: Uint8Array | null = null;
  if (candidateIds) {
    // A typed array and a bitmap rather than a Set: a filter can pass hundreds of thousands.
    // (A filter of 100k photos is walked on every query: no Set, no growing array, and the
    // exclusions only looked up when there are some.)
    const allowed = new Uint8Array((index.ids.length >> 3) + 1);
    const checkExcluded = exclude.size > 0;
    let count = 0;
    for (let i = 0; i < candidateIds.length; i++) {
      const photoId = candidateIds[i]!;
      const slot = index.slot(photoId);
      if (slot < 0 || (allowed[slot >> 3]! & (1 << (slot & 7))) !== 0 || (checkExcluded && exclude.has(photoId))) continue;
      allowed[slot >> 3]! |= 1 << (slot & 7);
      count++;
    }
    if (count <= EXACT_CANDIDATES) {
      const wanted: number[] = [];
      for (let slot = 0; slot < index.size; slot++) if ((allowed[slot >> 3]! & (1 << (slot & 7))) !== 0) wanted.push(index.ids[slot]!);
      return { hits: scores.rescore(wanted, k), reads: 0 };
    }
    population = count;
    // The scan keeps only the filter's slots, so its candidates (and the threshold read off its
    // sample) are all photos the filter takes; accept below still checks each one.
    filter = allowed;
    accept = (photoId) => {
      const slot = index.slot(photoId);
      return slot >= 0 && (allowed[slot >> 3]! & (1 << (slot & 7))) !== 0;
    };
  }
  // First-pass candidates: as many as a hard query (a sentence far from every photo) usually
  // reads, since a pass costs a scan of every code whatever it keeps; four times more each
  // further pass.
  let wanted = Math.min(population, Math.max(16 * k, Math.round(4 * Math.sqrt(population))));
  // Candidates are scored from their 8-bit copies where they have one (≈1.5 µs), else exactly;
  // the k + RESCORED best by that score are then rescored exactly. EIGHT_BIT_ERROR is a
  // generous bound on the copies' error (measured ≈ 5e-4 on unit 512-d vectors).
  const pool = new TopK(k + RESCORED);
  const best = new TopK(k);
  let reads = 0;
  let below = Infinity;
  for (;;) {
    const { photoIds, bounds, threshold } = index.candidates(q, wanted, accept, margin, below, filter);
    // Best bound first (a heap: most queries stop after a few dozen): stop at the first bound
    // that cannot beat the k-th score.
    const order = new BoundHeap(bounds);
    let stopped = false;
    for (let i = order.pop(); i >= 0; i = order.pop()) {
      const photoId = photoIds[i]!;
      const bound = bounds[i]!;
      if (best.full && bound < best.worst - EIGHT_BIT_ERROR) {
        stopped = true;
        break;
      }
      const score = scores.eightBit?.(photoId) ?? scores.exact(photoId);
      if (score !== null) {
        pool.offer(photoId, score);
        best.offer(photoId, score);
      }
      reads++;
    }
    // Everything left out of this pass has a bound below its threshold: done when the k-th
    // score is above it (or nothing was left out), else look again below it.
    if (stopped || threshold === -Infinity || (best.full && best.worst - EIGHT_BIT_ERROR >= threshold) || reads >= MAX_EXACT_READS) break;
    below = threshold;
    wanted *= 4;
  }
  return { hits: scores.rescore(pool.sorted().map((hit) => hit.photoId), k), reads };
}
