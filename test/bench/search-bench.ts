/**
 * Vector search benchmark (a benchmark, not a test): `npm run bench:search -- [flags]`.
 *
 * Built to be hostile to the index it measures (issue 15): CLIP-like vectors with a shared mean,
 * a power-law spectrum in a dense random basis and Zipf-sized clusters, in two data sets (one
 * with weak clusters), and five query sets of which four leave the images' cone, as typed
 * queries do across CLIP's modality gap (search-data.ts). For each size and data set:
 *
 * 1. vectors generated once and cached under .cache/search-bench/ (raw float32 + JSON header);
 * 2. the exact top-k of every query by brute force in JS (search-truth.ts), cached too;
 * 3. VectorStore in a child process (search-store-run.ts): putMany throughput, first search,
 *    every query set plain and under two filters, indexStats(), peak RSS; then a NEW process
 *    opens the same library file and times its first search;
 * 4. peers on the same files, one query at a time: faiss IndexFlatIP and IndexHNSWFlat
 *    (peers/faiss_peers.py, Debian's python3-faiss), hnswlib-node and usearch (search-peers.ts,
 *    installed on demand into .cache/bench-peers, never in package.json).
 * Then the issue's goals with met / NOT met, and the section of BENCHMARKS.md.
 *
 * Flags: --sizes 100000,1000000 (default), --data clustered,diffuse, --queries N (200 per set),
 * --filtered-queries N (per set and filter; all), --k N (10), --seed N (1),
 * --peers faiss,hnswlib,usearch (default all; `none` for none), --peer-data clustered,diffuse (the
 * data sets the peers run on; HNSW builds take long at 1M on 2 cores), --install-peers,
 * --build-threads N (2: faiss HNSW and usearch builds), --flat-queries N (20 per set for the slow
 * exact faiss scan), --exact-queries N (3 per set: the store's exact path against the JS truth),
 * --hnsw-sizes N,... (sizes at which the HNSW peers are built; above, only faiss's exact scan),
 * --prepare-only (make and cache the vectors and ground truth, measure nothing: a 1M data set takes
 * minutes to generate and to brute-force), --no-write (leave BENCHMARKS.md alone). Libraries go to
 * TMPDIR and are deleted after each.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchLogger, commandLine, fileSystemOf, machineBasics, positiveInt, provenance, writeBenchmarksSection } from './benchmarks-md.js';
import { DATA_KINDS, type DataKind, type DataSet, dataSet, QUERY_DESCRIPTIONS, QUERY_SETS, readChunks } from './search-data.js';
import { NODE_PEERS, type NodePeer, PEERS_DIR, type PeerJob, type PeerRun, peerInstalled } from './search-peers.js';
import { count, dataTable, goalTable, type Library, peerTable, seconds, stageTable, storeLibraryTable, storeQueryTable } from './search-report.js';
import type { StoreJob, StoreRun } from './search-store-run.js';
import { FILTER_DESCRIPTIONS, FILTERS, groundTruth } from './search-truth.js';

const SECTION_START = '<!-- bench:search:start -->';
const SECTION_END = '<!-- bench:search:end -->';
const HERE = path.dirname(fileURLToPath(import.meta.url));
/** The Python script sits in the source tree (tsc does not copy it to dist/). */
const FAISS_SCRIPT = fileURLToPath(new URL('../../../test/bench/peers/faiss_peers.py', import.meta.url));
const PEERS = ['faiss', 'hnswlib', 'usearch'] as const;
type Peer = (typeof PEERS)[number];

interface Options {
  sizes: number[];
  data: DataKind[];
  queries: number;
  filteredQueries: number;
  k: number;
  seed: number;
  peers: Peer[];
  peerData: DataKind[];
  installPeers: boolean;
  buildThreads: number;
  flatQueries: number;
  exactQueries: number;
  prepareOnly: boolean;
  write: boolean;
  /** Sizes at which the HNSW peers are built (above, only faiss's exact scan runs). */
  hnswSizes: number[] | null;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      sizes: { type: 'string', default: '100000,1000000' },
      data: { type: 'string', default: DATA_KINDS.join(',') },
      queries: { type: 'string', default: '200' },
      'filtered-queries': { type: 'string', default: String(Number.MAX_SAFE_INTEGER) },
      k: { type: 'string', default: '10' },
      seed: { type: 'string', default: '1' },
      peers: { type: 'string', default: PEERS.join(',') },
      'peer-data': { type: 'string', default: DATA_KINDS.join(',') },
      'install-peers': { type: 'boolean', default: false },
      'build-threads': { type: 'string', default: '2' },
      'flat-queries': { type: 'string', default: '20' },
      'exact-queries': { type: 'string', default: '3' },
      'prepare-only': { type: 'boolean', default: false },
      'no-write': { type: 'boolean', default: false },
      'hnsw-sizes': { type: 'string' },
    },
  });
  const list = <T extends string>(flag: string, value: string, allowed: readonly T[]): T[] => {
    const items = value.split(',').map((s) => s.trim()).filter((s) => s && s !== 'none');
    for (const item of items) if (!allowed.includes(item as T)) throw new Error(`--${flag}: ${item} is not one of ${allowed.join(', ')}`);
    return items as T[];
  };
  return {
    sizes: values.sizes.split(',').map((size) => positiveInt('sizes', size)),
    data: list('data', values.data, DATA_KINDS),
    queries: positiveInt('queries', values.queries),
    filteredQueries: positiveInt('filtered-queries', values['filtered-queries']),
    k: positiveInt('k', values.k, 100),
    seed: positiveInt('seed', values.seed),
    peers: list('peers', values.peers, PEERS),
    peerData: list('peer-data', values['peer-data'], DATA_KINDS),
    installPeers: values['install-peers'],
    buildThreads: positiveInt('build-threads', values['build-threads'], 64),
    flatQueries: positiveInt('flat-queries', values['flat-queries']),
    exactQueries: positiveInt('exact-queries', values['exact-queries']),
    prepareOnly: values['prepare-only'],
    write: !values['no-write'],
    hnswSizes: values['hnsw-sizes'] === undefined ? null : values['hnsw-sizes'].split(',').map((size) => positiveInt('hnsw-sizes', size)),
  };
}

const log = benchLogger('search-bench');

/** Runs a child with its stderr (progress) passed through; throws with `what` when it fails. */
function child(what: string, command: string, args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const started = performance.now();
  const result = spawnSync(command, args, { stdio: ['ignore', 'inherit', 'inherit'], env });
  if (result.status !== 0) throw new Error(`${what} failed (${result.error?.message ?? `exit ${result.status ?? result.signal}`})`);
  return performance.now() - started;
}

/** The first Python that imports faiss: Debian's python3-faiss is for /usr/bin/python3, which a pyenv `python3` on PATH hides. */
function faissPython(): string | null {
  for (const candidate of ['/usr/bin/python3', 'python3', 'python']) {
    if (spawnSync(candidate, ['-c', 'import faiss, numpy'], { stdio: 'ignore' }).status === 0) return candidate;
  }
  return null;
}

function installPeers(): void {
  fs.mkdirSync(PEERS_DIR, { recursive: true });
  const packages = Object.values(NODE_PEERS);
  log(`installing ${packages.join(', ')} into ${PEERS_DIR} (not saved to package.json)`);
  const result = spawnSync('npm', ['install', '--no-save', '--prefix', PEERS_DIR, ...packages], { stdio: 'inherit' });
  if (result.status !== 0) throw new Error('npm install of the peers failed');
}

/** Mean cosine of random pairs among the first stored vectors (they are in random order). */
function randomPairCosine(data: DataSet, seedRows = 4096): number {
  const { value: chunk } = readChunks(data.base, Math.min(seedRows, data.base.rows)).next();
  if (!chunk) return NaN;
  const dim = data.base.dim;
  let sum = 0;
  const pairs = Math.min(2000, chunk.rows - 1);
  for (let i = 0; i < pairs; i++) {
    const a = i * dim;
    const b = (chunk.rows - 1 - i) * dim;
    for (let j = 0; j < dim; j++) sum += chunk.data[a + j]! * chunk.data[b + j]!;
  }
  return sum / pairs;
}

function readJson<T>(file: string): T {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

async function benchLibrary(size: number, kind: DataKind, options: Options, python: string | null, work: string): Promise<Library> {
  const stages: Record<string, number> = {};
  const loadBefore = os.loadavg()[0]!;
  const label = `${count(size)} ${kind}`;
  let started = performance.now();
  const data = dataSet(kind, size, options.queries, options.seed, log);
  stages.Vectors = performance.now() - started;
  started = performance.now();
  log(`${label}: ground truth (brute force in JS)`);
  const truth = await groundTruth(data, options.k, options.seed, log);
  stages['Ground truth'] = performance.now() - started;

  const libraryDir = fs.mkdtempSync(path.join(os.tmpdir(), 'iris-search-bench-'));
  const storeJob = (role: StoreJob['role']): StoreJob => ({ role, library: path.join(libraryDir, 'library.db'), data, k: options.k, seed: options.seed, filteredQueries: options.filteredQueries, exactQueries: options.exactQueries, out: path.join(work, `store-${role}.json`) });
  const script = (name: string) => path.join(HERE, name);
  let store: StoreRun;
  let restart: StoreRun;
  try {
    log(`${label}: VectorStore (inserts, searches)`);
    stages['VectorStore process'] = child('the VectorStore run', process.execPath, [script('search-store-run.js'), JSON.stringify(storeJob('build'))]);
    store = readJson<StoreRun>(storeJob('build').out);
    for (const [phase, ms] of Object.entries(store.phases)) stages[`VectorStore: ${phase}`] = ms;
    log(`${label}: VectorStore after a restart (new process, same library file)`);
    stages['Restart process'] = child('the restarted VectorStore run', process.execPath, [script('search-store-run.js'), JSON.stringify(storeJob('restart'))]);
    restart = readJson<StoreRun>(storeJob('restart').out);
  } finally {
    fs.rmSync(libraryDir, { recursive: true, force: true });
  }

  const peers: PeerRun[] = [];
  const missingPeers: string[] = [];
  if (options.peers.length > 0 && !options.peerData.includes(kind)) missingPeers.push(`peers: not run on this data set (--peer-data ${options.peerData.join(',') || 'none'})`);
  // HNSW builds take 35-100 min each at 1M on 2 cores: --hnsw-sizes keeps them to smaller sizes.
  const hnsw = options.hnswSizes === null || options.hnswSizes.includes(size);
  for (const peer of options.peerData.includes(kind) ? options.peers : []) {
    const out = path.join(work, `peer-${peer}.json`);
    if (!hnsw && peer !== 'faiss') {
      missingPeers.push(`${NODE_PEERS[peer]}: not built at this size (--hnsw-sizes ${options.hnswSizes!.join(',')}: an HNSW build takes 35-100 min at 1M on 2 cores)`);
      continue;
    }
    fs.rmSync(out, { force: true });
    const missing = peer === 'faiss' ? (python ? null : 'faiss: not installed (apt install python3-faiss; no python imports faiss)') : peerInstalled(peer) ? null : `${NODE_PEERS[peer]}: not installed (run with --install-peers)`;
    if (missing) {
      missingPeers.push(missing);
      continue;
    }
    log(`${label}: ${peer === 'faiss' ? `faiss (${python})` : NODE_PEERS[peer]}`);
    // A peer that fails (out of memory at 1M, a broken build) is reported, not fatal: the
    // VectorStore figures measured before it are still worth writing down.
    try {
      if (peer === 'faiss') {
        const job = { data, k: options.k, build_threads: options.buildThreads, flat_queries: options.flatQueries, indexes: hnsw ? ['flat', 'hnsw'] : ['flat'], out };
        if (!hnsw) missingPeers.push(`faiss IndexHNSWFlat: not built at this size (--hnsw-sizes ${options.hnswSizes!.join(',')})`);
        // Passive OpenMP waiting: spinning threads starve each other on a loaded 2-core machine.
        stages.faiss = child('faiss', python!, [FAISS_SCRIPT, JSON.stringify(job)], { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' });
      } else {
        const job: PeerJob = { peer: peer satisfies NodePeer, data, k: options.k, buildThreads: options.buildThreads, out };
        stages[peer] = child(peer, process.execPath, [script('search-peers.js'), JSON.stringify(job)]);
      }
      peers.push(...readJson<PeerRun[]>(out));
    } catch (error) {
      log(`${label}: ${error instanceof Error ? error.message : String(error)}`);
      missingPeers.push(`${peer}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const cached = [...(data.generatedMs === null ? ['Vectors'] : []), ...(truth.computedMs === null ? ['Ground truth'] : [])];
  return { size, data, truth, store, restart, peers, missingPeers, stages, cached, load: [loadBefore, os.loadavg()[0]!], randomCosine: randomPairCosine(data) };
}

function section(libraries: readonly Library[], options: Options, machine: readonly string[], date: string, command: string, loadAfter: string): string {
  return [
    SECTION_START,
    '## Vector search',
    '',
    'Made by `test/bench/search-bench.ts`: `VectorStore` (main/engine/search/vector-store.ts) on a fresh library per size',
    'and data set, measured in a child process per library (and again in a new process opening the same file, for the',
    'first search after a restart), with faiss, hnswlib-node and usearch on the same vectors and queries in the same run.',
    '',
    ...provenance(machine, date, command),
    `- Load average after: ${loadAfter} (other work on this machine inflates latencies)`,
    '',
    '### Data and queries',
    '',
    '512-d unit vectors, CLIP-like and made to be hard (test/bench/search-data.ts): a mean shared by every vector (squared',
    'norm 0.45, so unrelated vectors have a cosine near 0.45), variance falling off as 1/rank (power law) along a random',
    'dense orthonormal basis (the top 128 directions; an isotropic tail carries the remaining ~20%; not axis-aligned and',
    'not built from a Hadamard transform, which the index uses), clusters of Zipf-like sizes (exponent 1.1, N/200 of',
    'them) with a spread varying ×4 between clusters. `clustered`: cluster centres carry 0.35 and the spread 0.2;',
    '`diffuse`: centres 0.1 and spread 0.45, most variance within clusters, which partition-based indexes find hard.',
    `${options.queries} queries per set, none of them stored; k = ${options.k}; recall@${options.k} against the exact top-${options.k} by brute force in JS over the same float32 vectors:`,
    '',
    ...QUERY_SETS.map((set) => `- \`${set}\`: ${QUERY_DESCRIPTIONS[set]}.`),
    ...FILTERS.map((filter) => `- Filtered (${filter}): \`candidateIds\` = ${FILTER_DESCRIPTIONS[filter]}; recall against the exact top-${options.k} among the candidates.`),
    '',
    dataTable(libraries),
    '',
    '### Goals (issue 15)',
    '',
    goalTable(libraries),
    '',
    '### VectorStore, per query set',
    '',
    'Recall is the mean over queries, the worst query in brackets. Latency is per query, warm (after the first search).',
    '',
    storeQueryTable(libraries),
    '',
    '### VectorStore, per library',
    '',
    'Inserts through `putMany`; "first search" includes building the in-memory index; "after restart" is a new process',
    'opening the same library file (the index comes from what the store persists, or is built again). Index memory and',
    'build time as `indexStats()` reports them.',
    '',
    storeLibraryTable(libraries),
    '',
    '### Peers on the same vectors',
    '',
    'One query at a time on one thread (faiss: `omp_set_num_threads(1)`; usearch: `threads = 1`; hnswlib-node searches',
    'on the calling thread). VectorStore splits its first pass with a second thread (index/scan-thread.ts) from 65,536',
    'photos on; its row "one thread" is the same searches with that thread off.',
    `HNSW: M 32, efConstruction 128; faiss HNSW and usearch build on ${options.buildThreads} threads, hnswlib-node on`,
    `one (it inserts one point per call). faiss IndexFlatIP latency is over the first ${options.flatQueries} queries of each set.`,
    'Memory: the serialized index (vectors + graph) for the HNSWs, the float vectors for the flat index, `indexStats().bytes` for VectorStore.',
    '',
    peerTable(libraries),
    '',
    '### Time per stage',
    '',
    stageTable(libraries),
    SECTION_END,
  ].join('\n');
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const options = parseOptions(argv);
  if (options.installPeers) installPeers();
  const load = () => os.loadavg().map((l) => l.toFixed(2)).join(', ');
  const machine = [...machineBasics(), `- Temp folder: ${os.tmpdir()} (${fileSystemOf(os.tmpdir())})`, `- Load average at start: ${load()}`];
  const date = new Date().toISOString();
  if (options.prepareOnly) {
    for (const size of options.sizes) {
      for (const kind of options.data) await groundTruth(dataSet(kind, size, options.queries, options.seed, log), options.k, options.seed, log);
    }
    log('vectors and ground truth are cached; nothing measured');
    return;
  }
  const python = options.peers.includes('faiss') ? faissPython() : null;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'iris-search-bench-work-'));
  const libraries: Library[] = [];
  try {
    for (const size of options.sizes) {
      for (const kind of options.data) {
        const started = performance.now();
        libraries.push(await benchLibrary(size, kind, options, python, work));
        log(`${count(size)} ${kind}: done in ${seconds(performance.now() - started)}`);
        process.stderr.write(`${goalTable(libraries)}\n\n${peerTable(libraries.slice(-1))}\n`);
      }
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  const text = section(libraries, options, machine, date, commandLine('bench:search', 'dist/test/bench/search-bench.js', argv), load());
  process.stdout.write(`${text}\n`);
  if (options.write) {
    writeBenchmarksSection(SECTION_START, SECTION_END, text);
    log('wrote BENCHMARKS.md');
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`search-bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
