/**
 * The vector-search benchmark's arithmetic and tables: recall against the ground truth, latency
 * percentiles, the goals with "met"/"NOT met", and the markdown for BENCHMARKS.md.
 */
import { markdownTable } from './benchmarks-md.js';
import type { PeerRun } from './search-peers.js';
import { type DataSet, QUERY_SETS, type QuerySet } from './search-data.js';
import type { SetRun, StoreRun } from './search-store-run.js';
import { type Filter, FILTERS, type Truth } from './search-truth.js';

/** Everything measured on one library (one size of one data set). */
export interface Library {
  size: number;
  data: DataSet;
  truth: Truth;
  store: StoreRun;
  restart: StoreRun | null;
  peers: PeerRun[];
  /** Peers asked for but not measured, with why. */
  missingPeers: string[];
  /** Wall time of each stage, ms. */
  stages: Record<string, number>;
  /** Stages read from the cache rather than computed. */
  cached: string[];
  /** 1-minute load average before and after: other work on the machine inflates latencies. */
  load: [number, number];
  /** Mean cosine of random pairs of stored vectors. */
  randomCosine: number;
}

export interface Quality {
  mean: number;
  worst: number;
  p50: number;
  p95: number;
  count: number;
}

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Recall@k of each query of `set` in `run` against the truth (`variant`: unfiltered or a filter). */
function recalls(library: Library, run: SetRun, set: QuerySet, variant: 'all' | Filter): number[] {
  const { k } = library.truth;
  const offset = library.data.queries.sets.find((s) => s.name === set)!.offset;
  const truth = library.truth.ids[variant];
  return run.rows.map((rows, i) => {
    const expected = new Set(truth.subarray((offset + i) * k, (offset + i + 1) * k));
    return rows.filter((row) => expected.has(row)).length / k;
  });
}

/** Recall (mean and worst query) and latency of `run`, or null when it did not run. */
function quality(library: Library, run: SetRun | undefined, set: QuerySet, variant: 'all' | Filter = 'all'): Quality | null {
  if (!run || run.rows.length === 0) return null;
  const r = recalls(library, run, set, variant);
  return { mean: r.reduce((a, b) => a + b, 0) / r.length, worst: Math.min(...r), p50: percentile(run.ms, 50), p95: percentile(run.ms, 95), count: r.length };
}

/** Mean exact top-1 cosine of a query set: how far its queries sit from every stored vector. */
function top1(library: Library, set: QuerySet): number {
  const { k } = library.truth;
  const { offset, count } = library.data.queries.sets.find((s) => s.name === set)!;
  let sum = 0;
  for (let i = 0; i < count; i++) sum += library.truth.scores.all[(offset + i) * k]!;
  return sum / count;
}

// ---------------------------------------------------------------- formatting

const ms = (value: number) => (!Number.isFinite(value) ? '—' : value >= 100 ? `${value.toFixed(0)} ms` : `${value.toFixed(value >= 10 ? 1 : 2)} ms`);
export const seconds = (value: number | undefined) => (value === undefined ? '—' : value >= 100_000 ? `${(value / 60_000).toFixed(1)} min` : `${(value / 1000).toFixed(1)} s`);
export const count = (n: number) => n.toLocaleString('en-US');
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(bytes < 10 * 2 ** 20 ? 1 : 0)} MiB`;
const recall = (q: Quality | null) => (q ? `${q.mean.toFixed(3)} (${q.worst.toFixed(1)})` : '—');
const cell = (q: Quality | null) => (q ? `${ms(q.p50)}; ${recall(q)}` : '—');
const perSecond = (n: number | undefined) => (n === undefined ? '—' : `${count(Math.round(n))}/s`);
const name = (library: Library) => [count(library.size), library.data.kind];

// ---------------------------------------------------------------- tables

export function dataTable(libraries: readonly Library[]): string {
  const rows = libraries.map((l) => [...name(l), count(l.data.clusters), `${count(l.data.biggestCluster)} (${((100 * l.data.biggestCluster) / l.size).toFixed(1)}%)`, l.randomCosine.toFixed(3), ...QUERY_SETS.map((set) => top1(l, set).toFixed(3))]);
  return markdownTable(rows, ['Vectors', 'Data', 'Clusters', 'Biggest cluster', 'Cosine of random pairs', ...QUERY_SETS.map((set) => `Top-1 cosine: ${set}`)]);
}

export function storeQueryTable(libraries: readonly Library[]): string {
  const rows = libraries.flatMap((l) =>
    QUERY_SETS.map((set) => {
      const plain = quality(l, l.store.sets[set], set);
      const filtered = FILTERS.map((filter) => cell(quality(l, l.store.filtered[filter]?.[set], set, filter)));
      const restart = quality(l, l.restart?.sets[set], set);
      const single = quality(l, l.store.oneThread?.[set], set);
      return [...name(l), set, plain ? ms(plain.p50) : '—', plain ? ms(plain.p95) : '—', recall(plain), single ? ms(single.p50) : '—', ...filtered, cell(restart)];
    }),
  );
  return markdownTable(rows, ['Vectors', 'Data', 'Queries', 'p50', 'p95', 'Recall@10 (worst)', 'p50, first pass on one thread', ...FILTERS.map((f) => `Filtered, ${f}: p50; recall (worst)`), 'After restart: p50; recall (worst)']);
}

/** How many of the store's `exact: true` answers hold exactly the JS brute force's top-k. */
function exactAgreement(l: Library): string {
  const all = QUERY_SETS.flatMap((set) => (l.store.exact[set] ? recalls(l, l.store.exact[set], set, 'all') : []));
  return all.length === 0 ? '—' : `${all.filter((r) => r === 1).length}/${all.length}`;
}

/** Where the restarted process got its index, when indexStats() says (an optional field). */
function restartSource(run: StoreRun): string {
  const source = run.indexAfterFirst?.source;
  return typeof source === 'string' ? `; index ${source}` : '';
}

export function storeLibraryTable(libraries: readonly Library[]): string {
  const rows = libraries.map((l) => {
    const index = l.store.index;
    const restartTotal = l.restart ? l.restart.openMs + l.restart.firstSearchMs : NaN;
    return [
      ...name(l),
      perSecond(l.store.insertPerSecond),
      perSecond(l.store.smallBatchPerSecond),
      ms(l.store.firstSearchMs),
      index ? `${mib(index.bytes)}, built in ${ms(index.buildMs)}` : 'none (indexStats() null)',
      l.restart ? `${ms(restartTotal)} (open ${ms(l.restart.openMs)} + search ${ms(l.restart.firstSearchMs)})${restartSource(l.restart)}` : '—',
      l.store.bytesPer1k === undefined ? '—' : `${(l.store.bytesPer1k / 1e6).toFixed(2)} MB`,
      `${mib(l.store.peakRss)} / ${l.restart ? mib(l.restart.peakRss) : '—'}`,
      exactAgreement(l),
    ];
  });
  return markdownTable(rows, ['Vectors', 'Data', 'Insert, 1,000/transaction', 'Insert, 16/transaction', 'First search', 'Index memory (indexStats)', 'First search after restart', 'Vector tables per 1k', 'Peak RSS: build / restart process', '`exact: true` = JS brute force']);
}

export function peerTable(libraries: readonly Library[]): string {
  const rows = libraries.flatMap((l) => {
    const store = [...name(l), '**VectorStore.search**', seconds(l.store.index?.buildMs), l.store.index ? mib(l.store.index.bytes) : '—', ...QUERY_SETS.map((set) => cell(quality(l, l.store.sets[set], set)))];
    const single = l.store.oneThread && Object.keys(l.store.oneThread).length > 0
      ? [[...name(l), '**VectorStore.search**, one thread', seconds(l.store.index?.buildMs), l.store.index ? mib(l.store.index.bytes) : '—', ...QUERY_SETS.map((set) => cell(quality(l, l.store.oneThread[set], set)))]]
      : [];
    const peers = l.peers.map((p) => [...name(l), p.name, seconds(p.buildMs), mib(p.memoryBytes), ...QUERY_SETS.map((set) => cell(quality(l, p.sets[set], set)))]);
    const missing = l.missingPeers.map((why) => [...name(l), why, '—', '—', ...QUERY_SETS.map(() => '—')]);
    return [store, ...single, ...peers, ...missing];
  });
  return markdownTable(rows, ['Vectors', 'Data', 'Method', 'Build', 'Memory', ...QUERY_SETS.map((set) => `${set}: p50; recall (worst)`)]);
}

export function stageTable(libraries: readonly Library[]): string {
  const stages = [...new Set(libraries.flatMap((l) => Object.keys(l.stages)))];
  return markdownTable(
    libraries.map((l) => [...name(l), ...stages.map((s) => `${seconds(l.stages[s])}${l.cached.includes(s) ? ' (cached)' : ''}`), l.load.map((x) => x.toFixed(1)).join(' → ')]),
    ['Vectors', 'Data', ...stages, 'Load average (1 min), before → after'],
  );
}

// ---------------------------------------------------------------- goals

interface Goal {
  what: string;
  target: string;
  /** null: not measured in this run. */
  met: boolean | null;
  result: string;
}

/** The worst of `values` by `worse`, with where it was, or null when there are none. */
function worstOf<T>(values: { value: T; where: string }[], worse: (a: T, b: T) => boolean): { value: T; where: string } | null {
  return values.reduce<{ value: T; where: string } | null>((w, v) => (w === null || worse(v.value, w.value) ? v : w), null);
}

function recallGoal(libraries: readonly Library[], what: string, runs: (l: Library) => { run: SetRun | undefined; set: QuerySet; variant: 'all' | Filter; label: string }[]): Goal {
  const all = libraries
    .filter((l) => l.size >= 100_000)
    .flatMap((l) => runs(l).map((r) => ({ q: quality(l, r.run, r.set, r.variant), where: `${count(l.size)} ${l.data.kind} ${r.label}` })))
    .filter((r) => r.q !== null);
  const means = worstOf(all.map((r) => ({ value: r.q!.mean, where: r.where })), (a, b) => a < b);
  const worsts = worstOf(all.map((r) => ({ value: r.q!.worst, where: r.where })), (a, b) => a < b);
  if (!means || !worsts) return { what, target: '≥ 0.98 mean, ≥ 0.8 worst query, every query set', met: null, result: 'not measured (needs 100,000 or 1,000,000 vectors)' };
  return { what, target: '≥ 0.98 mean, ≥ 0.8 worst query, every query set', met: means.value >= 0.98 && worsts.value >= 0.8, result: `lowest mean ${means.value.toFixed(3)} (${means.where}); worst query ${worsts.value.toFixed(1)} (${worsts.where})` };
}

function latencyGoal(libraries: readonly Library[], size: number, limitMs: number): Goal {
  const at = libraries.filter((l) => l.size === size);
  const all = at.flatMap((l) => QUERY_SETS.map((set) => ({ value: quality(l, l.store.sets[set], set)?.p50 ?? NaN, where: `${l.data.kind} ${set}` })));
  const worst = worstOf(all, (a, b) => a > b);
  const what = `p50 at ${count(size)}`;
  if (!worst) return { what, target: `≤ ${limitMs} ms, every query set`, met: null, result: 'not measured' };
  return { what, target: `≤ ${limitMs} ms, every query set`, met: worst.value <= limitMs, result: `slowest ${ms(worst.value)} (${worst.where})` };
}

function goals(libraries: readonly Library[]): Goal[] {
  const at1m = libraries.filter((l) => l.size === 1_000_000);
  const memory = worstOf(at1m.map((l) => ({ value: l.store.index?.bytes ?? NaN, where: l.data.kind })), (a, b) => !(a <= b));
  const restart = worstOf(at1m.map((l) => ({ value: l.restart ? l.restart.openMs + l.restart.firstSearchMs : NaN, where: l.data.kind })), (a, b) => !(a <= b));
  const inserts = worstOf(
    libraries.flatMap((l) => [
      { value: l.store.insertPerSecond ?? NaN, where: `${count(l.size)} ${l.data.kind}, 1,000/transaction` },
      { value: l.store.smallBatchPerSecond ?? NaN, where: `${count(l.size)} ${l.data.kind}, 16/transaction` },
    ]),
    (a, b) => !(a >= b),
  );
  const filteredRuns = (l: Library) => FILTERS.flatMap((filter) => QUERY_SETS.map((set) => ({ run: l.store.filtered[filter]?.[set], set, variant: filter, label: `${set}, ${filter} filter` })));
  return [
    recallGoal(libraries, 'recall@10 at 100k and 1M', (l) => QUERY_SETS.map((set) => ({ run: l.store.sets[set], set, variant: 'all' as const, label: set }))),
    latencyGoal(libraries, 100_000, 5),
    latencyGoal(libraries, 1_000_000, 15),
    { what: 'index memory at 1M', target: '≤ 128 MiB (indexStats().bytes)', met: memory ? memory.value <= 128 * 2 ** 20 : null, result: memory ? (Number.isFinite(memory.value) ? `${mib(memory.value)} (${memory.where})` : `not reported (${memory.where})`) : 'not measured' },
    { what: 'inserts', target: '≥ 30,000 vectors/s, in bulk and 16 per transaction', met: inserts ? inserts.value >= 30_000 : null, result: inserts ? `slowest ${perSecond(inserts.value)} (${inserts.where})` : 'not measured' },
    { what: 'first search after a restart at 1M', target: '≤ 1 s, opening the library included', met: restart ? restart.value <= 1000 : null, result: restart ? `${ms(restart.value)} (${restart.where})` : 'not measured' },
    { ...recallGoal(libraries, 'filtered search recall at 100k and 1M', filteredRuns), target: 'as unfiltered: ≥ 0.98 mean, ≥ 0.8 worst query' },
    ...[100_000, 1_000_000].map((size, i) => {
      const limit = [5, 15][i]!;
      const all = libraries.filter((l) => l.size === size).flatMap((l) => filteredRuns(l).map((r) => ({ value: quality(l, r.run, r.set, r.variant)?.p50 ?? NaN, where: `${l.data.kind} ${r.label}` })));
      const worst = worstOf(all, (a, b) => !(a <= b));
      return { what: `filtered p50 at ${count(size)}`, target: `≤ ${limit} ms, as unfiltered`, met: worst ? worst.value <= limit : null, result: worst ? `slowest ${ms(worst.value)} (${worst.where})` : 'not measured' };
    }),
  ];
}

export function goalTable(libraries: readonly Library[]): string {
  const status = (met: boolean | null) => (met === null ? 'not measured' : met ? 'met' : '**NOT met**');
  return markdownTable(
    goals(libraries).map((g) => [g.what, g.target, g.result, status(g.met)]),
    ['Goal', 'Target', 'Measured', 'Status'],
  );
}
