/**
 * Synthetic CLIP-like vectors for the vector-search benchmark, made to be hostile to the index it
 * measures, and cached as files so that the bench, its child processes and the peers (faiss in
 * Python, hnswlib, usearch) all read the same bytes.
 *
 * Recipe (the numpy prototype it follows: a mixture of Gaussians in a CLIP-like geometry):
 * - a global mean of squared norm 0.45 shared by every vector, so unrelated vectors have a cosine
 *   near 0.45, as CLIP image embeddings do;
 * - variance falling off as 1/rank (a power-law spectrum) in a random DENSE orthonormal basis: not
 *   axis-aligned, and not Hadamard-based, since the index under test rotates with a randomized
 *   Hadamard transform and the data must not share that structure. A full 512×512 rotation per
 *   vector is slow in JS, so the top RANK directions go through a dense random 512×RANK
 *   orthonormal matrix and the rest of the variance is an isotropic tail;
 * - clusters of Zipf-like sizes (exponent 1.1, N/200 clusters: the biggest holds a large share,
 *   the smallest a handful), each with its own spread (×4 range);
 * - two data sets: `clustered` (centre 0.35, spread 0.2) and `diffuse` (centre 0.1, spread 0.45:
 *   most variance within clusters, which attacks partition-based designs).
 * Queries are never inserted: see QUERY_SETS.
 *
 * Files, under .cache/search-bench/ (gitignored): `<key>.f32` holds rows of little-endian float32,
 * unit length, row-major; `<key>.json` is its header (rows, dim, parameters, query sets and their
 * offsets, how long it took). The key spells out every generator parameter, so a change of any of
 * them makes new files rather than reusing stale ones.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from '../helpers/random.js';

const DIM = 512;
/** Spectrum directions carried by the dense random basis; the rest is an isotropic tail. */
const RANK = 128;
/** Bump when the recipe changes, so cached files are not reused. */
const VERSION = 1;
const CACHE_DIR = fileURLToPath(new URL('../../../.cache/search-bench/', import.meta.url));

export type DataKind = 'clustered' | 'diffuse';
export const DATA_KINDS: readonly DataKind[] = ['clustered', 'diffuse'];
/** Energy (expected squared norm) of each part of a vector, before normalising. */
const SHAPES: Record<DataKind, { mean: number; centre: number; spread: number }> = {
  clustered: { mean: 0.45, centre: 0.35, spread: 0.2 },
  diffuse: { mean: 0.45, centre: 0.1, spread: 0.45 },
};

/** The query sets, in the order they are stored. */
export const QUERY_SETS = ['image', 'text', 'offset', 'noise', 'both'] as const;
export type QuerySet = (typeof QUERY_SETS)[number];
export const QUERY_DESCRIPTIONS: Record<QuerySet, string> = {
  image: 'a fresh point of a random cluster (clusters picked uniformly, so tiny ones count as much as big ones) + isotropic noise 0.1: what "find similar" sends',
  text: 'normalize(0.35·image-like + 0.8·g + 0.45·noise), g one shared random unit "modality gap" vector: top-1 cosine near 0.3, like CLIP text→image',
  offset: 'g + 0.05·noise: the modality gap alone',
  noise: 'isotropic random unit vectors',
  both: '0.8·g + 0.6·noise',
};

export interface VectorFile {
  /** The `.f32` file. */
  file: string;
  rows: number;
  dim: number;
}

export interface DataSet {
  kind: DataKind;
  key: string;
  base: VectorFile;
  queries: VectorFile & { sets: { name: QuerySet; offset: number; count: number }[] };
  /** Generation time in ms when made in this run; null when read from the cache. */
  generatedMs: number | null;
  clusters: number;
  biggestCluster: number;
}

// ---------------------------------------------------------------- random numbers

/** Standard normal deviates (Box-Muller, both outputs used). */
function gaussian(rand: () => number): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const value = spare;
      spare = null;
      return value;
    }
    const radius = Math.sqrt(-2 * Math.log(1 - rand()));
    const angle = 2 * Math.PI * rand();
    spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  };
}

function normalise(v: Float64Array): Float64Array {
  let sum = 0;
  for (let j = 0; j < v.length; j++) sum += v[j]! * v[j]!;
  const scale = 1 / Math.sqrt(sum);
  for (let j = 0; j < v.length; j++) v[j]! *= scale;
  return v;
}

// ---------------------------------------------------------------- the generator

/** Everything shared by a data set's vectors and its queries; deterministic from (kind, rows, seed). */
class Model {
  readonly g: () => number;
  readonly rand: () => number;
  /** RANK orthonormal rows of DIM: the spectrum's top directions. */
  private readonly basis = new Float64Array(RANK * DIM);
  private readonly topScale = new Float64Array(RANK);
  private readonly tailScale: number;
  readonly mean: Float64Array;
  readonly centres: Float64Array;
  readonly spreads: Float64Array;
  /** Cumulative cluster probabilities, for drawing a vector's cluster. */
  readonly cumulative: Float64Array;
  readonly gap: Float64Array;

  constructor(readonly kind: DataKind, rows: number, seed: number) {
    this.rand = mulberry32(seed);
    this.g = gaussian(this.rand);
    // Gram-Schmidt on Gaussian rows gives a uniformly random orthonormal frame (dense: every
    // direction mixes all 512 coordinates).
    for (let i = 0; i < RANK; i++) {
      const row = this.basis.subarray(i * DIM, (i + 1) * DIM);
      for (let j = 0; j < DIM; j++) row[j] = this.g();
      for (let pass = 0; pass < 2; pass++) {
        for (let p = 0; p < i; p++) {
          const prev = this.basis.subarray(p * DIM, (p + 1) * DIM);
          let dot = 0;
          for (let j = 0; j < DIM; j++) dot += row[j]! * prev[j]!;
          for (let j = 0; j < DIM; j++) row[j]! -= dot * prev[j]!;
        }
      }
      normalise(row);
    }
    let total = 0;
    for (let r = 1; r <= DIM; r++) total += 1 / r;
    let top = 0;
    for (let r = 1; r <= RANK; r++) {
      this.topScale[r - 1] = Math.sqrt(1 / r / total);
      top += 1 / r / total;
    }
    this.tailScale = Math.sqrt((1 - top) / DIM);

    const shape = SHAPES[kind];
    this.mean = this.spectral(new Float64Array(DIM));
    const meanNorm = Math.sqrt(this.mean.reduce((sum, x) => sum + x * x, 0));
    for (let j = 0; j < DIM; j++) this.mean[j]! *= Math.sqrt(shape.mean) / meanNorm;
    const clusters = Math.max(50, Math.floor(rows / 200));
    this.centres = new Float64Array(clusters * DIM);
    this.spreads = new Float64Array(clusters);
    this.cumulative = new Float64Array(clusters);
    let weight = 0;
    for (let c = 0; c < clusters; c++) {
      this.spectral(this.centres.subarray(c * DIM, (c + 1) * DIM), Math.sqrt(shape.centre));
      // Per-cluster spread varies ×4 (log-uniform from 0.5 to 2 times the typical one).
      this.spreads[c] = Math.exp(Math.log(0.5) + this.rand() * Math.log(4)) * Math.sqrt(shape.spread);
      weight += 1 / (c + 1) ** 1.1;
      this.cumulative[c] = weight;
    }
    for (let c = 0; c < clusters; c++) this.cumulative[c]! /= weight;
    this.gap = this.isotropic(new Float64Array(DIM), this.g);
  }

  get clusters(): number {
    return this.spreads.length;
  }

  /** Adds `scale` × a random vector with the power-law spectrum to `out` (expected squared norm scale²). */
  spectral(out: Float64Array, scale = 1, g = this.g): Float64Array {
    for (let i = 0; i < RANK; i++) {
      const c = g() * this.topScale[i]! * scale;
      const row = i * DIM;
      for (let j = 0; j < DIM; j++) out[j]! += c * this.basis[row + j]!;
    }
    const tail = this.tailScale * scale;
    for (let j = 0; j < DIM; j++) out[j]! += g() * tail;
    return out;
  }

  /** A random unit vector, isotropic. */
  isotropic(out: Float64Array, g: () => number): Float64Array {
    for (let j = 0; j < DIM; j++) out[j] = g();
    return normalise(out);
  }

  /** An image-like point of `cluster`, unit length. */
  point(cluster: number, out: Float64Array, g: () => number): Float64Array {
    const centre = cluster * DIM;
    for (let j = 0; j < DIM; j++) out[j] = this.mean[j]! + this.centres[centre + j]!;
    return normalise(this.spectral(out, this.spreads[cluster]!, g));
  }

  /** A cluster drawn by size (Zipf weights). */
  zipfCluster(rand: () => number): number {
    const u = rand();
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cumulative[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** One query of `set`, unit length. */
  query(set: QuerySet, rand: () => number, g: () => number): Float64Array {
    const out = new Float64Array(DIM);
    const noise = this.isotropic(new Float64Array(DIM), g);
    const mix = (a: number, image: Float64Array | null, b: number, c: number) => {
      for (let j = 0; j < DIM; j++) out[j] = a * (image?.[j] ?? 0) + b * this.gap[j]! + c * noise[j]!;
      return normalise(out);
    };
    const image = () => this.point(Math.floor(rand() * this.clusters), new Float64Array(DIM), g);
    switch (set) {
      case 'image':
        return mix(1, image(), 0, 0.1);
      case 'text':
        return mix(0.35, image(), 0.8, 0.45);
      case 'offset':
        return mix(0, null, 1, 0.05);
      case 'noise':
        return noise;
      case 'both':
        return mix(0, null, 0.8, 0.6);
    }
  }
}

// ---------------------------------------------------------------- files

function assertLittleEndian(): void {
  if (os.endianness() !== 'LE') throw new Error('the cached vector files are little-endian float32; this machine is big-endian');
}

/**
 * Writes rows made by `row(i, out)` to `file` through a temporary name, so a killed run never
 * leaves a half-written file that a later run would trust.
 */
function writeRows(file: string, rows: number, fill: (i: number, out: Float64Array) => void, progress?: (done: number) => void): void {
  assertLittleEndian();
  const chunkRows = 4096;
  const buffer = new Float32Array(chunkRows * DIM);
  const scratch = new Float64Array(DIM);
  const partial = `${file}.partial-${process.pid}`;
  const fd = fs.openSync(partial, 'w');
  try {
    for (let start = 0; start < rows; start += chunkRows) {
      const n = Math.min(chunkRows, rows - start);
      for (let r = 0; r < n; r++) {
        fill(start + r, scratch);
        buffer.set(scratch, r * DIM);
      }
      fs.writeSync(fd, new Uint8Array(buffer.buffer, 0, n * DIM * 4));
      if (progress && ((start / chunkRows) % 25 === 0 || start + n === rows)) progress(start + n);
    }
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(partial, file);
}

/**
 * The rows of a vector file in chunks of up to `chunkRows` (one buffer, reused: copy what must
 * outlive the next step). Read piecewise because a 1M × 512 file (2 GB) is past readFileSync's limit.
 */
export function* readChunks(source: VectorFile, chunkRows = 4096, first = 0, end = source.rows): Generator<{ start: number; rows: number; data: Float32Array }> {
  assertLittleEndian();
  const bytesPerRow = source.dim * 4;
  const buffer = new Float32Array(chunkRows * source.dim);
  const fd = fs.openSync(source.file, 'r');
  try {
    for (let start = first; start < end; start += chunkRows) {
      const rows = Math.min(chunkRows, end - start);
      const bytes = rows * bytesPerRow;
      const read = fs.readSync(fd, new Uint8Array(buffer.buffer, 0, bytes), 0, bytes, start * bytesPerRow);
      if (read !== bytes) throw new Error(`${source.file}: short read at row ${start} (is it truncated?)`);
      yield { start, rows, data: buffer.subarray(0, rows * source.dim) };
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** A whole vector file in memory (the queries; or every row, for the peers that need them all). */
export function readAll(source: VectorFile): Float32Array {
  const out = new Float32Array(source.rows * source.dim);
  for (const chunk of readChunks(source)) out.set(chunk.data, chunk.start * source.dim);
  return out;
}

/**
 * The data set of `kind` with `rows` vectors and `queries` queries per set: read from the cache
 * when it is there, else generated (and cached). `log` hears progress.
 */
export function dataSet(kind: DataKind, rows: number, queries: number, seed: number, log: (message: string) => void): DataSet {
  const key = `${kind}-n${rows}-d${DIM}-r${RANK}-s${seed}-v${VERSION}`;
  const queryKey = `${key}-q${queries}`;
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  const base = { file: path.join(CACHE_DIR, `${key}.f32`), rows, dim: DIM };
  const sets = QUERY_SETS.map((name, i) => ({ name, offset: i * queries, count: queries }));
  const query = { file: path.join(CACHE_DIR, `${queryKey}.f32`), rows: sets.length * queries, dim: DIM, sets };
  const header = path.join(CACHE_DIR, `${queryKey}.json`);
  const baseBytes = rows * DIM * 4;
  const cached = fs.existsSync(header) && fs.existsSync(base.file) && fs.statSync(base.file).size === baseBytes && fs.existsSync(query.file);
  if (cached) {
    const meta = JSON.parse(fs.readFileSync(header, 'utf8')) as { clusters: number; biggestCluster: number };
    return { kind, key, base, queries: query, generatedMs: null, clusters: meta.clusters, biggestCluster: meta.biggestCluster };
  }

  const started = performance.now();
  const model = new Model(kind, rows, seed);
  // Separate streams for the base vectors and the queries, so asking for more queries leaves the
  // base vectors (and the peers' cached indexes) unchanged.
  const baseRand = mulberry32(seed * 3 + 1);
  const baseG = gaussian(baseRand);
  const sizes = new Int32Array(model.clusters);
  log(`${kind} ${rows}: generating ${rows.toLocaleString('en-US')} vectors into ${base.file}`);
  writeRows(
    base.file,
    rows,
    (_, out) => {
      const cluster = model.zipfCluster(baseRand);
      sizes[cluster]!++;
      model.point(cluster, out, baseG);
    },
    (done) => log(`  ${done.toLocaleString('en-US')} / ${rows.toLocaleString('en-US')} (${((performance.now() - started) / 1000).toFixed(0)} s)`),
  );
  const queryRand = mulberry32(seed * 3 + 2);
  const queryG = gaussian(queryRand);
  writeRows(query.file, query.rows, (i, out) => out.set(model.query(QUERY_SETS[Math.floor(i / queries)]!, queryRand, queryG)));
  const generatedMs = performance.now() - started;
  const biggestCluster = Math.max(...sizes);
  const meta = { format: 'float32 little-endian, row-major, unit rows', dim: DIM, rank: RANK, version: VERSION, seed, kind, shape: SHAPES[kind], base, queries: query, clusters: model.clusters, biggestCluster, generatedMs };
  fs.writeFileSync(path.join(CACHE_DIR, `${key}.json`), JSON.stringify({ ...meta, queries: undefined }, null, 1));
  fs.writeFileSync(header, JSON.stringify(meta, null, 1));
  log(`${kind} ${rows}: generated in ${(generatedMs / 1000).toFixed(1)} s (${model.clusters} clusters, the biggest ${biggestCluster} vectors)`);
  return { kind, key, base, queries: query, generatedMs, clusters: model.clusters, biggestCluster };
}

export { CACHE_DIR };
