/**
 * Vector search benchmark (a benchmark, not a test): `npm run bench:search -- [flags]`.
 *
 * For each library size: a fresh library (real schema, real sqlite-vec) gets that many synthetic
 * CLIP-like 512-d embeddings through VectorStore.putMany, then held-out queries are searched with
 * VectorStore.search (what the app uses) and with the exact flat scan (sqlite-vec's brute-force
 * float KNN, `{ exact: true }`), in the same run. Reported: p50/p95 latency, recall@10 of
 * VectorStore.search against the exact scan, insert throughput, size on disk, index build time
 * and memory, and the same for a filtered search (candidateIds) and for harder queries.
 *
 * Prints a markdown table and replaces the "Vector search" section of BENCHMARKS.md.
 *
 * Flags: --sizes 10000,100000,1000000 (default), --queries N (200), --filtered-queries N (50),
 * --k N (10), --seed N (1), --no-sweep (skip the rerank-size sweep), --no-write (leave
 * BENCHMARKS.md alone). Libraries go to the OS temp folder (TMPDIR) and are deleted after each size.
 *
 * Memory: vectors are generated and inserted in batches, never all held; the process peaks at a
 * few hundred MB at 1M (the in-memory index is 64 bytes per vector plus the generator's centres).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { type Db, openDatabase } from '../../main/engine/db/database.js';
import { INDEX_MIN_VECTORS, searchSizes, type VectorHit, VectorStore } from '../../main/engine/search/vector-store.js';
import { peakRssBytes } from '../helpers/peak-rss.js';
import { mulberry32 } from '../helpers/random.js';
import { commandLine, fileSystemOf, machineBasics, markdownTable, positiveInt, provenance, writeBenchmarksSection } from './benchmarks-md.js';

const SECTION_START = '<!-- bench:search:start -->';
const SECTION_END = '<!-- bench:search:end -->';
const DIM = 512;
const MODEL = 'bench/synthetic-clip-512';
/** The product goal this benchmark checks. */
const GOAL = { size: 1_000_000, p50Ms: 20, recall: 0.98 };

interface Options {
  sizes: number[];
  queries: number;
  filteredQueries: number;
  k: number;
  seed: number;
  sweep: boolean;
  write: boolean;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      sizes: { type: 'string', default: '10000,100000,1000000' },
      queries: { type: 'string', default: '200' },
      'filtered-queries': { type: 'string', default: '50' },
      k: { type: 'string', default: '10' },
      seed: { type: 'string', default: '1' },
      'no-sweep': { type: 'boolean', default: false },
      'no-write': { type: 'boolean', default: false },
    },
  });
  return {
    sizes: values.sizes.split(',').map((size) => positiveInt('sizes', size)),
    queries: positiveInt('queries', values.queries),
    filteredQueries: positiveInt('filtered-queries', values['filtered-queries']),
    k: positiveInt('k', values.k),
    seed: positiveInt('seed', values.seed),
    sweep: !values['no-sweep'],
    write: !values['no-write'],
  };
}

function log(message: string): void {
  process.stderr.write(`search-bench: ${message}\n`);
}

// ---------------------------------------------------------------- synthetic CLIP-like vectors

/** Standard normal deviates (Box-Muller, both outputs used). */
function gaussian(rand: () => number): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const value = spare;
      spare = null;
      return value;
    }
    const radius = Math.sqrt(-2 * Math.log(rand()));
    const angle = 2 * Math.PI * rand();
    spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  };
}

/** The generator's description, for the report. */
const GENERATOR = [
  'Vectors are a hierarchical mixture of Gaussians, shaped like CLIP image embeddings: a shared offset',
  '(squared norm 0.45, so unrelated photos have a cosine near 0.45, as in CLIP), one of N/500 "topics"',
  '(0.25), one of N/20 "scenes" within it (0.15) and per-photo noise (0.15); topic, scene and noise',
  'variance falls off across dimensions as 1/rank (a power-law spectrum, in a random order of the',
  'dimensions), and each vector gets a random length of 8-12, as CLIP exports are not normalised.',
  'Queries are held-out points (a random scene plus fresh noise, never inserted) with extra isotropic',
  'noise (0.10); "hard" queries get 1.0 instead, which leaves them far from every photo (nearest',
  'cosine ≈ 0.6 instead of ≈ 0.85) with many near-ties, like text queries across CLIP\'s modality gap.',
];

class ClipLikeGenerator {
  private readonly g: () => number;
  private readonly rand: () => number;
  private readonly spectrum = new Float32Array(DIM);
  private readonly mean: Float32Array;
  private readonly scenes: Float32Array;
  private readonly sceneCount: number;

  constructor(size: number, seed: number) {
    this.rand = mulberry32(seed);
    this.g = gaussian(this.rand);
    const order = Array.from({ length: DIM }, (_, i) => i);
    for (let i = DIM - 1; i > 0; i--) {
      const j = Math.floor(this.rand() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    let total = 0;
    order.forEach((dim, rank) => {
      this.spectrum[dim] = 1 / Math.sqrt(rank + 1);
      total += 1 / (rank + 1);
    });
    for (let j = 0; j < DIM; j++) this.spectrum[j]! /= Math.sqrt(total);
    this.mean = this.noise(0.45, false);
    const topicCount = Math.max(50, Math.round(size / 500));
    const topics = Array.from({ length: topicCount }, () => this.noise(0.25, true));
    this.sceneCount = Math.max(topicCount, Math.round(size / 20));
    this.scenes = new Float32Array(this.sceneCount * DIM);
    for (let s = 0; s < this.sceneCount; s++) {
      const topic = topics[Math.floor(this.rand() * topicCount)]!;
      const own = this.noise(0.15, true);
      for (let j = 0; j < DIM; j++) this.scenes[s * DIM + j] = this.mean[j]! + topic[j]! + own[j]!;
    }
  }

  /** A random vector of expected squared norm `energy`, shaped by the spectrum or isotropic. */
  private noise(energy: number, shaped: boolean): Float32Array {
    const scale = Math.sqrt(energy);
    const iso = 1 / Math.sqrt(DIM);
    return Float32Array.from({ length: DIM }, (_, j) => this.g() * scale * (shaped ? this.spectrum[j]! : iso));
  }

  /** A photo's embedding: a random scene plus noise, at a random length (not normalised). */
  photo(extra = 0): Float32Array {
    const scene = Math.floor(this.rand() * this.sceneCount) * DIM;
    const noise = this.noise(0.15, true);
    const iso = Math.sqrt(extra / DIM);
    const out = new Float32Array(DIM);
    let norm = 0;
    for (let j = 0; j < DIM; j++) {
      out[j] = this.scenes[scene + j]! + noise[j]! + (extra > 0 ? this.g() * iso : 0);
      norm += out[j]! * out[j]!;
    }
    const length = (8 + 4 * this.rand()) / Math.sqrt(norm);
    for (let j = 0; j < DIM; j++) out[j]! *= length;
    return out;
  }
}

// ---------------------------------------------------------------- measuring

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const ms = (value: number) => (value >= 100 ? `${value.toFixed(0)} ms` : `${value.toFixed(value >= 10 ? 1 : 2)} ms`);
const count = (n: number) => n.toLocaleString('en-US');
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

function timed<T>(work: () => T): { value: T; ms: number } {
  const started = performance.now();
  const value = work();
  return { value, ms: performance.now() - started };
}

function recallAt(actual: readonly VectorHit[], expected: readonly VectorHit[]): number {
  if (expected.length === 0) return 1;
  const truth = new Set(expected.map((hit) => hit.photoId));
  return actual.filter((hit) => truth.has(hit.photoId)).length / expected.length;
}


interface QueryRun {
  p50: number;
  p95: number;
  exactP50: number;
  exactP95: number;
  recall: number;
  minRecall: number;
}

/** Runs every query through VectorStore.search (all first), then through the exact scan. */
function runQueries(store: VectorStore, queries: readonly Float32Array[], k: number, options: { candidateIds?: number[] } = {}): QueryRun & { exact: VectorHit[][] } {
  const fast = queries.map((query) => timed(() => store.search(query, k, options)));
  const exact = queries.map((query) => timed(() => store.search(query, k, { ...options, exact: true })));
  const recalls = fast.map((run, i) => recallAt(run.value, exact[i]!.value));
  return {
    p50: percentile(fast.map((run) => run.ms), 50),
    p95: percentile(fast.map((run) => run.ms), 95),
    exactP50: percentile(exact.map((run) => run.ms), 50),
    exactP95: percentile(exact.map((run) => run.ms), 95),
    recall: recalls.reduce((a, b) => a + b, 0) / recalls.length,
    minRecall: Math.min(...recalls),
    exact: exact.map((run) => run.value),
  };
}

interface SizeResult {
  size: number;
  insertPerSecond: number;
  smallBatchPerSecond: number;
  bytesPer1k: number;
  fileBytesPer1k: number;
  firstSearchMs: number;
  index: ReturnType<VectorStore['indexStats']>;
  plain: QueryRun;
  filtered: QueryRun & { candidates: number };
  hard: QueryRun;
  sweep: { rerank: number; shortlist: number; p50: number; recall: number }[];
  peakRss: number;
}

function vectorTablesBytes(db: Db, table: string): number {
  return db.prepare(`SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name = ? OR name LIKE ? ESCAPE '\\'`).pluck().get(table, `${table.replaceAll('_', '\\_')}\\_%`) as number;
}

function benchSize(size: number, options: Options): SizeResult {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iris-search-bench-'));
  const db = openDatabase(path.join(dir, 'library.db'));
  try {
    const generator = new ClipLikeGenerator(size, options.seed * 1_000_003 + size);
    log(`${count(size)}: photo rows`);
    const smallBatchRows = Math.min(2_000, Math.max(100, Math.round(size / 10)));
    const insertPhoto = db.prepare(`INSERT INTO photos (id, hash, size, status, added_at) VALUES (?, ?, 1, 'ok', 0)`);
    db.transaction(() => {
      for (let id = 1; id <= size + smallBatchRows; id++) insertPhoto.run(id, `bench-${id}`);
    })();
    const store = VectorStore.open(db, MODEL, DIM);

    log(`${count(size)}: inserting vectors`);
    let insertMs = 0;
    const batch = 1_000;
    for (let start = 1; start <= size; start += batch) {
      const rows = Array.from({ length: Math.min(batch, size - start + 1) }, (_, i) => ({ photoId: start + i, embedding: generator.photo() }));
      insertMs += timed(() => store.putMany(rows)).ms;
      if ((start - 1) % 100_000 === 0 && start > 1) log(`  ${count(start - 1)} inserted`);
    }
    db.pragma('wal_checkpoint(TRUNCATE)');
    const bytesPer1k = (vectorTablesBytes(db, store.tableName) / size) * 1000;
    const fileBytesPer1k = (fs.statSync(path.join(dir, 'library.db')).size / size) * 1000;

    // The embedding job stores 16 at a time, each batch its own transaction.
    let smallBatchMs = 0;
    for (let start = size + 1; start <= size + smallBatchRows; start += 16) {
      const rows = Array.from({ length: Math.min(16, size + smallBatchRows - start + 1) }, (_, i) => ({ photoId: start + i, embedding: generator.photo() }));
      smallBatchMs += timed(() => store.putMany(rows)).ms;
    }
    for (let id = size + 1; id <= size + smallBatchRows; id++) store.delete(id);

    const queries = Array.from({ length: options.queries }, () => generator.photo(0.1));
    const hardQueries = Array.from({ length: options.queries }, () => generator.photo(1.0));
    log(`${count(size)}: first search${size >= INDEX_MIN_VECTORS ? ' (builds the index)' : ''}`);
    const firstSearchMs = timed(() => store.search(generator.photo(0.1), options.k)).ms;

    log(`${count(size)}: ${options.queries} queries, then the same with the exact scan`);
    const plain = runQueries(store, queries, options.k);
    log(`${count(size)}: ${options.queries} hard queries`);
    const hard = runQueries(store, hardQueries, options.k);
    // A filter like a date range: a tenth of the library, contiguous in photo id (i.e. time added).
    const candidateStart = Math.floor(size * 0.45);
    const candidates = Array.from({ length: Math.max(1, Math.round(size / 10)) }, (_, i) => candidateStart + i + 1);
    log(`${count(size)}: ${options.filteredQueries} filtered queries (${count(candidates.length)} candidates)`);
    const filtered = { ...runQueries(store, queries.slice(0, options.filteredQueries), options.k, { candidateIds: candidates }), candidates: candidates.length };

    const sweep: SizeResult['sweep'] = [];
    if (options.sweep && store.indexStats()) {
      const defaults = searchSizes(size, options.k);
      for (const rerank of [50, 100, 200, defaults.rerank, 800].sort((a, b) => a - b)) {
        const runs = queries.map((query) => timed(() => store.search(query, options.k, { tuning: { rerank } })));
        const shortlist = searchSizes(size, options.k, { rerank }).shortlist;
        const recall = runs.reduce((sum, run, i) => sum + recallAt(run.value, plain.exact[i]!), 0) / runs.length;
        sweep.push({ rerank, shortlist, p50: percentile(runs.map((run) => run.ms), 50), recall });
      }
    }
    return {
      size,
      insertPerSecond: size / (insertMs / 1000),
      smallBatchPerSecond: smallBatchRows / (smallBatchMs / 1000),
      bytesPer1k,
      fileBytesPer1k,
      firstSearchMs,
      index: store.indexStats(),
      plain,
      filtered,
      hard,
      sweep,
      peakRss: peakRssBytes(),
    };
  } finally {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- the report

function resultTable(results: readonly SizeResult[], k: number): string {
  const header = ['Measurement', ...results.map((r) => `${count(r.size)} vectors`), 'Notes'];
  const row = (name: string, cell: (r: SizeResult) => string, notes = '') => [name, ...results.map(cell), notes];
  const latency = (run: QueryRun) => `p50 ${ms(run.p50)}, p95 ${ms(run.p95)}`;
  const exactLatency = (run: QueryRun) => `p50 ${ms(run.exactP50)}, p95 ${ms(run.exactP95)}`;
  const recall = (run: QueryRun) => `${run.recall.toFixed(3)} (min ${run.minRecall.toFixed(1)})`;
  const path = (r: SizeResult) => (r.index ? 'binary index + exact rerank' : 'exact (sqlite-vec scan)');
  return markdownTable(
    [
      row('Path taken by `VectorStore.search`', path, `exact below ${count(INDEX_MIN_VECTORS)} vectors`),
      row(`\`VectorStore.search\`, k=${k}`, (r) => latency(r.plain), 'held-out queries, warm (after the first search)'),
      row(`Recall@${k} vs exact`, (r) => recall(r.plain), 'mean over queries (worst query)'),
      row('Exact flat scan (sqlite-vec float KNN)', (r) => exactLatency(r.plain), 'the baseline: `{ exact: true }`, same queries, same run'),
      row('Filtered (10% `candidateIds`)', (r) => `${latency(r.filtered)}; exact ${ms(r.filtered.exactP50)}`, 'candidates = a contiguous tenth of the ids (like a date range); exact = sqlite-vec KNN with `rowid IN`'),
      row(`Filtered recall@${k}`, (r) => recall(r.filtered), 'against the exact top-k among the candidates'),
      row('Hard queries', (r) => `${latency(r.hard)}; recall ${recall(r.hard)}`, 'far from every photo, many near-ties'),
      row('First search', (r) => ms(r.firstSearchMs), 'includes building the in-memory index when one is used'),
      row('Index memory', (r) => (r.index ? `${mib(r.index.bytes)} (built in ${ms(r.index.buildMs)})` : '—'), 'WebAssembly memory (codes: 64 B/vector, per-query scratch) + slot/id maps'),
      row('Insert throughput', (r) => `${count(Math.round(r.insertPerSecond))} vectors/s`, '`putMany`, 1,000 per transaction (normalise, vec0 insert, change log)'),
      row('Insert, 16 per transaction', (r) => `${count(Math.round(r.smallBatchPerSecond))} vectors/s`, 'as the embedding job stores them'),
      row('Size per 1k vectors', (r) => `${(r.bytesPer1k / 1e6).toFixed(2)} MB`, 'vec0 table + its shadow tables + change log (dbstat), after checkpoint'),
      row('Library file per 1k vectors', (r) => `${(r.fileBytesPer1k / 1e6).toFixed(2)} MB`, 'whole file, photos rows included'),
      row('Peak RSS so far', (r) => mib(r.peakRss), 'this process (VmHWM), cumulative over the sizes run so far'),
    ],
    header,
  );
}

function sweepTable(results: readonly SizeResult[], k: number): string | null {
  const rows = results.flatMap((r) => r.sweep.map((s) => [count(r.size), count(s.rerank), count(s.shortlist), ms(s.p50), s.recall.toFixed(3)]));
  if (rows.length === 0) return null;
  return markdownTable(rows, ['Vectors', 'Rerank (exact reads)', 'Shortlist (Hamming)', 'p50', `Recall@${k}`]);
}

function goalLine(results: readonly SizeResult[]): string {
  const at = results.find((r) => r.size === GOAL.size);
  const goal = `Goal at ${count(GOAL.size)} vectors: p50 ≤ ${GOAL.p50Ms} ms with recall@10 ≥ ${GOAL.recall}`;
  if (!at) return `${goal}: not measured in this run (sizes ${results.map((r) => count(r.size)).join(', ')}).`;
  const met = at.plain.p50 <= GOAL.p50Ms && at.plain.recall >= GOAL.recall;
  return `${goal}: **${met ? 'met' : 'NOT met'}** (p50 ${ms(at.plain.p50)}, recall ${at.plain.recall.toFixed(3)}).`;
}

function section(results: readonly SizeResult[], options: Options, machine: readonly string[], date: string, command: string, loadAfter: string): string {
  const sweep = sweepTable(results, options.k);
  return [
    SECTION_START,
    '## Vector search',
    '',
    'Made by `test/bench/search-bench.ts`: `VectorStore` (main/engine/search/vector-store.ts) on a fresh library per size,',
    'against sqlite-vec\'s exact flat scan in the same run. Below 20k vectors search is that exact scan; above, a',
    'binary (sign of centred vector) index in memory, scanned by a WebAssembly popcount kernel, then an asymmetric',
    're-score of the shortlist and an exact rerank of the best few hundred read back from vec0.',
    '',
    ...provenance(machine, date, command),
    `- Load average after: ${loadAfter} (other work on this machine inflates latencies)`,
    '',
    ...GENERATOR,
    `${options.queries} queries per size (filtered: the first ${options.filteredQueries}); k=${options.k}; 512 dimensions.`,
    '',
    resultTable(results, options.k),
    '',
    goalLine(results),
    ...(sweep ? ['', 'Rerank size against recall (default shortlist for each; the default rerank is the middle row):', '', sweep] : []),
    SECTION_END,
  ].join('\n');
}

// ---------------------------------------------------------------- main

function main(): void {
  const argv = process.argv.slice(2);
  const options = parseOptions(argv);
  const load = () => os.loadavg().map((l) => l.toFixed(2)).join(', ');
  const machine = [...machineBasics(), `- Temp folder: ${os.tmpdir()} (${fileSystemOf(os.tmpdir())})`, `- Load average at start: ${load()}`];
  const date = new Date().toISOString();
  const results: SizeResult[] = [];
  for (const size of options.sizes) {
    results.push(benchSize(size, options));
    process.stderr.write(`${resultTable(results, options.k)}\n`);
  }
  const text = section(results, options, machine, date, commandLine('bench:search', 'dist/test/bench/search-bench.js', argv), load());
  process.stdout.write(`${text}\n`);
  if (options.write) {
    writeBenchmarksSection(SECTION_START, SECTION_END, text);
    log('wrote BENCHMARKS.md');
  }
}

try {
  main();
} catch (error) {
  process.stderr.write(`search-bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
}
