/**
 * Node peers of the vector-search benchmark, hnswlib-node and usearch, on the same cached vectors
 * and queries as VectorStore; run by search-bench.ts as a child process per peer and library:
 *
 *   node dist/test/bench/search-peers.js '<PeerJob as JSON>'
 *
 * They are bench-only and never in package.json: `--install-peers` installs them into
 * .cache/bench-peers (npm install --no-save --prefix), and they are loaded from there.
 * Both build an HNSW graph with M 32 and efConstruction 128 (faiss's settings in the same bench),
 * then answer one query at a time on one thread with ef 64 and ef 256.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { peakRssBytes } from '../helpers/peak-rss.js';
import { type DataSet, readAll } from './search-data.js';
import type { SetRun } from './search-store-run.js';
import { benchLogger } from './benchmarks-md.js';

export const PEERS_DIR = fileURLToPath(new URL('../../../.cache/bench-peers/', import.meta.url));
export const NODE_PEERS = { hnswlib: 'hnswlib-node', usearch: 'usearch' } as const;
export type NodePeer = keyof typeof NODE_PEERS;
const HNSW = { m: 32, efConstruction: 128, efSearch: [64, 256] };

export interface PeerJob {
  peer: NodePeer;
  data: Pick<DataSet, 'base' | 'queries'>;
  k: number;
  /** Threads for building where the library can use several (usearch); queries use one. */
  buildThreads: number;
  out: string;
}

export interface PeerRun {
  name: string;
  /** How it was built and queried (threads, parameters), for the report. */
  notes: string;
  buildMs: number;
  memoryBytes: number;
  memoryNote: string;
  sets: Record<string, SetRun>;
  peakRss?: number;
}

/** `require` resolving from PEERS_DIR, where --install-peers puts the peers. */
function peerRequire(): NodeJS.Require {
  return createRequire(path.join(PEERS_DIR, 'index.js'));
}

export function peerInstalled(peer: NodePeer): boolean {
  try {
    peerRequire().resolve(NODE_PEERS[peer]);
    return true;
  } catch {
    return false;
  }
}

interface Hnswlib {
  HierarchicalNSW: new (space: 'ip', dim: number) => {
    initIndex(opts: { maxElements: number; m: number; efConstruction: number; randomSeed: number }): void;
    addPoint(point: number[], label: number): void;
    setEf(ef: number): void;
    searchKnn(point: number[], k: number): { neighbors: number[] };
    writeIndexSync(file: string): void;
  };
}

interface USearchIndex {
  add(keys: BigUint64Array, vectors: Float32Array, threads?: number): void;
  search(vector: Float32Array, k: number, threads: number): { keys: BigUint64Array };
  save(file: string): void;
  load(file: string): void;
}
interface USearch {
  Index: new (config: { dimensions: number; metric: string; quantization: string; connectivity: number; expansion_add: number; expansion_search: number; multi: boolean }) => USearchIndex;
}

const log = benchLogger('search-bench');

function timed<T>(work: () => T): { value: T; ms: number } {
  const started = performance.now();
  const value = work();
  return { value, ms: performance.now() - started };
}

/** Runs every query of every set through `search` (which returns rows), one at a time. */
function searchSets(job: PeerJob, queries: Float32Array, search: (query: Float32Array) => number[]): Record<string, SetRun> {
  const dim = job.data.queries.dim;
  const out: Record<string, SetRun> = {};
  for (const set of job.data.queries.sets) {
    const run: SetRun = { ms: [], rows: [] };
    for (let i = 0; i < set.count; i++) {
      const q = queries.subarray((set.offset + i) * dim, (set.offset + i + 1) * dim);
      const { value, ms } = timed(() => search(q));
      run.ms.push(ms);
      run.rows.push(value);
    }
    out[set.name] = run;
  }
  return out;
}

/** Size of what `save` writes: the index's vectors and graph, close to its memory. */
function savedBytes(save: (file: string) => void): number {
  const file = path.join(PEERS_DIR, `index-${process.pid}.bin`);
  try {
    save(file);
    return fs.statSync(file).size;
  } finally {
    fs.rmSync(file, { force: true });
  }
}

function hnswlib(job: PeerJob, base: Float32Array, queries: Float32Array): PeerRun[] {
  const lib = peerRequire()(NODE_PEERS.hnswlib) as Hnswlib;
  const { rows, dim } = job.data.base;
  const index = new lib.HierarchicalNSW('ip', dim);
  // hnswlib-node inserts one point per call and takes plain arrays: the build is single-threaded.
  const build = timed(() => {
    index.initIndex({ maxElements: rows, m: HNSW.m, efConstruction: HNSW.efConstruction, randomSeed: 100 });
    for (let i = 0; i < rows; i++) {
      index.addPoint(Array.from(base.subarray(i * dim, (i + 1) * dim)), i);
      if (i % 50_000 === 49_999) log(`  hnswlib: ${(i + 1).toLocaleString('en-US')} / ${rows.toLocaleString('en-US')} added`);
    }
  });
  const memoryBytes = savedBytes((file) => index.writeIndexSync(file));
  return HNSW.efSearch.map((ef) => {
    index.setEf(ef);
    log(`  hnswlib: queries at ef ${ef}`);
    const sets = searchSets(job, queries, (q) => index.searchKnn(Array.from(q), job.k).neighbors);
    return { name: `hnswlib-node HNSW, ef ${ef}`, notes: `M ${HNSW.m}, efConstruction ${HNSW.efConstruction}; built on 1 thread (one addPoint per call); queries 1 thread`, buildMs: build.ms, memoryBytes, memoryNote: 'saved index (vectors + graph)', sets };
  });
}

function usearch(job: PeerJob, base: Float32Array, queries: Float32Array): PeerRun[] {
  const lib = peerRequire()(NODE_PEERS.usearch) as USearch;
  const { rows, dim } = job.data.base;
  // expansion_search is fixed when an index is made, so the index is saved once and loaded into
  // a second index object for the other ef.
  const make = (ef: number) => new lib.Index({ dimensions: dim, metric: 'ip', quantization: 'f32', connectivity: HNSW.m, expansion_add: HNSW.efConstruction, expansion_search: ef, multi: false });
  const index = make(HNSW.efSearch[0]!);
  const build = timed(() => {
    const chunk = 50_000;
    for (let start = 0; start < rows; start += chunk) {
      const n = Math.min(chunk, rows - start);
      index.add(BigUint64Array.from({ length: n }, (_, i) => BigInt(start + i)), base.subarray(start * dim, (start + n) * dim), job.buildThreads);
      log(`  usearch: ${(start + n).toLocaleString('en-US')} / ${rows.toLocaleString('en-US')} added`);
    }
  });
  const file = path.join(PEERS_DIR, `usearch-${process.pid}.bin`);
  index.save(file);
  try {
    const memoryBytes = fs.statSync(file).size;
    return HNSW.efSearch.map((ef) => {
      const at = ef === HNSW.efSearch[0] ? index : make(ef);
      if (at !== index) at.load(file);
      log(`  usearch: queries at ef ${ef}`);
      const sets = searchSets(job, queries, (q) => Array.from(at.search(q, job.k, 1).keys, Number));
      return { name: `usearch HNSW (f32), ef ${ef}`, notes: `M ${HNSW.m}, efConstruction ${HNSW.efConstruction}; built on ${job.buildThreads} threads; queries 1 thread`, buildMs: build.ms, memoryBytes, memoryNote: 'saved index (vectors + graph)', sets };
    });
  } finally {
    fs.rmSync(file, { force: true });
  }
}

function main(): void {
  const job = JSON.parse(process.argv[2]!) as PeerJob;
  const base = readAll(job.data.base);
  const queries = readAll(job.data.queries);
  const runs = (job.peer === 'hnswlib' ? hnswlib : usearch)(job, base, queries);
  fs.writeFileSync(job.out, JSON.stringify(runs.map((run) => ({ ...run, peakRss: peakRssBytes() }))));
}

// Only when run as a script: search-bench.ts imports this file for its names and types.
if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) main();
