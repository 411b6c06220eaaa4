import type { Db } from '../db/database.js';
import type { VectorStore } from './vector-store.js';

/**
 * Which ranked photos actually match a query: a cut-off taken from this query's own score
 * distribution, because CLIP cosines have no fixed scale (text-to-image ~0.15-0.35 for ViT-B/32,
 * other ranges for other models; image-to-image 0.5-0.95).
 *
 * 1. Background: the query is scored against a fixed random sample of the library's stored
 *    vectors (SAMPLE_SIZE of them; the whole library when it is smaller). Almost every photo in a
 *    library is unrelated to a given query, so the sample says what "unrelated" scores are for
 *    this query and this model.
 * 2. Its centre and spread are read from the LOWER part of the sample (5th and 40th percentiles,
 *    as a normal distribution places them), not from its mean and standard deviation: the matches
 *    sit in the upper tail and would inflate both, and a library where many photos match ("beach"
 *    in a summer's photos) would otherwise have nothing stand out. It holds up to about a quarter
 *    of the library matching; past a half, the matches are the background and few stand out. The spread has a floor
 *    (SPREAD_FLOOR, in cosine) so that a query scoring every photo alike (a word the model does not
 *    know) does not turn differences of 0.001 into z-scores.
 * 3. A result is relevant when its z-score is at least MIN_Z (more in a large library: see
 *    CHANCE_HITS), and at least TAIL_RATIO of the best
 *    result's (a long flat tail of weak look-alikes behind a clear match is dropped). The best
 *    two are kept whenever they stand out (that same minimum z) and reach a quarter of the best's z. When none does, nothing is relevant,
 *    and the answer says so (the ranked photos are still there, as "less alike").
 */

/**
 * How many stored vectors make the background: 1024 reads cost ~50 ms at 100k photos, once until
 * the library changes, and pin the spread to about ±4 % (384 left it ±9 %, which at z 4.3 let
 * dozens of chance photos through).
 */
const SAMPLE_SIZE = 1024;
/** Below this many embedded photos there is no background to speak of: every result counts. */
const MIN_BACKGROUND = 6;
/** How many spreads above the background centre a result must score, at least... */
export const MIN_Z = 3;
/**
 * ...and more in a large library, where chance alone puts some unrelated photos far out: the z
 * above which about CHANCE_HITS of `libraryCount` unrelated photos would land if their scores were
 * normal (z 3.9 at 10k photos, 4.3 at 100k, 4.8 at 1M). On 100k random vectors, a fixed z 3 kept
 * ~130 photos for every query.
 */
const CHANCE_HITS = 1;
/** ...and what fraction of the best result's z-score. */
const TAIL_RATIO = 0.5;
/** The best this many results are kept whenever they stand out (z >= MIN_Z) and are not negligible next to the best (z >= KEEP_RATIO of its). */
export const ALWAYS_KEEP = 2;
const KEEP_RATIO = 0.25;
/** Smallest spread (cosine) the background is given: differences below it mean nothing in any CLIP. */
export const SPREAD_FLOOR = 0.01;

/** Standard-normal quantiles at 5 % and 40 %. */
const Z05 = -1.6449;
const Z40 = -0.2533;

export interface Background {
  /** The score of a typical unrelated photo for this query. */
  centre: number;
  /** How much unrelated photos' scores vary around it (cosine, at least SPREAD_FLOOR). */
  spread: number;
  /** How many stored vectors were scored. */
  sampled: number;
}

export interface Cutoff extends Background {
  /** The score a result needs to count as relevant (null: nothing stands out, so none does). */
  threshold: number | null;
}

export interface Relevance {
  /** How many of the ranked results match (they come first). */
  relevant: number;
  /** How the cut was made; null when the library is too small to have a background (every result counts). */
  cutoff: Cutoff | null;
}

function quantile(sorted: Float64Array, q: number): number {
  const position = q * (sorted.length - 1);
  const low = Math.floor(position);
  const high = Math.min(sorted.length - 1, low + 1);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (position - low);
}

/** The background of a set of scores (robust: see the module comment). */
export function backgroundOf(scores: ArrayLike<number>): Background {
  const sorted = Float64Array.from(scores).sort();
  const q05 = quantile(sorted, 0.05);
  const q40 = quantile(sorted, 0.4);
  const spread = Math.max(SPREAD_FLOOR, (q40 - q05) / (Z40 - Z05));
  return { centre: q40 - Z40 * spread, spread, sampled: sorted.length };
}

/**
 * The z-score that a standard normal exceeds with probability `p` (upper tail, p <= 0.5):
 * Abramowitz & Stegun 26.2.23, absolute error under 4.5e-4.
 */
function upperTailZ(p: number): number {
  const t = Math.sqrt(-2 * Math.log(p));
  return t - (2.515517 + 0.802853 * t + 0.010328 * t * t) / (1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t);
}

/** The z a result needs in a library of `libraryCount` photos (MIN_Z, or more where chance reaches further). */
export function minimumZ(libraryCount: number): number {
  return libraryCount > 2 * CHANCE_HITS ? Math.max(MIN_Z, upperTailZ(CHANCE_HITS / libraryCount)) : MIN_Z;
}

/**
 * How many of `ranked` (scores best first) are relevant against `background`, and the threshold
 * used; `libraryCount` (the photos the search ranked from) raises the bar in large libraries.
 */
export function cutRanked(ranked: readonly number[], background: Background, libraryCount = 0): Relevance {
  const z = (score: number) => (score - background.centre) / background.spread;
  const minZ = minimumZ(libraryCount);
  const best = ranked.length > 0 ? z(ranked[0]!) : -Infinity;
  if (best < minZ) return { relevant: 0, cutoff: { ...background, threshold: null } };
  const threshold = background.centre + Math.max(minZ, TAIL_RATIO * best) * background.spread;
  const keep = Math.max(minZ, KEEP_RATIO * best);
  let relevant = 0;
  while (relevant < ranked.length && (ranked[relevant]! >= threshold || (relevant < ALWAYS_KEEP && z(ranked[relevant]!) >= keep))) relevant++;
  return { relevant, cutoff: { ...background, threshold: round(threshold) } };
}

function round(value: number): number {
  return Math.round(value * 1e4) / 1e4;
}

function dot(a: Float32Array, b: Float32Array | readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

/** mulberry32: a seeded generator, so one library gives the same sample (and the same cut) every time. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Sample {
  /** The vector count the sample was drawn at: another count means the library changed. */
  count: number;
  vectors: Float32Array[];
}

/** One sample per database and model, drawn again when the number of stored vectors changes. */
const samples = new WeakMap<Db, Map<string, Sample>>();

/**
 * Up to SAMPLE_SIZE stored vectors of visible photos: all of them in a small library, else photos
 * drawn at random (a fixed seed) among the ids, read one by one with `VectorStore.get`.
 */
function backgroundSample(db: Db, modelId: string, vectors: VectorStore): Float32Array[] {
  const count = vectors.count();
  let perDb = samples.get(db);
  if (!perDb) samples.set(db, (perDb = new Map()));
  const cached = perDb.get(modelId);
  if (cached && cached.count === count) return cached.vectors;
  let drawn: Float32Array[] = [];
  if (count <= SAMPLE_SIZE) {
    const ids = db.prepare(`SELECT id FROM photos WHERE orphaned_at IS NULL`).pluck().all() as number[];
    drawn = ids.flatMap((id) => vectors.get(id) ?? []);
  } else {
    const maxId = (db.prepare(`SELECT max(id) FROM photos`).pluck().get() as number | null) ?? 0;
    const visible = db.prepare(`SELECT 1 FROM photos WHERE id = ? AND orphaned_at IS NULL`).pluck();
    const random = seeded(0x1715);
    const seen = new Set<number>();
    for (let tries = 0; drawn.length < SAMPLE_SIZE && tries < SAMPLE_SIZE * 8; tries++) {
      const id = 1 + Math.floor(random() * maxId);
      if (seen.has(id)) continue;
      seen.add(id);
      const vector = visible.get(id) ? vectors.get(id) : undefined;
      if (vector) drawn.push(vector);
    }
  }
  perDb.set(modelId, { count, vectors: drawn });
  return drawn;
}

/**
 * The background of `query` in this library, or null when there are too few photos to have one.
 * (A "find similar" photo in its own sample scores 1: the lower percentiles do not see it.)
 */
export function queryBackground(db: Db, modelId: string, vectors: VectorStore, query: Float32Array): Background | null {
  const sample = backgroundSample(db, modelId, vectors);
  if (sample.length < MIN_BACKGROUND) return null;
  const norm = Math.sqrt(dot(query, query)) || 1;
  return backgroundOf(sample.map((vector) => dot(query, vector) / norm));
}
