/**
 * Scan and thumbnail benchmark (a benchmark, not a test): `npm run bench:scan -- [flags]`.
 *
 * 1. Throughput: `iris index` over N camera-like JPEGs into a fresh library, timed as a separate
 *    process: photos/s, input MB/s and the peak resident set of that process.
 * 2. Restart: F small distinct images in nested folders are indexed once, then `iris index` runs
 *    again as a fresh process over the unchanged files (the cost of opening Iris on a big library).
 *
 * Prints a markdown table and replaces the "Scan and thumbnails" section of BENCHMARKS.md.
 *
 * Flags: --photos N (1000), --size WxH (3000x2000), --files F (100000), --seed index|scan (index),
 * --skip-throughput, --skip-restart, --no-write (leave BENCHMARKS.md alone).
 *
 * Generated inputs are cached under the OS temp folder (set TMPDIR to bench another disk) and
 * kept between runs; the libraries are deleted at the end.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import zlib from 'node:zlib';
import sharp from 'sharp';
import { Engine } from '../../main/engine/index.js';
import { mapWithConcurrency } from '../../main/engine/concurrency.js';
import { benchLogger, BENCHMARKS_FILE, commandLine as benchCommandLine, fileSystemOf, machineBasics, markdownTable, mebibytes, median, positiveInt, provenance, writeBenchmarksSection } from './benchmarks-md.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const IRIS_CLI = path.join(REPO_ROOT, 'dist/main/cli/iris.js');
const SECTION_START = '<!-- bench:scan:start -->';
const SECTION_END = '<!-- bench:scan:end -->';

/** The product goal this benchmark checks: reopening a 100k-photo library with nothing changed. */
const RESTART_GOAL_SECONDS = 5;
const RESTART_GOAL_FILES = 100_000;
const RESTART_RUNS = 3;
const FILES_PER_FOLDER = 100;
const FOLDERS_PER_PARENT = 10;
/** Bump when the generators change, so cached sets made by an older version are rebuilt. */
const GENERATOR_VERSION = 1;

type SeedMode = 'index' | 'scan';

interface Options {
  photos: number;
  width: number;
  height: number;
  files: number;
  seed: SeedMode;
  throughput: boolean;
  restart: boolean;
  write: boolean;
}

/** One table line: what was measured, the result, and what to know about it. */
type Row = [measurement: string, result: string, notes: string];

// ---------------------------------------------------------------- options

function parseSize(value: string): { width: number; height: number } {
  const match = /^(\d+)x(\d+)$/i.exec(value);
  if (!match) throw new Error(`--size must look like 3000x2000, got ${value}`);
  return { width: positiveInt('size', match[1]!, 16_383), height: positiveInt('size', match[2]!, 16_383) };
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      photos: { type: 'string', default: '1000' },
      size: { type: 'string', default: '3000x2000' },
      files: { type: 'string', default: String(RESTART_GOAL_FILES) },
      seed: { type: 'string', default: 'index' },
      'skip-throughput': { type: 'boolean', default: false },
      'skip-restart': { type: 'boolean', default: false },
      'no-write': { type: 'boolean', default: false },
    },
  });
  if (values.seed !== 'index' && values.seed !== 'scan') throw new Error(`--seed must be index or scan, got ${values.seed}`);
  const options: Options = {
    photos: positiveInt('photos', values.photos),
    ...parseSize(values.size),
    // Each tiny image gets its own 24-bit colour, which bounds how many distinct ones there can be.
    files: positiveInt('files', values.files, 2 ** 24),
    seed: values.seed,
    throughput: !values['skip-throughput'],
    restart: !values['skip-restart'],
    write: !values['no-write'],
  };
  if (!options.throughput && !options.restart) throw new Error('nothing to do: both --skip-throughput and --skip-restart were given');
  return options;
}

// ---------------------------------------------------------------- small helpers

const seconds = (s: number) => `${s.toFixed(2)} s`;
const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
const count = (n: number) => n.toLocaleString('en-US');


const log = benchLogger('scan-bench');

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const started = performance.now();
  const value = await work();
  return { value, seconds: (performance.now() - started) / 1000 };
}

/**
 * xorshift32: fast and seedable. The photos only need to look random and differ from each other;
 * a seed per photo makes a cached set reproducible.
 */
function xorshift32(seed: number): () => number {
  let state = seed | 0 || 0x9e3779b9;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state >>> 0;
  };
}

// ---------------------------------------------------------------- cached input sets

/**
 * A generated set lives in a folder with a `.complete` marker written last, naming the parameters
 * it was made with. A set without the marker (an interrupted run) or with other parameters is
 * deleted and made again. The marker is a hidden file, which the scanner skips.
 */
async function ensureCachedSet(dir: string, parameters: object, generate: (dir: string) => Promise<void>): Promise<void> {
  const marker = path.join(dir, '.complete');
  const expected = JSON.stringify({ ...parameters, generator: GENERATOR_VERSION });
  if (fs.existsSync(marker) && fs.readFileSync(marker, 'utf8') === expected) {
    log(`reusing ${dir}`);
    return;
  }
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  log(`generating ${dir} (cached for later runs)`);
  await generate(dir);
  fs.writeFileSync(marker, expected);
}

/**
 * A 'camera-like' JPEG: a handful of random colours blown up with a cubic filter (the smooth,
 * out-of-focus gradients of a real scene), plus per-pixel noise like a sensor's. The noise is what
 * makes the file sizes realistic; its strength varies per photo so the set spans roughly 0.5 to
 * 1.6 MB at 6 MP, as real cameras' files vary with detail. EXIF make, model and capture date make
 * the metadata reader do the work it does on real photos.
 */
async function cameraLikeJpeg(index: number, width: number, height: number): Promise<Buffer> {
  const random = xorshift32(index * 2654435761 + 1);
  const scene = Buffer.alloc(12 * 8 * 3);
  for (let i = 0; i < scene.length; i++) scene[i] = random() & 255;
  const pixels = await sharp(scene, { raw: { width: 12, height: 8, channels: 3 } })
    .resize(width, height, { kernel: 'cubic' })
    .raw()
    .toBuffer();
  const amplitude = 4 + (random() % 11);
  for (let i = 0; i < pixels.length; i++) {
    const value = pixels[i]! + ((((random() & 255) - 128) * amplitude) >> 7);
    pixels[i] = value < 0 ? 0 : value > 255 ? 255 : value;
  }
  const taken = new Date(Date.UTC(2024, 5, 1) + index * 3_600_000).toISOString();
  const exifDate = `${taken.slice(0, 10).replaceAll('-', ':')} ${taken.slice(11, 19)}`;
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 90 })
    .withExif({ IFD0: { Make: 'Iris', Model: 'Bench Camera' }, IFD2: { DateTimeOriginal: exifDate } })
    .toBuffer();
}

async function ensurePhotoSet(options: Options): Promise<{ dir: string; files: string[]; bytes: number }> {
  const { photos, width, height } = options;
  const dir = path.join(os.tmpdir(), `iris-bench-photos-${photos}-${width}x${height}`);
  const name = (index: number) => path.join(dir, `IMG_${String(index + 1).padStart(5, '0')}.jpg`);
  await ensureCachedSet(dir, { photos, width, height }, async () => {
    let written = 0;
    const indexes = Array.from({ length: photos }, (_, index) => index);
    await mapWithConcurrency(indexes, os.availableParallelism(), async (index) => {
      fs.writeFileSync(name(index), await cameraLikeJpeg(index, width, height));
      if (++written % Math.max(1, Math.round(photos / 10)) === 0) log(`  ${written}/${photos} photos`);
    });
  });
  const files = Array.from({ length: photos }, (_, index) => name(index));
  return { dir, files, bytes: files.reduce((sum, file) => sum + fs.statSync(file).size, 0) };
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(body));
  return Buffer.concat([length, body, crc]);
}

/**
 * An 8x8 PNG filled with colour number `index`: valid, decodable, and different bytes (so a
 * different photo) for every index below 2^24. Built by hand because sharp would take far longer
 * for 100k files than the scan being measured.
 */
function tinyPng(index: number): Buffer {
  const side = 8;
  const header = Buffer.alloc(13);
  header.writeUInt32BE(side, 0);
  header.writeUInt32BE(side, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit, truecolour, deflate, adaptive filtering, no interlace
  const row = Buffer.alloc(1 + side * 3); // filter byte 0 (none), then the pixels
  for (let x = 0; x < side; x++) row.set([(index >> 16) & 255, (index >> 8) & 255, index & 255], 1 + x * 3);
  const pixels = Buffer.concat(Array.from({ length: side }, () => row));
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, pngChunk('IHDR', header), pngChunk('IDAT', zlib.deflateSync(pixels)), pngChunk('IEND', Buffer.alloc(0))]);
}

/** `t000/s0000/img-000000.png`: 100 files per folder, 10 folders per parent, like dated albums. */
function tinyFilePath(dir: string, index: number): string {
  const folder = Math.floor(index / FILES_PER_FOLDER);
  const parent = Math.floor(folder / FOLDERS_PER_PARENT);
  return path.join(dir, `t${String(parent).padStart(3, '0')}`, `s${String(folder).padStart(4, '0')}`, `img-${String(index).padStart(7, '0')}.png`);
}

async function ensureFileSet(files: number): Promise<{ dir: string; folders: number }> {
  const dir = path.join(os.tmpdir(), `iris-bench-files-${files}`);
  await ensureCachedSet(dir, { files }, async () => {
    for (let index = 0; index < files; index++) {
      const file = tinyFilePath(dir, index);
      if (index % FILES_PER_FOLDER === 0) fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, tinyPng(index));
    }
  });
  return { dir, folders: Math.ceil(files / FILES_PER_FOLDER) };
}

// ---------------------------------------------------------------- running iris

/** A scratch folder for this run's libraries, deleted at the end (also on Ctrl-C). */
class Scratch {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iris-bench-run-'));
  private next = 0;

  /** A fresh path (not created) for a library or a probe file. */
  path(label: string): string {
    return path.join(this.dir, `${label}-${this.next++}`);
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true, maxRetries: 3 });
  }
}

/**
 * Preloaded into each iris process: on exit it writes that process's own peak resident set. On
 * Linux it reads VmHWM, not getrusage's maxRSS: a process spawned by Node starts as a fork of this
 * script, and Linux carries the forked image's RSS into maxRSS across exec, so maxRSS would report
 * this script's memory (hundreds of MiB after making photos) instead of the CLI's. Elsewhere (macOS
 * spawns without that copy) maxRSS is right. Unlike GNU time's -f, this works on every OS.
 */
const RSS_PROBE = `data:text/javascript,${encodeURIComponent(
  `import { readFileSync, writeFileSync } from 'node:fs';
   function peakRss() {
     try {
       const match = /^VmHWM:\\s*(\\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
       if (match) return Number(match[1]) * 1024;
     } catch {}
     return process.resourceUsage().maxRSS * 1024;
   }
   process.on('exit', () => writeFileSync(process.env.IRIS_BENCH_RSS_FILE, String(peakRss())));`,
)}`;

interface IrisRun {
  seconds: number;
  peakRssBytes: number;
  stdout: string;
}

/** Children still running, so that Ctrl-C can stop them before their library is deleted. */
const runningChildren = new Set<ChildProcess>();

function spawnCollect(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    runningChildren.add(child);
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      runningChildren.delete(child);
      resolve({ code, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') });
    });
  });
}

/** Runs the real CLI as a fresh Node process; the time includes its start-up, as a user sees it. */
async function runIris(args: string[], scratch: Scratch): Promise<IrisRun> {
  const probe = scratch.path('rss');
  const env = { ...process.env, IRIS_BENCH_RSS_FILE: probe };
  const { value: result, seconds } = await timed(() => spawnCollect(process.execPath, [`--import=${RSS_PROBE}`, IRIS_CLI, ...args], env));
  if (result.code !== 0) throw new Error(`iris ${args.join(' ')} exited with ${result.code}:\n${result.stderr.slice(-2000)}`);
  return { seconds, peakRssBytes: Number(fs.readFileSync(probe, 'utf8')), stdout: result.stdout };
}

interface IndexJson {
  found: number;
  indexed: number;
  unchanged: number;
  removed: number;
  failed: unknown[];
}

async function irisIndex(folder: string, library: string, scratch: Scratch): Promise<IrisRun & { summary: IndexJson }> {
  const run = await runIris(['index', folder, '--library', library, '--json'], scratch);
  return { ...run, summary: JSON.parse(run.stdout) as IndexJson };
}

/** Differences between what `iris index --json` said and what it should have said, or null. */
function summaryProblem(summary: IndexJson, expected: Partial<Omit<IndexJson, 'failed'>>): string | null {
  const wrong = Object.entries(expected)
    .filter(([key, value]) => summary[key as keyof typeof expected] !== value)
    .map(([key, value]) => `${key} ${summary[key as keyof typeof expected]} (expected ${value})`);
  if (summary.failed.length > 0) wrong.push(`${summary.failed.length} failed`);
  return wrong.length > 0 ? wrong.join(', ') : null;
}

// ---------------------------------------------------------------- the measurements

async function benchThroughput(options: Options, scratch: Scratch): Promise<Row[]> {
  const set = await ensurePhotoSet(options);
  const n = set.files.length;
  log(`indexing ${n} photos into a fresh library`);
  const run = await irisIndex(set.dir, scratch.path('library'), scratch);
  const problem = summaryProblem(run.summary, { found: n, indexed: n });
  if (problem) throw new Error(`throughput run is not valid: ${problem}`);
  return [
    ['Input photos', `${count(n)} JPEGs, ${options.width}x${options.height}`, `${megabytes(set.bytes)} in all, ${megabytes(set.bytes / n)} each on average`],
    ['`iris index`, fresh library', seconds(run.seconds), 'hash, record, metadata, 256 and 1024 px WebP thumbnails; whole process'],
    ['Photos per second', (n / run.seconds).toFixed(1), ''],
    ['Input MB/s', (set.bytes / 1e6 / run.seconds).toFixed(1), 'MB = 10^6 bytes'],
    ['Peak RSS of `iris index`', mebibytes(run.peakRssBytes), 'the CLI process alone (its VmHWM on Linux)'],
  ];
}

/**
 * Seeds the library the cheap way: hash and record every file (engine.scan), then mark the
 * thumbnail jobs done with one UPDATE so the restart finds no work. No thumbnails are made, which
 * the restart never looks at.
 */
async function seedByScan(folder: string, library: string): Promise<number> {
  const engine = Engine.open({ libraryDir: library });
  try {
    const scan = await engine.library.scan(engine.library.resolveFolders([folder]));
    engine.database.prepare(`UPDATE jobs SET state = 'done', updated_at = ? WHERE kind = 'thumbnail' AND state = 'pending'`).run(Date.now());
    return scan.indexed;
  } finally {
    await engine.close();
  }
}

async function seedRows(options: Options, folder: string, library: string, scratch: Scratch): Promise<Row[]> {
  const files = options.files;
  if (options.seed === 'scan') {
    const { value: indexed, seconds: took } = await timed(() => seedByScan(folder, library));
    if (indexed !== files) throw new Error(`seeding scan recorded ${indexed} of ${files} files`);
    return [['Seeding (engine.scan + SQL)', seconds(took), `--seed scan: files hashed and recorded in-process, thumbnail jobs then marked done by one SQL UPDATE; no thumbnails made (${(files / took).toFixed(0)} files/s)`]];
  }
  const run = await irisIndex(folder, library, scratch);
  const problem = summaryProblem(run.summary, { found: files, indexed: files });
  if (problem) throw new Error(`seeding index is not valid: ${problem}`);
  return [['First `iris index` (full)', seconds(run.seconds), `every file hashed, recorded and thumbnailed: ${(files / run.seconds).toFixed(0)} files/s, peak RSS ${mebibytes(run.peakRssBytes)}`]];
}

function goalRow(files: number, medianSeconds: number): Row {
  const met = medianSeconds <= RESTART_GOAL_SECONDS;
  const scope = files === RESTART_GOAL_FILES ? '' : ` (the goal is for ${count(RESTART_GOAL_FILES)} files; this run had ${count(files)})`;
  return [`Goal: restart ≤ ${RESTART_GOAL_SECONDS} s at ${count(RESTART_GOAL_FILES)} files`, met ? 'met' : '**NOT met**', `median ${seconds(medianSeconds)}${scope}`];
}

/** Reopens the library `RESTART_RUNS` times as fresh processes and checks that nothing was redone. */
async function measureRestarts(folder: string, library: string, files: number, scratch: Scratch): Promise<{ runs: IrisRun[]; problems: string[] }> {
  const runs: IrisRun[] = [];
  const problems: string[] = [];
  for (let i = 0; i < RESTART_RUNS; i++) {
    log(`restart ${i + 1}/${RESTART_RUNS}`);
    const run = await irisIndex(folder, library, scratch);
    runs.push(run);
    const problem = summaryProblem(run.summary, { found: files, indexed: 0, unchanged: files, removed: 0 });
    if (problem) problems.push(`run ${i + 1}: ${problem}`);
  }
  return { runs, problems };
}

async function benchRestart(options: Options, scratch: Scratch): Promise<Row[]> {
  const files = options.files;
  const set = await ensureFileSet(files);
  const library = scratch.path('library');
  log(`seeding a library with ${files} files (--seed ${options.seed})`);
  const seeding = await seedRows(options, set.dir, library, scratch);
  const startup = await runIris(['--version'], scratch);
  const { runs, problems } = await measureRestarts(set.dir, library, files, scratch);
  // A restart that redid work measured something else: the table says so and the exit code fails.
  if (problems.length > 0) process.exitCode = 1;
  const times = runs.map((run) => run.seconds);
  return [
    ['Files', `${count(files)} PNGs, 8x8`, `${count(set.folders)} folders of ${FILES_PER_FOLDER}, ${FOLDERS_PER_PARENT} folders per parent; distinct bytes each`],
    ...seeding,
    ['CLI start-up (`iris --version`)', seconds(startup.seconds), 'part of every restart below: Node, sharp, SQLite and the CLI loading'],
    [`Restart \`iris index\`, ${count(files)} unchanged`, `min ${seconds(Math.min(...times))}, median ${seconds(median(times))}`, `${RESTART_RUNS} fresh processes: ${times.map((t) => t.toFixed(2)).join(', ')} s`],
    ['Peak RSS of restart', mebibytes(Math.max(...runs.map((run) => run.peakRssBytes))), 'largest of the runs'],
    ['Restart JSON check', problems.length === 0 ? 'ok' : `**FAILED**: ${problems.join('; ')}`, `every run must say indexed 0, unchanged ${count(files)}, removed 0, failed 0`],
    goalRow(files, median(times)),
  ];
}

// ---------------------------------------------------------------- the report

function machineLines(): string[] {
  const load = os.loadavg().map((l) => l.toFixed(2)).join(', ');
  return [
    ...machineBasics(),
    `- Temp folder: ${os.tmpdir()} (${fileSystemOf(os.tmpdir())}); page cache warm (inputs just written or read)`,
    `- Load average at start: ${load}`,
  ];
}

function commandLine(argv: readonly string[]): string {
  return benchCommandLine('bench:scan', 'dist/test/bench/scan-bench.js', argv);
}

function section(table: string, machine: readonly string[], date: string, command: string): string {
  return [
    SECTION_START,
    '## Scan and thumbnails',
    '',
    'Made by `test/bench/scan-bench.ts`. Throughput: `iris index` over generated camera-like JPEGs into a fresh',
    'library. Restart: `iris index` again, as a fresh process, over a library whose files are all unchanged.',
    '',
    ...provenance(machine, date, command),
    '',
    table,
    SECTION_END,
  ].join('\n');
}

/** Replaces only this benchmark's section, so other benchmarks' sections stay as they are. */
function writeBenchmarks(newSection: string): void {
  writeBenchmarksSection(SECTION_START, SECTION_END, newSection);
  log(`wrote ${BENCHMARKS_FILE}`);
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const options = parseOptions(argv);
  if (!fs.existsSync(IRIS_CLI)) throw new Error(`${IRIS_CLI} is missing: run \`npm run build\` first`);
  const machine = machineLines();
  const date = new Date().toISOString();
  const scratch = new Scratch();
  // Interrupted: stop the iris child (a SIGINT sent to this process alone does not reach it), so it
  // does not write into its library while that is deleted, and leave no scratch library behind.
  process.once('SIGINT', () => {
    for (const child of runningChildren) child.kill('SIGKILL');
    scratch.remove();
    process.exit(130);
  });
  const rows: Row[] = [];
  try {
    if (options.throughput) rows.push(...(await benchThroughput(options, scratch)));
    if (options.restart) rows.push(...(await benchRestart(options, scratch)));
  } finally {
    scratch.remove();
  }
  const table = markdownTable(rows);
  process.stdout.write(`${machine.join('\n')}\n- Date: ${date}\n\n${table}\n`);
  if (options.write) writeBenchmarks(section(table, machine, date, commandLine(argv)));
}

main().catch((error: unknown) => {
  process.stderr.write(`scan-bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
