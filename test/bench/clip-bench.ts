/**
 * CLIP encoder benchmark (a benchmark, not a test): `npm run bench:clip -- [flags]`.
 *
 * On a full-size ViT-B/32 image tower with random weights (test/fixtures/vit-b32-random.ts,
 * generated on demand into .cache/bench-models/) and N generated 12 MP camera-like JPEGs, each
 * measured alone on all cores, in its own Node process (so each has its own peak RSS and nothing
 * warm carries over):
 *
 *   decode       CLIP preprocessing alone (shrink-on-load decode, resize, centre crop, normalise)
 *   encoder      the ONNX image tower alone at batch 1/8/16/32 (onnxruntime-node, CPU)
 *   bound        1 / (t_encoder + t_decode): on a machine where decode and encoder share every core
 *   transformers @huggingface/transformers' image-feature-extraction pipeline, same model and files
 *   reference    this file's own decode → encode overlap (no store), what the bound looks like in code
 *   iris         the engine: engine.index() over the photos, timed over its embed jobs
 *                (decode → embed → store), see measureIrisPipeline()
 *
 * Goals (from the issue): iris ≥ 85 % of the bound, and iris ≥ 2× transformers.js. Toward them every
 * figure leans against Iris: the bound from the fastest decode pass and encoder run, transformers.js
 * by its fastest pass, Iris by its median run (medians are in the notes).
 *
 * Prints a markdown table and replaces the "CLIP encoder" section of BENCHMARKS.md.
 *
 * Flags: --photos N (24), --size WxH (4000x3000), --batches 1,8,16,32, --runs R (3: passes of
 * decode, transformers.js and reference, fresh libraries for Iris; the encoder runs about 64 images
 * per batch size instead), --models DIR (.cache/bench-models), --quiet-wait S (120: how long to wait,
 * before each stage, for the machine to be idle), --attempts A (4: runs of a stage that other
 * processes disturbed; the least disturbed one counts), --skip-transformers, --skip-reference,
 * --skip-iris, --no-write (leave BENCHMARKS.md alone).
 *
 * The machine may be shared: each stage reports the share of the cores other processes took while
 * it was timed; a stage where that was over 5 % is run again (--attempts), and the table flags one
 * that never ran undisturbed.
 *
 * Photos are cached under the OS temp folder (set TMPDIR for another disk) and kept between runs.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { peakRssBytes } from '../helpers/peak-rss.js';
import type { ModelEntry } from '../../main/engine/models/catalog.js';
import { mapWithConcurrency } from '../../main/engine/concurrency.js';
import { benchLogger, BENCHMARKS_FILE, commandLine, fileSystemOf, machineBasics, markdownTable, mebibytes, median, positiveInt, provenance, writeBenchmarksSection } from './benchmarks-md.js';
import { BENCH_MODELS_DIR, VISION_MODEL_FILE, VIT_B32_RANDOM_ID, VIT_B32_RANDOM_PARAMETERS, ensureVitB32Random } from '../fixtures/vit-b32-random.js';

const THIS_FILE = fileURLToPath(import.meta.url);
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SECTION_START = '<!-- bench:clip:start -->';
const SECTION_END = '<!-- bench:clip:end -->';
const requireHere = createRequire(import.meta.url);

/** The goals. */
const BOUND_GOAL = 0.85;
const TRANSFORMERS_GOAL = 2;
/** Bump when the photo generator changes, so cached sets made by an older version are rebuilt. */
const GENERATOR_VERSION = 2;
/** Images per encoder measurement at each batch size (at least two runs), after one warm-up run. */
const ENCODER_IMAGES = 64;
/** transformers.js' batched mode: files per pipeline call. */
const TRANSFORMERS_BATCH = 8;
/** The reference pipeline's batch (the engine's EMBED_BATCH at the time of writing). */
const REFERENCE_BATCH = 16;

const CORES = Math.max(1, os.availableParallelism());
/** Machine busy share under which a stage may start (see waitForQuiet). */
const QUIET_BUSY = 0.1;
/** A stage whose cores other processes took more of than this is run again, or flagged in the table. */
const CONTENDED = 0.05;

interface Options {
  photos: number;
  width: number;
  height: number;
  batches: number[];
  runs: number;
  modelsDir: string;
  quietWait: number;
  attempts: number;
  transformers: boolean;
  reference: boolean;
  iris: boolean;
  write: boolean;
}

/** One table line: what was measured, the result, and what to know about it. */
type Row = [measurement: string, result: string, notes: string];

// ---------------------------------------------------------------- options

function seconds(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${flag} must be a number of seconds, got ${value}`);
  return n;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      photos: { type: 'string', default: '24' },
      size: { type: 'string', default: '4000x3000' },
      batches: { type: 'string', default: '1,8,16,32' },
      runs: { type: 'string', default: '3' },
      models: { type: 'string', default: BENCH_MODELS_DIR },
      'quiet-wait': { type: 'string', default: '120' },
      attempts: { type: 'string', default: '4' },
      'skip-transformers': { type: 'boolean', default: false },
      'skip-reference': { type: 'boolean', default: false },
      'skip-iris': { type: 'boolean', default: false },
      'no-write': { type: 'boolean', default: false },
    },
  });
  const size = /^(\d+)x(\d+)$/i.exec(values.size);
  if (!size) throw new Error(`--size must look like 4000x3000, got ${values.size}`);
  return {
    photos: positiveInt('photos', values.photos, 10_000),
    width: positiveInt('size', size[1]!, 16_383),
    height: positiveInt('size', size[2]!, 16_383),
    batches: [...new Set(values.batches.split(',').map((b) => positiveInt('batches', b.trim(), 256)))].sort((a, b) => a - b),
    runs: positiveInt('runs', values.runs, 100),
    modelsDir: path.resolve(values.models),
    quietWait: seconds('quiet-wait', values['quiet-wait']),
    attempts: positiveInt('attempts', values.attempts, 20),
    transformers: !values['skip-transformers'],
    reference: !values['skip-reference'],
    iris: !values['skip-iris'],
    write: !values['no-write'],
  };
}

// ---------------------------------------------------------------- small helpers

const perSecond = (n: number) => `${n.toFixed(1)} img/s`;
const rates = (values: readonly number[]) => values.map((v) => v.toFixed(1)).join(', ');

const millis = (s: number) => `${(s * 1000).toFixed(1)} ms`;


const log = benchLogger('clip-bench');


/** The aggregate `cpu` line of /proc/stat: busy (including steal) and total jiffies; null off Linux. */
function cpuJiffies(): { busy: number; total: number } | null {
  try {
    const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
    const [user, nice, system, idle, iowait, irq, softirq, steal] = fields as [number, number, number, number, number, number, number, number];
    const busy = user + nice + system + irq + softirq + steal;
    return { busy, total: busy + idle + iowait };
  } catch {
    return null;
  }
}

/**
 * How much of the machine other processes took while this one was being timed: this is a shared
 * machine (builds and tests of other work may run beside the bench), and a stage that had to share
 * its cores measured less than it should. Sums the timed windows given to begin()/end(); the share
 * is (busy - own) / capacity, where capacity comes from /proc/stat itself, so no clock-tick constant
 * is assumed. Hypervisor steal counts as other load.
 */
class CpuAccount {
  private window: { jiffies: { busy: number; total: number }; own: NodeJS.CpuUsage; at: number } | null = null;
  private other = 0;
  private capacity = 0;

  begin(): void {
    const jiffies = cpuJiffies();
    this.window = jiffies ? { jiffies, own: process.cpuUsage(), at: performance.now() } : null;
  }

  end(): void {
    const start = this.window;
    const jiffies = cpuJiffies();
    this.window = null;
    if (!start || !jiffies) return;
    const total = jiffies.total - start.jiffies.total;
    if (total <= 0) return;
    const seconds = (performance.now() - start.at) / 1000;
    const own = process.cpuUsage(start.own);
    const ownShare = (own.user + own.system) / 1e6 / (seconds * CORES);
    const busyShare = (jiffies.busy - start.jiffies.busy) / total;
    this.other += Math.max(0, busyShare - ownShare) * seconds;
    this.capacity += seconds;
  }

  /** Mean share of all cores used by other processes over the windows, or null when unknown. */
  otherShare(): number | null {
    return this.capacity > 0 ? this.other / this.capacity : null;
  }
}

/** The windows timed in this (stage) process. */
const cpuAccount = new CpuAccount();

/** CPU busy share of the whole machine over `ms`, or null off Linux. */
async function machineBusy(ms: number): Promise<number | null> {
  const before = cpuJiffies();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = cpuJiffies();
  if (!before || !after || after.total <= before.total) return null;
  return (after.busy - before.busy) / (after.total - before.total);
}

/**
 * Waits (up to `limitSeconds`) for a second in which the machine is nearly idle before a stage
 * starts, so that the stage does not begin inside someone else's build. Returns the last reading.
 */
async function waitForQuiet(limitSeconds: number): Promise<number | null> {
  const deadline = performance.now() + limitSeconds * 1000;
  let busy = await machineBusy(1000);
  let said = false;
  while (busy !== null && busy > QUIET_BUSY && performance.now() < deadline) {
    if (!said) log(`  waiting for other processes to settle (machine ${(busy * 100).toFixed(0)} % busy; up to ${limitSeconds} s)`);
    said = true;
    busy = await machineBusy(2000);
  }
  return busy;
}

function xorshift32(seed: number): () => number {
  let state = seed | 0 || 0x9e3779b9;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state >>> 0;
  };
}

function listPhotos(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((name) => name.toLowerCase().endsWith('.jpg'))
    .sort()
    .map((name) => path.join(dir, name));
}

// ---------------------------------------------------------------- camera-like photos

/** EXIF orientations given to every fourth photo in turn (the rest are 1, upright). */
const ORIENTATIONS = [6, 8, 3];

function orientationOf(index: number): number {
  return index % 4 === 3 ? ORIENTATIONS[Math.floor(index / 4) % ORIENTATIONS.length]! : 1;
}

/** A few translucent shapes (objects, horizon, sun) as an SVG the size of the photo. */
function shapesSvg(random: () => number, width: number, height: number): Buffer {
  const colour = () => `rgb(${random() & 255},${random() & 255},${random() & 255})`;
  const shapes: string[] = [];
  const horizon = Math.round(height * (0.3 + (random() % 40) / 100));
  shapes.push(`<rect x="0" y="${horizon}" width="${width}" height="${height - horizon}" fill="${colour()}" fill-opacity="0.35"/>`);
  for (let i = 0, count = 8 + (random() % 10); i < count; i++) {
    const x = random() % width;
    const y = random() % height;
    const size = Math.round(Math.min(width, height) * (0.04 + (random() % 25) / 100));
    const opacity = (0.3 + (random() % 60) / 100).toFixed(2);
    switch (random() % 3) {
      case 0:
        shapes.push(`<circle cx="${x}" cy="${y}" r="${size / 2}" fill="${colour()}" fill-opacity="${opacity}"/>`);
        break;
      case 1:
        shapes.push(`<rect x="${x}" y="${y}" width="${size}" height="${Math.round(size * 1.6)}" rx="${Math.round(size / 8)}" fill="${colour()}" fill-opacity="${opacity}"/>`);
        break;
      default:
        shapes.push(`<ellipse cx="${x}" cy="${y}" rx="${size}" ry="${Math.round(size / 3)}" fill="${colour()}" fill-opacity="${opacity}" transform="rotate(${random() % 180} ${x} ${y})"/>`);
    }
  }
  return Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${shapes.join('')}</svg>`);
}

/**
 * A 'camera-like' JPEG, built from what makes real photos cost what they cost to decode: a smooth
 * scene (a few colours around one palette, blown up and blurred: sky, walls, out-of-focus
 * background), translucent shapes with hard edges (objects, a horizon), a luminance texture at a
 * few pixels' scale (foliage, fabric, gravel) and per-pixel sensor noise. Texture and noise
 * strength vary per photo, so files span realistic sizes (about 2 to 4 MB at 12 MP, quality 90,
 * 4:2:0). EXIF make, model and date, and on every fourth photo an EXIF orientation (6, 8, 3), so
 * decoders do the rotation work they do on real phone photos.
 */
async function cameraLikeJpeg(index: number, width: number, height: number): Promise<Buffer> {
  const random = xorshift32(index * 2654435761 + 7);
  const base = [random() & 255, random() & 255, random() & 255];
  const scene = Buffer.alloc(8 * 6 * 3);
  for (let i = 0; i < scene.length; i++) scene[i] = Math.max(0, Math.min(255, base[i % 3]! + (random() % 161) - 80));
  const smooth = await sharp(scene, { raw: { width: 8, height: 6, channels: 3 } })
    .resize(Math.round(width / 10), Math.round(height / 10), { kernel: 'cubic' })
    .blur(4)
    .raw()
    .toBuffer();
  const pixels = await sharp(smooth, { raw: { width: Math.round(width / 10), height: Math.round(height / 10), channels: 3 } })
    .resize(width, height, { kernel: 'cubic' })
    .composite([{ input: shapesSvg(random, width, height), blend: 'over' }])
    .removeAlpha()
    .raw()
    .toBuffer();
  const textureWidth = Math.ceil(width / 3);
  const textureHeight = Math.ceil(height / 3);
  const grain = Buffer.alloc(textureWidth * textureHeight);
  for (let i = 0; i < grain.length; i++) grain[i] = random() & 255;
  const texture = await sharp(grain, { raw: { width: textureWidth, height: textureHeight, channels: 1 } }).resize(width, height, { kernel: 'cubic' }).raw().toBuffer();
  const textureAmplitude = 12 + (random() % 48); // in 1/128ths of (texture - 128)
  const noiseAmplitude = 3 + (random() % 8);
  for (let p = 0, i = 0; p < texture.length; p++) {
    const shade = ((texture[p]! - 128) * textureAmplitude) >> 7;
    for (let c = 0; c < 3; c++, i++) {
      const value = pixels[i]! + shade + ((((random() & 255) - 128) * noiseAmplitude) >> 7);
      pixels[i] = value < 0 ? 0 : value > 255 ? 255 : value;
    }
  }
  const taken = new Date(Date.UTC(2024, 6, 1) + index * 3_600_000).toISOString();
  const exifDate = `${taken.slice(0, 10).replaceAll('-', ':')} ${taken.slice(11, 19)}`;
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 90 })
    .withExif({ IFD0: { Make: 'Iris', Model: 'Bench Camera 12MP' }, IFD2: { DateTimeOriginal: exifDate } })
    .withMetadata({ orientation: orientationOf(index) })
    .toBuffer();
}

interface PhotoSet {
  dir: string;
  files: string[];
  bytes: number;
  rotated: number;
}

/** The set lives in a folder with a `.complete` marker written last (as in scan-bench.ts). */
async function ensurePhotoSet(options: Options): Promise<PhotoSet> {
  const { photos, width, height } = options;
  const dir = path.join(os.tmpdir(), `iris-bench-clip-photos-${photos}-${width}x${height}`);
  const marker = path.join(dir, '.complete');
  const expected = JSON.stringify({ photos, width, height, generator: GENERATOR_VERSION });
  if (fs.existsSync(marker) && fs.readFileSync(marker, 'utf8') === expected) {
    log(`reusing ${dir}`);
  } else {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    log(`generating ${photos} photos ${width}x${height} in ${dir} (cached for later runs)`);
    let written = 0;
    await mapWithConcurrency(
      Array.from({ length: photos }, (_, i) => i),
      CORES,
      async (index) => {
        fs.writeFileSync(path.join(dir, `IMG_${String(index + 1).padStart(5, '0')}.jpg`), await cameraLikeJpeg(index, width, height));
        if (++written % Math.max(1, Math.round(photos / 6)) === 0) log(`  ${written}/${photos} photos`);
      },
    );
    fs.writeFileSync(marker, expected);
  }
  const files = listPhotos(dir);
  if (files.length !== photos) throw new Error(`${dir} holds ${files.length} photos, expected ${photos}: delete it and run again`);
  const rotated = Array.from({ length: photos }, (_, i) => orientationOf(i)).filter((o) => o !== 1).length;
  return { dir, files, bytes: files.reduce((sum, file) => sum + fs.statSync(file).size, 0), rotated };
}

// ---------------------------------------------------------------- stages (each in its own process)

interface StageInput {
  modelsDir: string;
  photosDir: string;
  batches: number[];
  runs: number;
}

interface DecodeResult {
  stage: 'decode';
  source: string;
  secondsPerImage: number;
  passes: number[];
  peakRss: number;
}

interface EncoderResult {
  stage: 'encoder';
  ortVersion: string;
  loadSeconds: number;
  /** Per batch size: median and fastest run, per image. */
  batches: { batch: number; secondsPerImage: number; fastestPerImage: number; runs: number }[];
  peakRss: number;
}

interface TransformersResult {
  stage: 'transformers';
  version: string;
  ortVersion: string;
  loadSeconds: number;
  /** Median of the passes (images/s), and each pass. */
  modes: { filesPerCall: number; imagesPerSecond: number; passes: number[]; outputDims: number[] }[];
  peakRss: number;
}

interface ReferenceResult {
  stage: 'reference';
  source: string;
  batch: number;
  /** Median of the passes (images/s), and each pass. */
  imagesPerSecond: number;
  passes: number[];
  peakRss: number;
}

type IrisPipelineResult =
  | { pending: true; reason: string }
  | {
      pending: false;
      /** Photos embedded between the first and the last embed progress event. */
      embedded: number;
      /** From the first embed progress event (the first batch claimed) to the last (the last batch stored). */
      seconds: number;
      imagesPerSecond: number;
      /** The whole engine.index() of the photos: scan, thumbnails and embeddings. */
      indexSeconds: number;
      /** What the engine's index summary says about embeddings, when it says anything. */
      summaryEmbedded: number | null;
      failed: number;
    };

type IrisRun = Extract<IrisPipelineResult, { pending: false }>;

/** The median of `runs` fresh indexes (`rates`: each run's images/s), or pending. */
type IrisResult = { stage: 'iris'; peakRss: number } & (Extract<IrisPipelineResult, { pending: true }> | (IrisRun & { rates: number[] }));

type StageResult = DecodeResult | EncoderResult | TransformersResult | ReferenceResult | IrisResult;

/** A stage's result as the parent gets it: with the share of the cores other processes took meanwhile. */
type Reported<T extends StageResult> = T & { otherLoad: number | null; attempts?: number };

type Preprocess = (input: Buffer | string) => Promise<Float32Array>;

/**
 * The CLIP preprocessing to time: the engine's (main/engine/clip/preprocessing.ts, or
 * preprocess.ts as first planned) when it is there, else the test helper's. Loaded by a computed
 * path, so this file builds whichever of them exists.
 */
async function loadPreprocess(entry: ModelEntry): Promise<{ preprocess: Preprocess; source: string }> {
  for (const candidate of ['main/engine/clip/preprocessing', 'main/engine/clip/preprocess']) {
    const file = path.join(REPO_ROOT, 'dist', `${candidate}.js`);
    if (!fs.existsSync(file)) continue;
    const module = (await import(file)) as { preprocessImage?: (input: Buffer | string, prep: unknown) => Promise<Float32Array>; parseClipPreprocessing?: (id: string, raw: unknown) => unknown };
    const preprocessImage = module.preprocessImage;
    if (typeof preprocessImage !== 'function') continue;
    const prep = module.parseClipPreprocessing ? module.parseClipPreprocessing(entry.id, entry.preprocessing) : entry.preprocessing;
    return { preprocess: (input) => preprocessImage(input, prep), source: `engine preprocessImage (${candidate}.ts)` };
  }
  const helper = (await import(path.join(REPO_ROOT, 'dist', 'test', 'helpers', 'clip.js'))) as { imageToPixelValues: (input: Buffer | string, prep: unknown) => Promise<Float32Array> };
  return { preprocess: (input) => helper.imageToPixelValues(input, entry.preprocessing), source: 'test helper imageToPixelValues (test/helpers/clip.ts)' };
}

function benchEntry(modelsDir: string): ModelEntry {
  const catalog = JSON.parse(fs.readFileSync(path.join(modelsDir, 'catalog.json'), 'utf8')) as { models: ModelEntry[] };
  const entry = catalog.models.find((model) => model.id === VIT_B32_RANDOM_ID);
  if (!entry) throw new Error(`${modelsDir}/catalog.json does not list ${VIT_B32_RANDOM_ID}`);
  return entry;
}

function sessionOptions(): ort.InferenceSession.SessionOptions {
  return { executionProviders: ['cpu'], intraOpNumThreads: CORES, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' };
}

async function stageDecode(input: StageInput): Promise<DecodeResult> {
  // No libvips operation cache: every pass must decode every file again.
  sharp.cache(false);
  const files = listPhotos(input.photosDir);
  const { preprocess, source } = await loadPreprocess(benchEntry(input.modelsDir));
  await mapWithConcurrency(files.slice(0, CORES), CORES, (file) => preprocess(file)); // warm-up (libvips start-up)
  const passes: number[] = [];
  for (let run = 0; run < input.runs; run++) {
    cpuAccount.begin();
    const started = performance.now();
    await mapWithConcurrency(files, CORES, (file) => preprocess(file));
    passes.push((performance.now() - started) / 1000 / files.length);
    cpuAccount.end();
  }
  return { stage: 'decode', source, secondsPerImage: median(passes), passes, peakRss: peakRssBytes() };
}

async function stageEncoder(input: StageInput): Promise<EncoderResult> {
  const modelFile = path.join(input.modelsDir, VIT_B32_RANDOM_ID, ...VISION_MODEL_FILE.split('/'));
  const loading = performance.now();
  const session = await ort.InferenceSession.create(modelFile, sessionOptions());
  const loadSeconds = (performance.now() - loading) / 1000;
  const size = 3 * 224 * 224;
  const random = xorshift32(42);
  const batches: EncoderResult['batches'] = [];
  try {
    for (const batch of input.batches) {
      // Values like normalised pixels (about -1.8 to 2.1); the work does not depend on them.
      const data = Float32Array.from({ length: batch * size }, () => (random() / 2 ** 32) * 3.9 - 1.8);
      const feeds = { pixel_values: new ort.Tensor('float32', data, [batch, 3, 224, 224]) };
      await session.run(feeds); // warm-up: first-run allocations
      const runs = Math.max(2, Math.ceil(ENCODER_IMAGES / batch));
      const times: number[] = [];
      cpuAccount.begin();
      for (let i = 0; i < runs; i++) {
        const started = performance.now();
        const outputs = await session.run(feeds);
        times.push((performance.now() - started) / 1000);
        if (i === 0 && !Array.from(outputs.image_embeds!.data as Float32Array).every(Number.isFinite)) throw new Error('the encoder produced non-finite embeddings');
      }
      cpuAccount.end();
      batches.push({ batch, secondsPerImage: median(times) / batch, fastestPerImage: Math.min(...times) / batch, runs });
      log(`  encoder batch ${batch}: ${millis(median(times) / batch)} per image`);
    }
  } finally {
    await session.release();
  }
  return { stage: 'encoder', ortVersion: ort.env.versions.node ?? 'unknown', loadSeconds, batches, peakRss: peakRssBytes() };
}

async function stageTransformers(input: StageInput): Promise<TransformersResult> {
  sharp.cache(false);
  const transformers = await import('@huggingface/transformers');
  const entryPoint = requireHere.resolve('@huggingface/transformers');
  const fromTransformers = createRequire(entryPoint);
  const own = (name: string) => (fromTransformers(`${name}/package.json`) as { version: string }).version;
  const version = (requireHere(path.join(path.dirname(entryPoint), '..', 'package.json')) as { version: string }).version;
  // Local files only: the same folder as Iris's catalog (model id = folder name).
  transformers.env.allowRemoteModels = false;
  transformers.env.allowLocalModels = true;
  transformers.env.localModelPath = `${input.modelsDir}${path.sep}`;
  const files = listPhotos(input.photosDir);
  const loading = performance.now();
  const extractor = await transformers.pipeline('image-feature-extraction', VIT_B32_RANDOM_ID, {
    dtype: 'fp32',
    device: 'cpu',
    // The same thread count as the other stages, so the comparison is about the pipeline.
    session_options: { intraOpNumThreads: CORES, interOpNumThreads: 1 },
  });
  const loadSeconds = (performance.now() - loading) / 1000;
  const modes: TransformersResult['modes'] = [];
  try {
    await extractor(files[0]!); // warm-up
    for (const filesPerCall of [1, TRANSFORMERS_BATCH]) {
      let outputDims: number[] = [];
      const passes: number[] = [];
      for (let run = 0; run < input.runs; run++) {
        cpuAccount.begin();
        const started = performance.now();
        for (let i = 0; i < files.length; i += filesPerCall) {
          const chunk = files.slice(i, i + filesPerCall);
          const output = await extractor(chunk.length === 1 ? chunk[0]! : chunk);
          outputDims = [...output.dims];
          output.dispose();
        }
        passes.push(files.length / ((performance.now() - started) / 1000));
        cpuAccount.end();
      }
      modes.push({ filesPerCall, imagesPerSecond: median(passes), passes, outputDims });
      log(`  transformers.js, ${filesPerCall} per call: ${perSecond(median(passes))}`);
    }
  } finally {
    await extractor.dispose();
  }
  return { stage: 'transformers', version, ortVersion: own('onnxruntime-node'), loadSeconds, modes, peakRss: peakRssBytes() };
}

/**
 * The bench's own pipeline, as a yardstick for the engine's: `CORES` decodes in flight; the
 * encoder takes a batch as soon as REFERENCE_BATCH images are ready (or the rest at the end), while
 * decoding goes on. No store, no job queue.
 */
async function stageReference(input: StageInput): Promise<ReferenceResult> {
  sharp.cache(false);
  const files = listPhotos(input.photosDir);
  const { preprocess, source } = await loadPreprocess(benchEntry(input.modelsDir));
  const session = await ort.InferenceSession.create(path.join(input.modelsDir, VIT_B32_RANDOM_ID, ...VISION_MODEL_FILE.split('/')), sessionOptions());
  const size = 3 * 224 * 224;
  try {
    const warm = await preprocess(files[0]!);
    await session.run({ pixel_values: new ort.Tensor('float32', warm, [1, 3, 224, 224]) });
    const passes: number[] = [];
    for (let run = 0; run < input.runs; run++) {
      cpuAccount.begin();
      const started = performance.now();
      const ready: Float32Array[] = [];
      let decoded = 0;
      let wake: (() => void) | null = null;
      const decoding = mapWithConcurrency(files, CORES, async (file) => {
        ready.push(await preprocess(file));
        decoded++;
        wake?.();
      });
      let embedded = 0;
      while (embedded < files.length) {
        const wanted = Math.min(REFERENCE_BATCH, files.length - embedded);
        while (ready.length < wanted) await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
        const batch = ready.splice(0, wanted);
        const data = new Float32Array(batch.length * size);
        batch.forEach((image, i) => data.set(image, i * size));
        await session.run({ pixel_values: new ort.Tensor('float32', data, [batch.length, 3, 224, 224]) });
        embedded += batch.length;
      }
      await decoding;
      if (decoded !== files.length) throw new Error(`reference pipeline decoded ${decoded} of ${files.length}`);
      passes.push(files.length / ((performance.now() - started) / 1000));
      cpuAccount.end();
    }
    return { stage: 'reference', source, batch: REFERENCE_BATCH, imagesPerSecond: median(passes), passes, peakRss: peakRssBytes() };
  } finally {
    await session.release();
  }
}

// ====================================================================================================
// THE IRIS PIPELINE: measureIrisPipeline(modelsDir, photosDir)
//
// Indexes the photos with the engine, the way `iris index` does, into a fresh library in a temp
// folder, and times the engine's embed jobs (decode → embed → store) from its progress events:
// `{ phase: 'jobs', kind, done, failed, ... }`, where embed jobs have a kind starting with `embed`
// (`embed:<model id>`). The runner reports a job (or batch) when it claims it and again right
// after settling it, with `done + failed` counting every job of that drain, of every kind; so an
// embed event whose `done + failed` went up reports that many embed jobs finished.
//
// Before timing, one small photo in another folder is indexed with the same engine, so the model's
// sha256 check and session creation (a second or so, once per process) are not in the time, as in a
// running app. When the engine emits no embed events (no embed job, model not installed), the result
// is `pending` with the reason and the bench goes on.
// ====================================================================================================

async function measureIrisPipeline(modelsDir: string, photosDir: string): Promise<IrisPipelineResult> {
  let Engine: typeof import('../../main/engine/index.js').Engine;
  try {
    ({ Engine } = await import('../../main/engine/index.js'));
  } catch (error) {
    return { pending: true, reason: `engine embed job not available: the engine does not load: ${(error as Error).message}` };
  }
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'iris-bench-clip-library-'));
  const warmDir = path.join(scratch, 'warm-up');
  fs.mkdirSync(warmDir);
  await sharp({ create: { width: 640, height: 480, channels: 3, background: { r: 90, g: 140, b: 200 } } })
    .jpeg({ quality: 90 })
    .toFile(path.join(warmDir, 'warm-up.jpg'));
  const engine = Engine.open({ libraryDir: path.join(scratch, 'library'), modelsDir, device: 'cpu' });
  const problems: string[] = [];
  engine.on('problem', (problem) => problems.push(problem.message));
  try {
    await engine.index([warmDir]);
    const timing = { first: null as number | null, last: 0, embedded: 0, previous: 0 };
    engine.on('progress', (progress) => {
      if (progress.phase !== 'jobs') return;
      const completed = progress.done + progress.failed;
      if (completed < timing.previous) timing.previous = 0; // a new drain counts from zero
      if (String(progress.kind).startsWith('embed')) {
        timing.first ??= performance.now();
        timing.last = performance.now();
        timing.embedded += completed - timing.previous;
      }
      timing.previous = completed;
    });
    cpuAccount.begin();
    const started = performance.now();
    const summary = (await engine.index([photosDir])) as { failed: unknown[]; embeddings?: { embedded?: number; skipped?: string | null } };
    const indexSeconds = (performance.now() - started) / 1000;
    cpuAccount.end();
    if (timing.first === null || timing.embedded === 0) {
      const why = summary.embeddings?.skipped ?? problems.at(-1) ?? 'no embed progress events';
      return { pending: true, reason: `engine embed job not available: ${why}` };
    }
    const seconds = (timing.last - timing.first) / 1000;
    // The warm-up photo is embedded too; the summary counts the whole library.
    const summaryEmbedded = typeof summary.embeddings?.embedded === 'number' ? summary.embeddings.embedded - 1 : null;
    return { pending: false, embedded: timing.embedded, seconds, imagesPerSecond: timing.embedded / seconds, indexSeconds, summaryEmbedded, failed: summary.failed.length };
  } finally {
    await engine.close();
    fs.rmSync(scratch, { recursive: true, force: true, maxRetries: 3 });
  }
}

async function stageIris(input: StageInput): Promise<IrisResult> {
  const runs: IrisRun[] = [];
  for (let run = 0; run < input.runs; run++) {
    const result = await measureIrisPipeline(input.modelsDir, input.photosDir);
    if (result.pending) return { stage: 'iris', ...result, peakRss: peakRssBytes() };
    runs.push(result);
    log(`  Iris pipeline: ${perSecond(result.imagesPerSecond)}`);
  }
  // The run with the median rate stands for the stage; the others are listed beside it.
  const sorted = [...runs].sort((a, b) => a.imagesPerSecond - b.imagesPerSecond);
  const middle = sorted[Math.floor((sorted.length - 1) / 2)]!;
  return { stage: 'iris', ...middle, rates: runs.map((run) => run.imagesPerSecond), peakRss: peakRssBytes() };
}

const STAGES = { decode: stageDecode, encoder: stageEncoder, transformers: stageTransformers, reference: stageReference, iris: stageIris } as const;
type StageName = keyof typeof STAGES;

/** Children still running, so that Ctrl-C can stop them. */
const runningChildren = new Set<ChildProcess>();

/** Runs one stage as a fresh Node process; its last stdout line is its JSON result. */
async function runStage<T extends StageResult>(name: StageName, input: StageInput, quietWait: number): Promise<Reported<T>> {
  log(`stage ${name}`);
  await waitForQuiet(quietWait);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [THIS_FILE, '--stage', name, JSON.stringify(input)], { stdio: ['ignore', 'pipe', 'inherit'] });
    runningChildren.add(child);
    const stdout: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      runningChildren.delete(child);
      const lines = Buffer.concat(stdout).toString('utf8').trim().split('\n');
      if (code !== 0) return reject(new Error(`stage ${name} exited with ${code}`));
      try {
        resolve(JSON.parse(lines.at(-1) ?? '') as Reported<T>);
      } catch {
        reject(new Error(`stage ${name} printed no result: ${lines.join('\n').slice(-500)}`));
      }
    });
  });
}

/**
 * Runs a stage until other processes took at most CONTENDED of the cores while it was timed, at
 * most `attempts` times; when every attempt was contended, the least contended one stands (and the
 * table says so).
 */
async function runStageQuietly<T extends StageResult>(name: StageName, input: StageInput, options: Options): Promise<Reported<T>> {
  let best: Reported<T> | null = null;
  for (let attempt = 1; attempt <= options.attempts; attempt++) {
    const result = await runStage<T>(name, input, options.quietWait);
    if (!best || (result.otherLoad ?? 0) < (best.otherLoad ?? 0)) best = { ...result, attempts: attempt };
    if (result.otherLoad === null || result.otherLoad <= CONTENDED) break;
    if (attempt < options.attempts) log(`  other processes took ${(result.otherLoad * 100).toFixed(0)} % of the cores during stage ${name}: running it again`);
  }
  return best!;
}

// ---------------------------------------------------------------- the report

function machineLines(): string[] {
  const load = os.loadavg().map((l) => l.toFixed(2)).join(', ');
  return [
    ...machineBasics(),
    `- sharp ${sharp.versions.sharp} (libvips ${sharp.versions.vips}), onnxruntime-node ${ort.env.versions.node ?? '?'}`,
    `- Photos in ${os.tmpdir()} (${fileSystemOf(os.tmpdir())}); page cache warm (inputs just written or read)`,
    `- Load average at start: ${load}`,
  ];
}

function section(table: string, machine: readonly string[], date: string, command: string): string {
  return [
    SECTION_START,
    '## CLIP encoder',
    '',
    'Made by `test/bench/clip-bench.ts`. A full-size CLIP ViT-B/32 image tower with random weights',
    "(`test/fixtures/vit-b32-random.ts`: the architecture and operators of Xenova/clip-vit-base-patch32's",
    '`vision_model.onnx`, fp32, 87.8M parameters) over generated 12 MP camera-like JPEGs. Every stage runs',
    'alone, on all cores, in its own process: CLIP preprocessing, the encoder at several batch sizes,',
    'transformers.js on the same model and files, and the Iris engine indexing them (decode → embed → store).',
    'The bound is 1 / (t_encoder + t_decode): decode and encoder compete for the same cores here. Toward the',
    'goals every figure leans against Iris: the bound from the fastest decode pass and encoder run,',
    'transformers.js by its fastest pass, Iris by its median run. The machine is shared with other work: a',
    'stage is repeated when other processes took more than 5 % of the cores while it was timed.',
    '',
    ...provenance(machine, date, command),
    '',
    table,
    SECTION_END,
  ].join('\n');
}

interface Results {
  options: Options;
  photos: PhotoSet;
  model: { generated: boolean; seconds: number; bytes: number };
  decode: Reported<DecodeResult>;
  encoder: Reported<EncoderResult>;
  transformers: Reported<TransformersResult> | null;
  reference: Reported<ReferenceResult> | null;
  iris: Reported<IrisResult> | null;
}

/** A warning for a stage that shared its cores with other processes. */
function contention(result: { otherLoad: number | null } | null): string {
  if (!result || result.otherLoad === null || result.otherLoad <= CONTENDED) return '';
  return `; **contended**: other processes took ${(result.otherLoad * 100).toFixed(0)} % of the cores meanwhile`;
}

function otherLoadText(result: { otherLoad: number | null; attempts?: number } | null): string {
  if (!result) return 'not run';
  const tries = result.attempts && result.attempts > 1 ? ` (attempt ${result.attempts})` : '';
  return result.otherLoad === null ? 'n/a' : `${(result.otherLoad * 100).toFixed(1)} %${tries}`;
}

function goal(label: string, ratio: number | null, target: number, detail: string): Row {
  if (ratio === null) return [label, 'pending', detail];
  return [label, ratio >= target ? 'met' : '**NOT met**', detail];
}

function buildRows(r: Results): Row[] {
  const n = r.photos.files.length;
  const { decode, encoder } = r;
  // Toward the goals, every figure leans against Iris: the bound from the fastest decode pass and
  // the fastest encoder run (the highest bound), transformers.js by its fastest pass, Iris by its
  // median run. Medians are in the notes.
  const tDecode = Math.min(...decode.passes);
  const best = encoder.batches.reduce((a, b) => (b.fastestPerImage < a.fastestPerImage ? b : a));
  const bound = 1 / (best.fastestPerImage + tDecode);
  const bestMedian = encoder.batches.reduce((a, b) => (b.secondsPerImage < a.secondsPerImage ? b : a));
  const medianBound = 1 / (bestMedian.secondsPerImage + decode.secondsPerImage);
  const rows: Row[] = [
    ['Input photos', `${n} JPEGs, ${r.options.width}x${r.options.height}`, `${(r.photos.bytes / 1e6).toFixed(1)} MB in all, ${(r.photos.bytes / 1e6 / n).toFixed(2)} MB each on average; quality 90; ${r.photos.rotated} with an EXIF orientation (6, 8, 3)`],
    [
      'Model',
      `${VIT_B32_RANDOM_ID}, ${(VIT_B32_RANDOM_PARAMETERS / 1e6).toFixed(1)}M parameters`,
      `${(r.model.bytes / 1e6).toFixed(0)} MB fp32 ONNX; ${r.model.generated ? 'generated' : 'cached copy, sha256 verified'} in ${r.model.seconds.toFixed(1)} s; session load ${encoder.loadSeconds.toFixed(2)} s`,
    ],
    [
      't_decode: CLIP preprocessing alone',
      `${millis(tDecode)} per image (${perSecond(1 / tDecode)})`,
      `fastest of ${decode.passes.length} passes over all photos (${decode.passes.map((s) => (s * 1000).toFixed(1)).join(', ')} ms; median ${millis(decode.secondsPerImage)}); ${decode.source}, ${CORES} at once; peak RSS ${mebibytes(decode.peakRss)}${contention(decode)}`,
    ],
    ...encoder.batches.map(
      (b): Row => [
        `t_encoder alone, batch ${b.batch}`,
        `${millis(b.fastestPerImage)} per image (${perSecond(1 / b.fastestPerImage)})`,
        `fastest of ${b.runs} runs (median ${millis(b.secondsPerImage)}); onnxruntime-node ${encoder.ortVersion}, CPU, ${CORES} intra-op threads${b === best ? '; the fastest batch' : ''}${contention(encoder)}`,
      ],
    ),
    [
      'Bound 1 / (t_encoder + t_decode)',
      perSecond(bound),
      `t_encoder at batch ${best.batch}, the fastest; from the medians it would be ${perSecond(medianBound)}. Decode and encoder each use all ${CORES} cores, so they cannot overlap for free; encoder peak RSS ${mebibytes(encoder.peakRss)}`,
    ],
  ];
  let bestTransformers: number | null = null;
  if (r.transformers) {
    const t = r.transformers;
    for (const mode of t.modes) {
      const fastest = Math.max(...mode.passes);
      bestTransformers = Math.max(bestTransformers ?? 0, fastest);
      rows.push([
        `transformers.js pipeline, ${mode.filesPerCall} file${mode.filesPerCall === 1 ? '' : 's'} per call`,
        perSecond(fastest),
        `fastest of ${mode.passes.length} passes (${rates(mode.passes)}; median ${perSecond(mode.imagesPerSecond)}); @huggingface/transformers ${t.version} \`image-feature-extraction\` (CLIPVisionModelWithProjection, fp32) on **onnxruntime-node ${t.ortVersion}**, ${CORES} intra-op threads; file paths in, output [${mode.outputDims.join(', ')}] (it returns last_hidden_state when the model has it; same work); peak RSS ${mebibytes(t.peakRss)}${contention(t)}`,
      ]);
    }
  }
  if (r.reference) {
    rows.push([
      'Reference pipeline (this bench, no store)',
      perSecond(r.reference.imagesPerSecond),
      `median of ${r.reference.passes.length} passes (${rates(r.reference.passes)}); ${CORES} decodes in flight, encoder batches of ${r.reference.batch} as they fill; ${(r.reference.imagesPerSecond / bound * 100).toFixed(0)} % of the bound; a yardstick, not a goal; peak RSS ${mebibytes(r.reference.peakRss)}${contention(r.reference)}`,
    ]);
  }
  let irisRate: number | null = null;
  let irisNote = 'pending (engine embed job not available)';
  if (r.iris && !r.iris.pending) {
    const iris = r.iris;
    irisRate = iris.imagesPerSecond;
    const check = iris.summaryEmbedded === null ? '' : `; the index summary says ${iris.summaryEmbedded} embedded`;
    rows.push([
      'Iris pipeline (engine.index, embed jobs)',
      perSecond(iris.imagesPerSecond),
      `median of ${iris.rates.length} fresh libraries (${rates(iris.rates)}); in it ${iris.embedded} photos decoded, embedded and stored in ${iris.seconds.toFixed(2)} s (first to last embed progress event, session already open)${check}; ${iris.failed} failed; peak RSS ${mebibytes(iris.peakRss)}${contention(r.iris)}`,
    ]);
    rows.push(['Iris engine.index, whole', `${iris.indexSeconds.toFixed(2)} s`, 'scan, hash, metadata, thumbnails, then embeddings, of the same photos']);
  } else if (r.iris?.pending) {
    irisNote = `pending (${r.iris.reason})`;
    rows.push(['Iris pipeline (engine.index, embed jobs)', 'pending', irisNote]);
  } else {
    rows.push(['Iris pipeline (engine.index, embed jobs)', 'not run', '--skip-iris']);
  }
  const pipelineNote = irisRate === null ? irisNote : '';
  rows.push(
    goal(
      `Goal: Iris ≥ ${BOUND_GOAL * 100} % of the bound`,
      irisRate === null ? null : irisRate / bound,
      BOUND_GOAL,
      irisRate === null ? pipelineNote : `${((irisRate / bound) * 100).toFixed(0)} % (${perSecond(irisRate)} of ${perSecond(bound)})`,
    ),
  );
  rows.push(
    goal(
      `Goal: Iris ≥ ${TRANSFORMERS_GOAL}× transformers.js`,
      irisRate === null || bestTransformers === null ? null : irisRate / bestTransformers,
      TRANSFORMERS_GOAL,
      bestTransformers === null
        ? '--skip-transformers'
        : irisRate === null
          ? pipelineNote
          : `${(irisRate / bestTransformers).toFixed(2)}× its fastest pass (${perSecond(bestTransformers)}); transformers.js ran on onnxruntime-node ${r.transformers?.ortVersion}, Iris on ${encoder.ortVersion}`,
    ),
  );
  rows.push([
    'Other processes during the timed parts',
    `decode ${otherLoadText(decode)}, encoder ${otherLoadText(encoder)}, transformers.js ${otherLoadText(r.transformers)}, reference ${otherLoadText(r.reference)}, Iris ${otherLoadText(r.iris)}`,
    `share of all ${CORES} cores used by other processes (or stolen by the hypervisor) while each stage was timed, from /proc/stat; each stage waited for an idle machine first and ran again (up to ${r.options.attempts} times) when disturbed`,
  ]);
  return rows;
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const options = parseOptions(argv);
  const machine = machineLines();
  const date = new Date().toISOString();
  process.once('SIGINT', () => {
    for (const child of runningChildren) child.kill('SIGKILL');
    process.exit(130);
  });
  log(`model in ${options.modelsDir}`);
  const model = ensureVitB32Random(options.modelsDir, log);
  const visionBytes = model.entry.files.find((file) => file.path === VISION_MODEL_FILE)?.bytes ?? 0;
  const photos = await ensurePhotoSet(options);
  const input: StageInput = { modelsDir: options.modelsDir, photosDir: photos.dir, batches: options.batches, runs: options.runs };
  const results: Results = {
    options,
    photos,
    model: { generated: model.generated, seconds: model.seconds, bytes: visionBytes },
    decode: await runStageQuietly<DecodeResult>('decode', input, options),
    encoder: await runStageQuietly<EncoderResult>('encoder', input, options),
    transformers: options.transformers ? await runStageQuietly<TransformersResult>('transformers', input, options) : null,
    reference: options.reference ? await runStageQuietly<ReferenceResult>('reference', input, options) : null,
    iris: options.iris ? await runStageQuietly<IrisResult>('iris', input, options) : null,
  };
  const table = markdownTable(buildRows(results));
  process.stdout.write(`${machine.join('\n')}\n- Date: ${date}\n\n${table}\n`);
  if (options.write) {
    writeBenchmarksSection(SECTION_START, SECTION_END, section(table, machine, date, commandLine('bench:clip', 'dist/test/bench/clip-bench.js', argv)));
    log(`wrote ${BENCHMARKS_FILE}`);
  }
}

async function stageMain(name: string, json: string): Promise<void> {
  if (!(name in STAGES)) throw new Error(`unknown stage ${name}`);
  const result = await STAGES[name as StageName](JSON.parse(json) as StageInput);
  process.stdout.write(`\n${JSON.stringify({ ...result, otherLoad: cpuAccount.otherShare() })}\n`);
}

const runAsScript = process.argv[1] !== undefined && path.resolve(process.argv[1]) === THIS_FILE;
if (runAsScript) {
  const stageAt = process.argv.indexOf('--stage');
  const run = stageAt >= 0 ? stageMain(process.argv[stageAt + 1] ?? '', process.argv[stageAt + 2] ?? '{}') : main();
  run.catch((error: unknown) => {
    process.stderr.write(`clip-bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
