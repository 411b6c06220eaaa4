/**
 * Ground truth for the vector-search benchmark: the exact top-k of every query by brute force in
 * plain JavaScript over the cached vector files, independent of VectorStore and sqlite-vec (the
 * store's own exact path is cross-checked against it, not trusted). Also the exact top-k among
 * each filter's candidates, from the same pass. Cached next to the vectors.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { mulberry32 } from '../helpers/random.js';
import { CACHE_DIR, type DataSet, readAll, readChunks } from './search-data.js';

/** The filters measured: which rows (0-based; photo id = row + 1) may be returned. */
export const FILTERS = ['contiguous', 'random'] as const;
export type Filter = (typeof FILTERS)[number];
export const FILTER_DESCRIPTIONS: Record<Filter, string> = {
  contiguous: 'a contiguous tenth of the ids (like a date range)',
  random: 'a random tenth of the ids (like a tag or a format)',
};

/** Each filter's candidate rows, sorted. */
export function candidateRows(rows: number, seed: number): Record<Filter, Int32Array> {
  const tenth = Math.max(1, Math.round(rows / 10));
  const from = Math.floor(rows * 0.45);
  const contiguous = Int32Array.from({ length: tenth }, (_, i) => from + i);
  // A partial Fisher-Yates shuffle picks exactly `tenth` rows.
  const rand = mulberry32(seed * 7 + 5);
  const order = Int32Array.from({ length: rows }, (_, i) => i);
  for (let i = 0; i < tenth; i++) {
    const j = i + Math.floor(rand() * (rows - i));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return { contiguous, random: order.slice(0, tenth).sort() };
}

export interface Truth {
  k: number;
  /** Per variant (unfiltered, then FILTERS in order): query-major, k rows each, best first. */
  ids: Record<'all' | Filter, Int32Array>;
  scores: Record<'all' | Filter, Float32Array>;
  /** Brute-force time in ms when computed in this run; null when read from the cache. */
  computedMs: number | null;
}

const VARIANTS = ['all', ...FILTERS] as const;

/** Keeps the k best (score, row) of each query and variant, sorted best first, by insertion. */
class TopK {
  readonly scores: Float32Array;
  readonly ids: Int32Array;

  constructor(private readonly k: number, lists: number, from?: { scores: Float32Array; ids: Int32Array }) {
    this.scores = from?.scores ?? new Float32Array(lists * k).fill(-Infinity);
    this.ids = from?.ids ?? new Int32Array(lists * k).fill(-1);
  }

  /** The score to beat in `list`. */
  floor(list: number): number {
    return this.scores[list * this.k + this.k - 1]!;
  }

  offer(list: number, score: number, id: number): void {
    const base = list * this.k;
    let at = this.k - 1;
    while (at > 0 && this.scores[base + at - 1]! < score) {
      this.scores[base + at] = this.scores[base + at - 1]!;
      this.ids[base + at] = this.ids[base + at - 1]!;
      at--;
    }
    this.scores[base + at] = score;
    this.ids[base + at] = id;
  }
}

/** One thread's share of the brute force: rows [from, to) of the base file against every query. */
interface ScanJob {
  data: Pick<DataSet, 'base' | 'queries'>;
  k: number;
  seed: number;
  from: number;
  to: number;
  progress: boolean;
}

/** Threads for the brute force, the slow part of a first run at 1M (about twice as fast on 2 cores). */
const THREADS = Math.max(1, Math.min(4, os.availableParallelism()));

/** The exact top-k of every query of `data` (all sets), unfiltered and under each filter. */
export async function groundTruth(data: DataSet, k: number, seed: number, log: (message: string) => void): Promise<Truth> {
  const file = path.join(CACHE_DIR, `${path.basename(data.queries.file, '.f32')}-k${k}-f${seed}.truth.json`);
  if (fs.existsSync(file)) {
    const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as { ids: Record<string, number[]>; scores: Record<string, number[]> };
    const typed = <T>(values: Record<string, number[]>, make: (v: number[]) => T) => Object.fromEntries(VARIANTS.map((v) => [v, make(values[v]!)])) as Record<'all' | Filter, T>;
    return { k, ids: typed(saved.ids, (v) => Int32Array.from(v)), scores: typed(saved.scores, (v) => Float32Array.from(v)), computedMs: null };
  }
  const started = performance.now();
  const q = data.queries.rows;
  const rows = data.base.rows;
  const share = Math.ceil(rows / THREADS);
  log(`  ground truth on ${THREADS} threads`);
  const parts = await Promise.all(
    Array.from({ length: THREADS }, (_, i) => {
      const job: ScanJob = { data: { base: data.base, queries: data.queries }, k, seed, from: Math.min(rows, i * share), to: Math.min(rows, (i + 1) * share), progress: i === 0 };
      return new Promise<{ scores: Float32Array; ids: Int32Array }>((resolve, reject) => {
        const worker = new Worker(fileURLToPath(import.meta.url), { workerData: { searchTruth: job } });
        worker.once('message', resolve);
        worker.once('error', reject);
        worker.once('exit', (code) => code !== 0 && reject(new Error(`a ground truth thread exited with ${code}`)));
      });
    }),
  );
  const lists = q * VARIANTS.length;
  const top = new TopK(k, lists, parts[0]);
  for (const part of parts.slice(1)) {
    for (let list = 0; list < lists; list++) {
      for (let i = list * k; i < (list + 1) * k; i++) if (part.ids[i]! >= 0 && part.scores[i]! > top.floor(list)) top.offer(list, part.scores[i]!, part.ids[i]!);
    }
  }
  const split = <T extends Int32Array | Float32Array>(all: T, make: (n: number) => T): Record<'all' | Filter, T> => {
    const out = Object.fromEntries(VARIANTS.map((v) => [v, make(q * k)])) as Record<'all' | Filter, T>;
    for (let query = 0; query < q; query++) {
      VARIANTS.forEach((v, i) => out[v].set(all.subarray((query * VARIANTS.length + i) * k, (query * VARIANTS.length + i + 1) * k), query * k));
    }
    return out;
  };
  const truth: Truth = { k, ids: split(top.ids, (n) => new Int32Array(n)), scores: split(top.scores, (n) => new Float32Array(n)), computedMs: performance.now() - started };
  const plain = (record: Record<string, Int32Array | Float32Array>) => Object.fromEntries(Object.entries(record).map(([v, a]) => [v, [...a]]));
  fs.writeFileSync(file, JSON.stringify({ ids: plain(truth.ids), scores: plain(truth.scores) }));
  return truth;
}

/** The brute force over one share of the rows, offering every score to the unfiltered and filtered top-k lists. */
function scan(job: ScanJob): TopK {
  const started = performance.now();
  const { base, queries: queryFile } = job.data;
  const dim = base.dim;
  const queries = readAll(queryFile);
  const q = queryFile.rows;
  const mask = new Uint8Array(base.rows);
  const candidates = candidateRows(base.rows, job.seed);
  FILTERS.forEach((filter, f) => candidates[filter].forEach((row) => (mask[row]! |= 1 << f)));
  const top = new TopK(job.k, q * VARIANTS.length);
  const offer = (query: number, score: number, row: number) => {
    const list = query * VARIANTS.length;
    if (score > top.floor(list)) top.offer(list, score, row);
    const bits = mask[row]!;
    if (bits & 1 && score > top.floor(list + 1)) top.offer(list + 1, score, row);
    if (bits & 2 && score > top.floor(list + 2)) top.offer(list + 2, score, row);
  };
  // Four queries against two rows per inner loop: each element loaded feeds several products,
  // which measured 1.6x faster than one query at a time in V8 (≈1.9 G multiply-adds/s).
  const at = (i: number) => Math.min(i, q - 1) * dim;
  for (const chunk of readChunks(base, 1024, job.from, job.to)) {
    const x = chunk.data;
    for (let q0 = 0; q0 < q; q0 += 4) {
      const qa = at(q0);
      const qb = at(q0 + 1);
      const qc = at(q0 + 2);
      const qd = at(q0 + 3);
      for (let r = 0; r < chunk.rows; r += 2) {
        const xr = r * dim;
        const xs = Math.min(r + 1, chunk.rows - 1) * dim;
        let a = 0, b = 0, c = 0, d = 0, e = 0, f = 0, g = 0, h = 0; // prettier-ignore
        for (let j = 0; j < dim; j++) {
          const v = x[xr + j]!;
          const w = x[xs + j]!;
          const s0 = queries[qa + j]!;
          const s1 = queries[qb + j]!;
          const s2 = queries[qc + j]!;
          const s3 = queries[qd + j]!;
          a += v * s0;
          b += v * s1;
          c += v * s2;
          d += v * s3;
          e += w * s0;
          f += w * s1;
          g += w * s2;
          h += w * s3;
        }
        const row = chunk.start + r;
        const pair = r + 1 < chunk.rows;
        offer(q0, a, row);
        if (pair) offer(q0, e, row + 1);
        if (q0 + 1 < q) {
          offer(q0 + 1, b, row);
          if (pair) offer(q0 + 1, f, row + 1);
        }
        if (q0 + 2 < q) {
          offer(q0 + 2, c, row);
          if (pair) offer(q0 + 2, g, row + 1);
        }
        if (q0 + 3 < q) {
          offer(q0 + 3, d, row);
          if (pair) offer(q0 + 3, h, row + 1);
        }
      }
    }
    if (job.progress && (chunk.start - job.from) % (100 * 1024) === 99 * 1024) {
      const done = chunk.start + chunk.rows - job.from;
      process.stderr.write(`search-bench:   ground truth: ${done.toLocaleString('en-US')} of ${(job.to - job.from).toLocaleString('en-US')} rows in one thread (${((performance.now() - started) / 1000).toFixed(0)} s)\n`);
    }
  }
  return top;
}

if (!isMainThread && (workerData as { searchTruth?: ScanJob } | null)?.searchTruth) {
  const top = scan((workerData as { searchTruth: ScanJob }).searchTruth);
  parentPort!.postMessage({ scores: top.scores, ids: top.ids }, [top.scores.buffer as ArrayBuffer, top.ids.buffer as ArrayBuffer]);
}
