/**
 * The VectorStore half of the vector-search benchmark, run by search-bench.ts as a child process
 * per library so that each gets its own peak RSS and a restart is a real new process:
 *
 *   node dist/test/bench/search-store-run.js '<StoreJob as JSON>'
 *
 * Role `build`: a fresh library (real schema, real sqlite-vec) gets the cached vectors through
 * `putMany`, then every query set is searched (plain, under each filter, and a few with `exact`).
 * Role `restart`: the same library file opened by a new process; the first search is timed (the
 * index comes from whatever the store persists, or is built again), then the sets are searched
 * once more. Only VectorStore's public API is used, and ScanThread's switch: the build role also searches
 * every set with the first pass on one thread, for a comparison with the single-threaded peers. Results go
 * to the job's `out` file as JSON.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Db, openDatabase } from '../../main/engine/db/database.js';
import { ScanThread } from '../../main/engine/search/index/scan-thread.js';
import { VectorStore } from '../../main/engine/search/vector-store.js';
import { peakRssBytes } from '../helpers/peak-rss.js';
import { type DataSet, readAll, readChunks } from './search-data.js';
import { candidateRows, type Filter, FILTERS } from './search-truth.js';
import { benchLogger } from './benchmarks-md.js';

const MODEL = 'bench/synthetic-clip-512';

export interface StoreJob {
  role: 'build' | 'restart';
  library: string;
  data: Pick<DataSet, 'base' | 'queries'>;
  k: number;
  seed: number;
  /** Queries per set searched under each filter (the first ones). */
  filteredQueries: number;
  /** Queries per set also searched with `exact: true`, to cross-check the ground truth. */
  exactQueries: number;
  out: string;
}

/** Per query: latency in ms and the rows returned (photo id - 1), best first. */
export interface SetRun {
  ms: number[];
  rows: number[][];
}

/** What VectorStore.indexStats() gave; only `bytes`, `vectors` and `buildMs` are relied on. */
export type IndexInfo = { bytes: number; vectors: number; buildMs: number; [field: string]: unknown } | null;

export interface StoreRun {
  insertPerSecond?: number;
  smallBatchPerSecond?: number;
  insertMs?: number;
  bytesPer1k?: number;
  fileBytesPer1k?: number;
  /** Opening the database and the store (restart only). */
  openMs: number;
  firstSearchMs: number;
  indexAfterFirst: IndexInfo;
  index: IndexInfo;
  sets: Record<string, SetRun>;
  /** The same searches with the scan thread off (build role only). */
  oneThread: Record<string, SetRun>;
  filtered: Partial<Record<Filter, Record<string, SetRun>>>;
  exact: Record<string, SetRun>;
  /** Wall time of each part of the run, ms (inserts, searches, filtered searches, exact cross-check). */
  phases: Record<string, number>;
  peakRss: number;
  totalMs: number;
}

function timed<T>(work: () => T): { value: T; ms: number } {
  const started = performance.now();
  const value = work();
  return { value, ms: performance.now() - started };
}

const log = benchLogger('search-bench');

/** The vector tables' size on disk: the model's table (from the schema's registry) and every table named after it. */
function vectorTablesBytes(db: Db): number {
  const table = db.prepare(`SELECT table_name FROM embedding_models WHERE model_id = ?`).pluck().get(MODEL) as string;
  return db.prepare(`SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name = ? OR name LIKE ? ESCAPE '\\'`).pluck().get(table, `${table.replaceAll('_', '\\_')}\\_%`) as number;
}

function stats(store: VectorStore): IndexInfo {
  return (store.indexStats() as IndexInfo) ?? null;
}

/** Inserts every base vector, 1,000 per transaction, then 16 per transaction as the embedding job does. */
function fill(db: Db, store: VectorStore, job: StoreJob): Pick<StoreRun, 'insertPerSecond' | 'smallBatchPerSecond' | 'insertMs' | 'bytesPer1k' | 'fileBytesPer1k'> {
  const { base } = job.data;
  const smallRows = Math.min(2_000, Math.max(100, Math.round(base.rows / 10)));
  const insertPhoto = db.prepare(`INSERT INTO photos (id, hash, size, status, added_at) VALUES (?, ?, 1, 'ok', 0)`);
  db.transaction(() => {
    for (let id = 1; id <= base.rows + smallRows; id++) insertPhoto.run(id, `bench-${id}`);
  })();
  let insertMs = 0;
  for (const chunk of readChunks(base, 1_000)) {
    const rows = Array.from({ length: chunk.rows }, (_, i) => ({ photoId: chunk.start + i + 1, embedding: chunk.data.slice(i * base.dim, (i + 1) * base.dim) }));
    insertMs += timed(() => store.putMany(rows)).ms;
    if (chunk.start % 100_000 === 99_000) log(`  ${(chunk.start + chunk.rows).toLocaleString('en-US')} inserted (${(insertMs / 1000).toFixed(0)} s)`);
  }
  db.pragma('wal_checkpoint(TRUNCATE)');
  const bytesPer1k = (vectorTablesBytes(db) / base.rows) * 1000;
  const fileBytesPer1k = (fs.statSync(job.library).size / base.rows) * 1000;
  // Extra photos (ids past the library) reuse the first vectors; deleted again before searching.
  let smallMs = 0;
  for (const chunk of readChunks(base, 16, 0, smallRows)) {
    const rows = Array.from({ length: chunk.rows }, (_, i) => ({ photoId: base.rows + chunk.start + i + 1, embedding: chunk.data.slice(i * base.dim, (i + 1) * base.dim) }));
    smallMs += timed(() => store.putMany(rows)).ms;
  }
  for (let id = base.rows + 1; id <= base.rows + smallRows; id++) store.delete(id);
  return { insertPerSecond: base.rows / (insertMs / 1000), smallBatchPerSecond: smallRows / (smallMs / 1000), insertMs, bytesPer1k, fileBytesPer1k };
}

/** Searches queries [0, count) of every set; `options` as VectorStore.search takes them. */
function searchSets(store: VectorStore, job: StoreJob, queries: Float32Array, count: number, options: Parameters<VectorStore['search']>[2] = {}): Record<string, SetRun> {
  const dim = job.data.queries.dim;
  const out: Record<string, SetRun> = {};
  for (const set of job.data.queries.sets) {
    const run: SetRun = { ms: [], rows: [] };
    for (let i = 0; i < Math.min(count, set.count); i++) {
      const q = queries.subarray((set.offset + i) * dim, (set.offset + i + 1) * dim);
      const { value, ms } = timed(() => store.search(q, job.k, options));
      run.ms.push(ms);
      run.rows.push(value.map((hit) => hit.photoId - 1));
    }
    out[set.name] = run;
  }
  return out;
}

function main(): void {
  const job = JSON.parse(process.argv[2]!) as StoreJob;
  const started = performance.now();
  const dim = job.data.base.dim;
  const opened = timed(() => {
    const db = openDatabase(job.library);
    return { db, store: VectorStore.open(db, MODEL, dim) };
  });
  const { db, store } = opened.value;
  try {
    const phases: Record<string, number> = {};
    const phase = <T>(name: string, work: () => T): T => {
      log(`  ${job.role}: ${name}`);
      const { value, ms } = timed(work);
      phases[name] = ms;
      return value;
    };
    const inserts = job.role === 'build' ? phase('inserts', () => fill(db, store, job)) : {};
    const queries = readAll(job.data.queries);
    // The first `text` query: typed search is what a user does first after opening the app.
    const text = job.data.queries.sets.find((set) => set.name === 'text') ?? job.data.queries.sets[0]!;
    const firstSearchMs = timed(() => store.search(queries.subarray(text.offset * dim, (text.offset + 1) * dim), job.k)).ms;
    const indexAfterFirst = stats(store);
    const sets = phase('searches', () => searchSets(store, job, queries, Number.MAX_SAFE_INTEGER));
    const oneThread: StoreRun['oneThread'] = {};
    if (job.role === 'build') {
      ScanThread.setEnabled(false);
      try {
        Object.assign(oneThread, phase('searches, one thread', () => searchSets(store, job, queries, Number.MAX_SAFE_INTEGER)));
      } finally {
        ScanThread.setEnabled(true);
      }
    }
    const filtered: StoreRun['filtered'] = {};
    const exact: StoreRun['exact'] = {};
    if (job.role === 'build') {
      const candidates = candidateRows(job.data.base.rows, job.seed);
      for (const filter of FILTERS) {
        const candidateIds = candidates[filter].map((row) => row + 1);
        filtered[filter] = phase(`filtered (${filter})`, () => searchSets(store, job, queries, job.filteredQueries, { candidateIds }));
      }
      Object.assign(exact, phase('exact', () => searchSets(store, job, queries, job.exactQueries, { exact: true })));
    }
    const run: StoreRun = { ...inserts, openMs: opened.ms, firstSearchMs, indexAfterFirst, index: stats(store), sets, oneThread, filtered, exact, phases, peakRss: peakRssBytes(), totalMs: performance.now() - started };
    fs.mkdirSync(path.dirname(job.out), { recursive: true });
    fs.writeFileSync(job.out, JSON.stringify(run));
  } finally {
    db.close();
  }
}

// Only when run as a script: search-bench.ts imports this file for its types.
if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) main();
