/**
 * Local captioning and VQA benchmark (a benchmark, not a test): `npm run bench:generation -- [flags]`.
 *
 * For every captioning or question-answering model installed in the models folder, for
 * same-shape random-weight exports of vit-gpt2-image-captioning, Florence-2-base,
 * SmolVLM-256M-Instruct, Qwen2-VL-2B-Instruct, BLIP-large and LLaVA-OneVision-0.5B
 * (random-vit-gpt2.ts, random-florence2.ts, random-smolvlm.ts, random-qwen2vl.ts, random-blip.ts,
 * random-llava-onevision.ts: the real dimensions and operators, so the real work per
 * caption/answer and per token; babble for text) and for
 * the two fixture models (test/fixtures/generate-models.ts: a table lookup in the real models' file
 * layout, so their rows measure the pipeline's own overhead only), in its own Node process so that
 * its memory figures are its own:
 *
 *   load          Captioner.load / LocalChatProvider.load until the sessions exist (sha256
 *                 verification done beforehand, so it is not counted)
 *   RSS           the process's resident set after load minus before it (Node, onnxruntime,
 *                 transformers.js and sharp already loaded), and its peak while generating
 *   first token   from the call (photo decode, processor, generate) to the first generated token
 *   decode        tokens after the first / time after the first token
 *   total         the whole call: a caption from the photo file, an answer from the prepared image
 *   tokens        per caption or answer (the end-of-answer token not counted)
 *
 * Captioners caption the photo at detail brief and detailed; VQA models answer "What is in this
 * photo?" (the fixture, which only knows colours, and the random-weight SmolVLM and Qwen2-VL, "What
 * colour is it?"; the random SmolVLM gets the real image splitting: 4x4 tiles + global image, the
 * random Qwen2-VL the real dynamic resolution: 1110 image tokens at its 1024 long edge). Each prompt
 * gets one warm-up call that is not counted, then --runs timed calls; figures are medians over those.
 *
 * The random-weight Qwen2-VL is 9.8 GB of fp32 weights (loaded, its process holds about as much;
 * answering about the bench photo it peaked near 17 GiB on the 2-core machine of BENCHMARKS.md,
 * most of the rise the vision attention's 16 x 4440 x 4440 scores): a model whose files total
 * over 4 GiB is only loaded when the machine has at least max(12 GiB, 1.3 x its size) available
 * (MemAvailable), else its row says why it was not run; and while any stage runs, the bench kills
 * it if available memory falls under 1 GiB, so a model too large for the machine is a failed row,
 * not a machine out of memory.
 *
 * Flags: --runs N (5), --device D (auto; a model whose device fails runs on cpu and the table says
 * so), --max-tokens N (each model's catalog default), --models DIR (the repository's models/),
 * --photo FILE (a 2725x2225 Flickr JPEG from ../shared/sample-photos), --random-models DIR (where the
 * random-weight models are generated and cached; .cache/generation-bench-models/), --skip-random (no
 * random-weight rows), --skip-qwen2vl (no random-weight Qwen2-VL row: it is by far the slowest,
 * minutes per answer on a CPU), --qwen2vl-runs N (timed runs for that row; default --runs),
 * --qwen2vl-max-tokens N (its answer length; default --max-tokens, else 64: its catalog entry, like
 * the real one, allows 512; the row's notes say so), --write (replace the "Local captioning and
 * VQA" section of BENCHMARKS.md; without it the table is only printed).
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { prepareImage } from '../../main/engine/ask/prepare-image.js';
import type { FinishReason, PreparedImage } from '../../main/engine/ask/types.js';
import { Captioner, CAPTION_DETAILS } from '../../main/engine/generation/captioner.js';
import { BlipCaptioner } from '../../main/engine/generation/blip-captioner.js';
import type { GenerateResult, GenerativeModel } from '../../main/engine/generation/generative-model.js';
import { LocalChatProvider } from '../../main/engine/generation/local-chat.js';
import { decodePhoto } from '../../main/engine/generation/photo-image.js';
import { loadTransformers } from '../../main/engine/generation/transformers-runtime.js';
import { catalogDirFor, GenerativeCatalogPreprocessingSchema, loadCatalog, type ModelEntry } from '../../main/engine/models/catalog.js';
import { ensureVerified, isInstalled } from '../../main/engine/models/verified.js';
import { type Device, parseDevice, type Provider } from '../../main/engine/runtime/devices.js';
import { type Attempt, loadOrt } from '../../main/engine/runtime/session.js';
import { CAPTION_FIXTURE_ID, FIXTURE_MODELS_DIR, generateFixtureModels, VQA_FIXTURE_ID } from '../fixtures/generate-models.js';
import { samplePhotosDir } from '../helpers/fixtures.js';
import { peakRssBytes } from '../helpers/peak-rss.js';
import { benchLogger, BENCHMARKS_FILE, commandLine, machineBasics, markdownTable, mebibytes, median, positiveInt, provenance, writeBenchmarksSection } from './benchmarks-md.js';
import { ensureRandomBlip } from './random-blip.js';
import { ensureRandomFlorence2 } from './random-florence2.js';
import { ensureRandomLlavaOnevision } from './random-llava-onevision.js';
import { ensureRandomQwen2Vl, RANDOM_QWEN2VL_ID } from './random-qwen2vl.js';
import { ensureRandomSmolVlm } from './random-smolvlm.js';
import { ensureRandomVitGpt2, RANDOM_GENERATION_MODELS_DIR, type RandomVitGpt2Result } from './random-vit-gpt2.js';

const THIS_FILE = fileURLToPath(import.meta.url);
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SECTION_START = '<!-- bench:generation:start -->';
const SECTION_END = '<!-- bench:generation:end -->';

/** A real camera photo, larger than every model's image_long_edge, so the decode does the shrinking it does in use. */
const DEFAULT_PHOTO = path.join(samplePhotosDir, '2569067123_aca715a2ee_o.jpg');
const REAL_QUESTION = 'What is in this photo?';
/** The VQA fixture answers only colour questions (anything else gets a fixed fallback sentence); the random-weight VQA model is asked the same. */
const FIXTURE_QUESTION = 'What colour is it?';
const FIXTURE_IDS: readonly string[] = [CAPTION_FIXTURE_ID, VQA_FIXTURE_ID];
const FIXTURE_NOTE = 'fixture (not a real model: a table lookup, measures the pipeline overhead only)';
const RANDOM_NOTE = 'random weights in the real shapes (fp32): the real work per caption/answer and per token, not its quality; the text is babble, and its end tokens never win, so it runs to max tokens';

interface Options {
  runs: number;
  device: Device;
  /** null: each model's catalog max_new_tokens. */
  maxTokens: number | null;
  modelsDir: string;
  photo: string;
  /** Where the random-weight models are generated; null: --skip-random. */
  randomModelsDir: string | null;
  /** --skip-qwen2vl: no random-weight Qwen2-VL row. */
  skipQwen2vl: boolean;
  /** Timed runs for the random-weight Qwen2-VL row (--qwen2vl-runs; default --runs). */
  qwen2vlRuns: number;
  /** Answer length of the random-weight Qwen2-VL row (--qwen2vl-max-tokens; default --max-tokens, else 64). */
  qwen2vlMaxTokens: number;
  write: boolean;
}

/** The random-weight Qwen2-VL row's answer length when neither --qwen2vl-max-tokens nor --max-tokens says: SmolVLM's short answer, not the catalog's 512 (minutes of decoding per run on a CPU). */
const QWEN2VL_DEFAULT_MAX_TOKENS = 64;

/**
 * What a measured model is: `installed` a real model from the models folder, `random-weights` a
 * real model's shapes with random weights (its speed and memory, not its quality), `fixture` a
 * table lookup in a real model's file layout (the pipeline overhead only).
 */
type TargetKind = 'installed' | 'random-weights' | 'fixture';

/** A model to measure, and where its files and catalog are. */
interface Target {
  entry: ModelEntry;
  modelsDir: string;
  kind: TargetKind;
  /** This model's own timed runs and answer length, where they differ from --runs / --max-tokens. */
  runs?: number;
  maxTokens?: number | null;
  /** What its first line's notes say about those. */
  notes?: string[];
}

/** What a stage process is asked to do (passed as JSON on its command line). */
interface StageInput {
  target: Target;
  device: Device;
  runs: number;
  maxTokens: number | null;
  photo: string;
}

/** One timed call. */
interface RunTiming {
  firstTokenMs: number;
  /** null when only one token was generated (no interval to divide by). */
  tokensPerSecond: number | null;
  totalMs: number;
  tokens: number;
}

/** One prompt (a caption detail or a question): its timed runs and the memory peak while they ran. */
interface PromptResult {
  prompt: string;
  runs: RunTiming[];
  peakRss: number;
  text: string;
  finish: FinishReason;
}

interface StageSuccess {
  ok: true;
  provider: Provider;
  attempts: Attempt[];
  /** Set when the requested device could not be used. */
  warning: string | null;
  loadMs: number;
  rssBeforeLoad: number;
  rssAfterLoad: number;
  /** False where the peak could not be reset after load: the generation peaks then include the load. */
  peakIsGenerationOnly: boolean;
  prompts: PromptResult[];
}

type StageResult = StageSuccess | { ok: false; error: string };

/** A model's line(s) in the report. */
type Outcome = { target: Target; status: 'measured'; result: StageSuccess } | { target: Target; status: 'not installed' } | { target: Target; status: 'failed'; error: string };

// ---------------------------------------------------------------- options

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      runs: { type: 'string', default: '5' },
      device: { type: 'string', default: 'auto' },
      'max-tokens': { type: 'string' },
      models: { type: 'string', default: path.join(REPO_ROOT, 'models') },
      photo: { type: 'string', default: DEFAULT_PHOTO },
      'random-models': { type: 'string', default: RANDOM_GENERATION_MODELS_DIR },
      'skip-random': { type: 'boolean', default: false },
      'skip-qwen2vl': { type: 'boolean', default: false },
      'qwen2vl-runs': { type: 'string' },
      'qwen2vl-max-tokens': { type: 'string' },
      write: { type: 'boolean', default: false },
    },
  });
  const photo = path.resolve(values.photo);
  if (!fs.existsSync(photo)) throw new Error(`--photo ${photo} does not exist`);
  const runs = positiveInt('runs', values.runs, 1000);
  const maxTokens = values['max-tokens'] === undefined ? null : positiveInt('max-tokens', values['max-tokens'], 4096);
  return {
    runs,
    device: parseDevice(values.device),
    maxTokens,
    modelsDir: path.resolve(values.models),
    photo,
    randomModelsDir: values['skip-random'] ? null : path.resolve(values['random-models']),
    skipQwen2vl: values['skip-qwen2vl'],
    qwen2vlRuns: values['qwen2vl-runs'] === undefined ? runs : positiveInt('qwen2vl-runs', values['qwen2vl-runs'], 1000),
    qwen2vlMaxTokens: values['qwen2vl-max-tokens'] === undefined ? (maxTokens ?? QWEN2VL_DEFAULT_MAX_TOKENS) : positiveInt('qwen2vl-max-tokens', values['qwen2vl-max-tokens'], 4096),
    write: values.write,
  };
}

// ---------------------------------------------------------------- small helpers

const log = benchLogger('generation-bench');


const signedMebibytes = (bytes: number) => `${bytes >= 0 ? '+' : '−'}${mebibytes(Math.abs(bytes))}`;
/** One decimal below 100 ms, where the fixtures live; whole milliseconds above. */
const millis = (ms: number) => `${ms < 100 ? ms.toFixed(1) : ms.toFixed(0)} ms`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));
const gibibytes = (bytes: number) => `${(bytes / 2 ** 30).toFixed(1)} GiB`;

/** The memory the kernel can hand out without swapping (MemAvailable), in bytes; os.freemem() where /proc/meminfo cannot be read. */
function availableMemory(): number {
  try {
    const match = /^MemAvailable:\s+(\d+) kB$/m.exec(fs.readFileSync('/proc/meminfo', 'utf8'));
    if (match) return Number(match[1]) * 1024;
  } catch {
    // not Linux
  }
  return os.freemem();
}

function quoted(text: string, max = 70): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return `“${oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine}”`;
}

// ---------------------------------------------------------------- which models

/** Every caption and vqa entry of the catalog that describes `modelsDir`. */
function realTargets(modelsDir: string): Target[] {
  const catalog = loadCatalog(catalogDirFor(modelsDir));
  const generative = catalog.models.filter((entry) => entry.task === 'caption' || entry.task === 'vqa');
  // Fixtures are measured (and labelled) as fixtures below, even when --models points at their folder.
  return generative.filter((entry) => !FIXTURE_IDS.includes(entry.id)).map((entry) => ({ entry, modelsDir, kind: 'installed' as const }));
}

/**
 * The two generative fixtures, generated first when missing or stale (generation is deterministic,
 * idempotent and rename-safe, so running it beside the tests is harmless).
 */
function fixtureTargets(): Target[] {
  generateFixtureModels();
  const catalog = loadCatalog(FIXTURE_MODELS_DIR);
  return FIXTURE_IDS.map((id) => {
    const entry = catalog.models.find((model) => model.id === id);
    if (!entry) throw new Error(`the fixture catalog in ${FIXTURE_MODELS_DIR} has no ${id}`);
    return { entry, modelsDir: FIXTURE_MODELS_DIR, kind: 'fixture' };
  });
}

/** The random-weight generators: each model's script, and how to make sure its files are there. */
const RANDOM_GENERATORS: readonly (readonly [string, (modelsDir: string, log: (message: string) => void) => Promise<RandomVitGpt2Result>])[] = [
  ['random-vit-gpt2', ensureRandomVitGpt2],
  ['random-florence2', ensureRandomFlorence2],
  ['random-smolvlm', ensureRandomSmolVlm],
  ['random-qwen2vl', ensureRandomQwen2Vl],
  ['random-blip', ensureRandomBlip],
  ['random-llava-onevision', ensureRandomLlavaOnevision],
];

/** The random-weight Qwen2-VL row's own runs and answer length (--qwen2vl-runs, --qwen2vl-max-tokens), and the notes that say so. */
function qwen2vlSettings(options: Options): Pick<Target, 'runs' | 'maxTokens' | 'notes'> {
  const notes = [
    `answers capped at ${options.qwen2vlMaxTokens} tokens for this row (--qwen2vl-max-tokens; default --max-tokens, else ${QWEN2VL_DEFAULT_MAX_TOKENS}; its catalog entry, like the real one, allows 512)`,
    ...(options.qwen2vlRuns === options.runs ? [] : [`${options.qwen2vlRuns} timed run${options.qwen2vlRuns === 1 ? '' : 's'} after 1 warm-up for this row (--qwen2vl-runs), not ${options.runs}`]),
  ];
  return { runs: options.qwen2vlRuns, maxTokens: options.qwen2vlMaxTokens, notes };
}

/**
 * vit-gpt2-image-captioning, Florence-2-base, SmolVLM-256M-Instruct and (unless --skip-qwen2vl)
 * Qwen2-VL-2B-Instruct with random weights in the real shapes, generated first when missing or
 * stale (random-vit-gpt2.ts, random-florence2.ts, random-smolvlm.ts, random-qwen2vl.ts); one that
 * cannot be made is a problem line, not the end of the bench.
 */
async function randomWeightTargets(modelsDir: string, options: Options): Promise<{ targets: Target[]; problems: string[] }> {
  const targets: Target[] = [];
  const problems: string[] = [];
  for (const [script, ensure] of RANDOM_GENERATORS) {
    if (script === 'random-qwen2vl' && options.skipQwen2vl) continue;
    try {
      const result = await ensure(modelsDir, log);
      log(`${result.entry.id}: ${result.generated ? 'generated' : 'cached copy verified'} in ${result.seconds.toFixed(1)} s`);
      const own = result.entry.id === RANDOM_QWEN2VL_ID ? qwen2vlSettings(options) : {};
      targets.push({ entry: result.entry, modelsDir: result.modelsDir, kind: 'random-weights', ...own });
    } catch (error) {
      problems.push(`random-weight model unavailable (${errorText(error)}); try \`node dist/test/bench/${script}.js\``);
    }
  }
  return { targets, problems };
}

// ---------------------------------------------------------------- stage: one model, in its own process

/**
 * Resets this process's peak RSS (VmHWM) to its current RSS, so the next peakRssBytes() covers only
 * what ran since: Linux does that when 5 is written to /proc/self/clear_refs. False where it cannot.
 */
function resetPeakRss(): boolean {
  try {
    fs.writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

interface Streamer {
  put(value: bigint[][]): void;
  end(): void;
}

/**
 * When each token of the latest generate() call came out. GenerateResult's firstTokenMs is the
 * first *visible* piece, which can be a token or more late (Florence-2 forces a special <s> first;
 * a Chinese character can take two tokens), and its totalMs ends after the streamer's final flush;
 * timing the streamer's put() calls gives the token steps themselves. It wraps the transformers.js
 * model's generate() on this one instance and passes everything through.
 */
class TokenClock {
  times: number[] = [];

  constructor(generative: GenerativeModel | BlipCaptioner) {
    if (generative instanceof BlipCaptioner) {
      // Iris's own BLIP loop says when it picks each token.
      const caption = generative.caption.bind(generative);
      generative.caption = (pixels, request) => {
        this.times = [];
        return caption(pixels, { ...request, onTokenId: () => this.times.push(performance.now()) });
      };
      return;
    }
    const model = generative.model as unknown as { generate: (args: { streamer?: Streamer }) => Promise<unknown> };
    const original = model.generate.bind(model);
    model.generate = (args) => {
      this.times = [];
      return original(args.streamer ? { ...args, streamer: this.timed(args.streamer) } : args);
    };
  }

  private timed(inner: Streamer): Streamer {
    let promptSeen = false;
    return {
      put: (value) => {
        // The first put() is the prompt (or the decoder's start token), not a generated token.
        if (promptSeen) this.times.push(performance.now());
        promptSeen = true;
        inner.put(value);
      },
      end: () => inner.end(),
    };
  }
}

function runTiming(startedAt: number, endedAt: number, tokenTimes: readonly number[], result: GenerateResult): RunTiming {
  const first = tokenTimes[0];
  const last = tokenTimes.at(-1);
  if (first === undefined || last === undefined) throw new Error('no generated token reached the streamer: has transformers.js stopped passing our streamer to generate()?');
  const after = tokenTimes.length - 1;
  return {
    firstTokenMs: first - startedAt,
    tokensPerSecond: after > 0 && last > first ? after / ((last - first) / 1000) : null,
    totalMs: endedAt - startedAt,
    tokens: result.tokens,
  };
}

/** One way of asking the loaded model: a prompt's name and the call to time. */
interface Prompt {
  name: string;
  call: () => Promise<GenerateResult>;
}

/** One warm-up call (not counted), then `runs` timed calls, with the memory peak over all of them. */
async function measurePrompt(prompt: Prompt, clock: TokenClock, runs: number): Promise<PromptResult> {
  resetPeakRss();
  log(`  ${prompt.name}: warm-up`);
  await prompt.call();
  const timings: RunTiming[] = [];
  let last: GenerateResult | undefined;
  for (let run = 0; run < runs; run++) {
    const startedAt = performance.now();
    last = await prompt.call();
    timings.push(runTiming(startedAt, performance.now(), clock.times, last));
  }
  log(`  ${prompt.name}: ${runs} runs, median ${millis(median(timings.map((t) => t.totalMs)))}`);
  return { prompt: prompt.name, runs: timings, peakRss: peakRssBytes(), text: last!.text, finish: last!.finish };
}

interface LoadedForBench {
  generative: GenerativeModel | BlipCaptioner;
  prompts: Prompt[];
  release: () => Promise<void>;
}

async function loadCaptioner(input: StageInput): Promise<LoadedForBench> {
  const { target, device, maxTokens, photo } = input;
  const captioner = await Captioner.load(target.modelsDir, target.entry, { device });
  const decoding = maxTokens === null ? {} : { decoding: { maxTokens } };
  // Timed from the file, as the caption job does it: decode to the model's long edge, then caption.
  const prompts = CAPTION_DETAILS.map((detail) => ({
    name: `caption, ${detail}`,
    call: async () => captioner.caption(await decodePhoto(photo, captioner.imageLongEdge), detail, decoding),
  }));
  return { generative: captioner.model, prompts, release: () => captioner.release() };
}

async function loadChat(input: StageInput, image: PreparedImage): Promise<LoadedForBench> {
  const { target, device, maxTokens } = input;
  const chat = await LocalChatProvider.load(target.modelsDir, target.entry, { device });
  const question = target.kind === 'installed' ? REAL_QUESTION : FIXTURE_QUESTION;
  const decoding = { maxTokens: maxTokens ?? chat.loaded.prep.max_new_tokens, temperature: 0 };
  const call = async (): Promise<GenerateResult> => {
    const answer = await chat.answer({ image, history: [], question, decoding });
    return { text: answer.text, tokens: answer.tokens, finish: answer.finish, firstTokenMs: answer.firstTokenMs, totalMs: answer.totalMs };
  };
  return { generative: chat.loaded, prompts: [{ name: quoted(question), call }], release: () => chat.close() };
}

/** A model whose files total more than this is loaded only with enough memory available (memoryNeeded). */
const LARGE_MODEL_BYTES = 4 * 2 ** 30;
const LARGE_MODEL_MIN_AVAILABLE = 12 * 2 ** 30;
/** While a stage runs, it is killed when available memory falls under this (the machine stays usable; the row says why). */
const STAGE_MEMORY_FLOOR = 2 ** 30;

/**
 * The available memory (MemAvailable) a model needs before it is loaded, or null for one under 4
 * GiB: max(12 GiB, 1.3 x its files), enough to load it. onnxruntime holds every fp32 weight (9.8
 * GB for the random Qwen2-VL); generating adds the activations (about 8 GiB more for that one at
 * its 1024 long edge), which the stage watchdog (STAGE_MEMORY_FLOOR) guards.
 */
function memoryNeeded(entry: ModelEntry): number | null {
  const bytes = entry.files.reduce((sum, file) => sum + (file.bytes ?? 0), 0);
  return bytes > LARGE_MODEL_BYTES ? Math.max(LARGE_MODEL_MIN_AVAILABLE, Math.round(1.3 * bytes)) : null;
}

async function measureModel(input: StageInput): Promise<StageSuccess> {
  const { target } = input;
  const prep = GenerativeCatalogPreprocessingSchema.parse(target.entry.preprocessing);
  const needed = memoryNeeded(target.entry);
  const available = availableMemory();
  if (needed !== null && available < needed) {
    throw new Error(`not run: ${gibibytes(available)} of memory available, and loading this ${gibibytes(target.entry.files.reduce((sum, file) => sum + (file.bytes ?? 0), 0))} model needs at least ${gibibytes(needed)} (the bench's guard against running the machine out of memory)`);
  }
  if (needed !== null) log(`${target.entry.id}: ${gibibytes(available)} of memory available (needs ${gibibytes(needed)})`);
  // Libraries in first, so the load's RSS delta is the model's; files hashed first, so load time is session creation.
  await Promise.all([loadTransformers(), loadOrt()]);
  await ensureVerified(target.modelsDir, target.entry);
  // A VQA request carries the photo already prepared (upright, downscaled JPEG), so that is done before timing.
  const image = target.entry.task === 'vqa' ? await prepareImage(input.photo, prep.image_long_edge) : null;
  const rssBeforeLoad = process.memoryUsage.rss();
  const loadStarted = performance.now();
  const loaded = image ? await loadChat(input, image) : await loadCaptioner(input);
  const loadMs = performance.now() - loadStarted;
  const rssAfterLoad = process.memoryUsage.rss();
  try {
    const clock = new TokenClock(loaded.generative);
    // Whether the peak can be reset at all; measurePrompt resets it again before each prompt.
    const peakIsGenerationOnly = resetPeakRss();
    const prompts: PromptResult[] = [];
    for (const prompt of loaded.prompts) prompts.push(await measurePrompt(prompt, clock, input.runs));
    const { report, warning } = loaded.generative;
    return { ok: true, provider: report.provider, attempts: report.attempts, warning: warning ?? null, loadMs, rssBeforeLoad, rssAfterLoad, peakIsGenerationOnly, prompts };
  } finally {
    await loaded.release();
  }
}

async function stageMain(json: string): Promise<void> {
  const input = JSON.parse(json) as StageInput;
  log(`${input.target.entry.id}: loading on ${input.device}`);
  let result: StageResult;
  try {
    result = await measureModel(input);
  } catch (error) {
    // A model that cannot load (corrupt file, no provider) is a row in the table, not the end of the bench.
    result = { ok: false, error: errorText(error) };
  }
  process.stdout.write(`\n${JSON.stringify(result)}\n`);
}

// ---------------------------------------------------------------- parent: one process per model

const runningChildren = new Set<ReturnType<typeof spawn>>();

/**
 * Runs one model's stage in a fresh Node process and returns its result (the last stdout line).
 * The stage is killed when the machine's available memory falls under STAGE_MEMORY_FLOOR.
 */
function runStage(input: StageInput): Promise<StageResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [THIS_FILE, '--stage', JSON.stringify(input)], { stdio: ['ignore', 'pipe', 'inherit'] });
    runningChildren.add(child);
    let stdout = '';
    let lowestAvailable = Infinity;
    let killedForMemory = false;
    const watchdog = setInterval(() => {
      lowestAvailable = Math.min(lowestAvailable, availableMemory());
      if (lowestAvailable >= STAGE_MEMORY_FLOOR || killedForMemory) return;
      killedForMemory = true;
      log(`${input.target.entry.id}: only ${gibibytes(lowestAvailable)} of memory left available; stopping its stage`);
      child.kill('SIGKILL');
    }, 500);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.on('close', (code, signal) => {
      clearInterval(watchdog);
      runningChildren.delete(child);
      if (killedForMemory) {
        resolve({ ok: false, error: `stopped by the bench when the machine's available memory fell to ${gibibytes(lowestAvailable)} (under ${gibibytes(STAGE_MEMORY_FLOOR)}): this model does not fit in this machine's memory` });
        return;
      }
      const lastLine = stdout.trim().split('\n').at(-1) ?? '';
      try {
        resolve(JSON.parse(lastLine) as StageResult);
      } catch {
        resolve({ ok: false, error: `its process ended (${signal ?? `exit code ${code}`}) without a result; see stderr above` });
      }
    });
  });
}

async function measureTarget(target: Target, options: Options): Promise<Outcome> {
  if (!isInstalled(target.modelsDir, target.entry)) return { target, status: 'not installed' };
  const runs = target.runs ?? options.runs;
  const maxTokens = target.maxTokens === undefined ? options.maxTokens : target.maxTokens;
  const result = await runStage({ target, device: options.device, runs, maxTokens, photo: options.photo });
  return result.ok ? { target, status: 'measured', result } : { target, status: 'failed', error: result.error };
}

// ---------------------------------------------------------------- the report

const HEADER = ['Model', 'Task', 'Provider', 'Load', 'RSS added by load', 'Peak RSS generating', 'Prompt', 'First token', 'Decode', 'Total', 'Tokens'] as const;

/** A table line: HEADER's cells, plus the notes (a column in markdown, lines under the table in ASCII). */
interface Line {
  cells: string[];
  notes: string[];
}

function modelLabel(target: Target): string {
  if (target.kind === 'fixture') return `${target.entry.id} (fixture)`;
  return target.kind === 'random-weights' ? `${target.entry.id} (same shape, random weights)` : target.entry.id;
}

/** What the first line of a model says about what it is (not an installed real model) and its own runs or answer length. */
function kindNotes(target: Target): string[] {
  const own = target.notes ?? [];
  if (target.kind === 'fixture') return [FIXTURE_NOTE, ...own];
  return target.kind === 'random-weights' ? [RANDOM_NOTE, ...own] : own;
}

function providerText(requested: Device, result: StageSuccess): string {
  if (requested === 'auto') return `${result.provider} (auto)`;
  return result.provider === requested ? result.provider : `${result.provider} (${requested} failed, fell back)`;
}

/** Why any provider before the one used did not work: a fallback is never silent. */
function attemptNotes(result: StageSuccess): string[] {
  return result.attempts.filter((attempt) => !attempt.ok).map((attempt) => `${attempt.provider} not used: ${attempt.reason ?? 'no reason given'}`);
}

function promptCells(prompt: PromptResult): string[] {
  const decodeRates = prompt.runs.map((run) => run.tokensPerSecond).filter((rate): rate is number => rate !== null);
  return [
    prompt.prompt,
    millis(median(prompt.runs.map((run) => run.firstTokenMs))),
    decodeRates.length > 0 ? `${median(decodeRates).toFixed(1)} tok/s` : 'n/a (1 token)',
    millis(median(prompt.runs.map((run) => run.totalMs))),
    String(median(prompt.runs.map((run) => run.tokens))),
  ];
}

function measuredLines(outcome: Extract<Outcome, { status: 'measured' }>, options: Options): Line[] {
  const { target, result } = outcome;
  return result.prompts.map((prompt, i) => {
    // Load and load memory belong to the model: on its first line only.
    const modelCells = i === 0 ? [providerText(options.device, result), seconds(result.loadMs), signedMebibytes(result.rssAfterLoad - result.rssBeforeLoad)] : ['', '', ''];
    const peak = `${mebibytes(prompt.peakRss)} (${signedMebibytes(prompt.peakRss - result.rssBeforeLoad)})`;
    const notes = [
      `answer ${quoted(prompt.text)} (${prompt.finish})`,
      ...(i === 0 ? [...kindNotes(target), ...attemptNotes(result), ...(result.peakIsGenerationOnly ? [] : ['peak RSS includes the load (could not reset it)'])] : []),
    ];
    return { cells: [modelLabel(target), target.entry.task, ...modelCells, peak, ...promptCells(prompt)], notes };
  });
}

function statusLine(target: Target, status: string, notes: string[] = []): Line {
  const cells = [modelLabel(target), target.entry.task, status, ...HEADER.slice(3).map(() => '')];
  return { cells, notes: [...kindNotes(target), ...notes] };
}

function reportLines(outcomes: readonly Outcome[], options: Options): Line[] {
  return outcomes.flatMap((outcome) => {
    switch (outcome.status) {
      case 'measured':
        return measuredLines(outcome, options);
      case 'not installed':
        return [statusLine(outcome.target, `not installed (iris models install ${outcome.target.entry.id})`)];
      case 'failed':
        return [statusLine(outcome.target, 'failed', [outcome.error])];
    }
  });
}

function asciiTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const rule = `+${widths.map((width) => '-'.repeat(width + 2)).join('+')}+`;
  const line = (cells: readonly string[]) => `| ${widths.map((width, column) => (cells[column] ?? '').padEnd(width)).join(' | ')} |`;
  return [rule, line(header), rule, ...rows.map(line), rule].join('\n');
}

/** The ASCII table, then each line's notes under it (they would make the table too wide to read). */
function asciiReport(lines: readonly Line[]): string {
  const notes = lines.flatMap((line) => line.notes.map((note) => `  ${line.cells[0]}, ${line.cells[6] || line.cells[2]}: ${note}`));
  return [asciiTable(HEADER, lines.map((line) => line.cells)), '', 'Notes:', ...notes].join('\n');
}

function markdownReport(lines: readonly Line[]): string {
  return markdownTable(
    lines.map((line) => [...line.cells, line.notes.join('; ')]),
    [...HEADER, 'Notes'],
  );
}

/** The GPU, when nvidia-smi exists and answers. */
function gpuLine(): string {
  const query = spawnSync('nvidia-smi', ['--query-gpu=name,memory.total,driver_version', '--format=csv,noheader'], { encoding: 'utf8' });
  const gpus = query.status === 0 ? query.stdout.trim().split('\n').filter(Boolean) : [];
  return gpus.length > 0 ? `- GPU: ${gpus.join('; ')} (nvidia-smi: name, memory, driver)` : '- GPU: none found (no nvidia-smi, or it reported no GPU)';
}

/** The random-weight Qwen2-VL row's own max tokens or runs, for the machine lines (nothing when it is not run or does not differ). */
function qwen2vlLine(options: Options, what: 'maxTokens' | 'runs'): string {
  if (options.randomModelsDir === null || options.skipQwen2vl) return '';
  if (what === 'maxTokens') return ` (${RANDOM_QWEN2VL_ID}: ${options.qwen2vlMaxTokens})`;
  return options.qwen2vlRuns === options.runs ? '' : ` (${RANDOM_QWEN2VL_ID}: ${options.qwen2vlRuns})`;
}

async function machineLines(options: Options): Promise<string[]> {
  const [transformers, ort] = await Promise.all([loadTransformers(), loadOrt()]);
  const photo = await sharp(options.photo).metadata();
  const load = os.loadavg().map((l) => l.toFixed(2)).join(', ');
  return [
    ...machineBasics(),
    gpuLine(),
    `- onnxruntime-node ${ort.env.versions.node ?? '?'}, @huggingface/transformers ${transformers.env.version}, sharp ${sharp.versions.sharp}`,
    `- Photo: ${path.relative(REPO_ROOT, options.photo)} (${photo.width}x${photo.height} ${photo.format})`,
    `- Device requested: ${options.device}; max tokens: ${options.maxTokens ?? "each model's catalog default"}${qwen2vlLine(options, 'maxTokens')}; greedy decoding`,
    `- ${options.runs} timed runs per prompt after 1 warm-up run (not counted)${qwen2vlLine(options, 'runs')}; figures are medians`,
    `- Load average at start: ${load}`,
  ];
}

function fixtureSentence(outcomes: readonly Outcome[]): string {
  const fixtures = outcomes.filter((outcome) => outcome.target.kind === 'fixture').map((outcome) => `\`${outcome.target.entry.id}\``);
  if (fixtures.length === 0) return 'No fixture rows in this run.';
  return `The rows marked (fixture), ${fixtures.join(' and ')}, are fixtures: not real models but a table lookup in the real models' file layout (test/fixtures/generate-models.ts), so they measure the pipeline overhead only (processor, sessions, generate loop, streaming), not a model's speed.`;
}

function randomWeightsSentence(outcomes: readonly Outcome[]): string {
  const random = outcomes.filter((outcome) => outcome.target.kind === 'random-weights').map((outcome) => outcome.target.entry.id);
  if (random.length === 0) return 'No random-weight rows in this run.';
  const others = random.includes(RANDOM_QWEN2VL_ID) ? '' : 'The random-weight Qwen2-VL 2B (test/bench/random-qwen2vl.ts) was not run this time (--skip-qwen2vl).';
  const described: Record<string, string> = {
    'vit-gpt2-random':
      "`vit-gpt2-random` (test/bench/random-vit-gpt2.ts): Xenova/vit-gpt2-image-captioning's ViT-B/16 encoder at 224x224 and 12-layer GPT-2\n" +
      "decoder with cross-attention and a KV cache, fp32, in the real export's files, sessions and input/output names (343 MB + 611 MB).",
    'florence2-random':
      "`florence2-random` (test/bench/random-florence2.ts): Florence-2-base's DaViT vision encoder, exact (4 stages, dims 128/256/512/1024,\n" +
      'depths 1/1/9/1, conv patch embeddings 7x7/4 then 3x3/2, 12x12-window spatial attention + channel attention blocks with depth-wise\n' +
      'convs, 768x768 in -> 24x24x1024 + 2D position / temporal embeddings + mean token -> projection to 577 x 768), token embeddings\n' +
      '(51289 x 768) and BART-base encoder-decoder (6 + 6 post-LN layers, d_model 768, 12 heads, FFN 3072, learned positions, merged decoder\n' +
      "with self and cross-attention KV cache, tied lm_head), fp32, 231.4M distinct parameters (the real model: ~231M), in the real export's\n" +
      'four files and input/output names, with the real processor (768x768, the real <CAPTION> / <DETAILED_CAPTION> text prompts)\n' +
      '(365 MB + 158 MB + 173 MB + 388 MB). Captions run to 256 tokens (the real entry\'s max_new_tokens), far longer than real captions.',
    'smolvlm-random':
      "`smolvlm-random` (test/bench/random-smolvlm.ts): SmolVLM-256M-Instruct's SigLIP-512 vision encoder (12 layers, hidden 768) with the\n" +
      'pixel-shuffle connector (64 image tokens per 512x512 tile), token embeddings and 30-layer SmolLM2-135M decoder (hidden 576, 9 query /\n' +
      '3 key-value heads, RoPE, SwiGLU, untied lm_head, KV cache), fp32, in the real export\'s three files and input/output names, with the real\n' +
      'processor and image splitting: the bench photo, prepared to a 2048 long edge, becomes 4x4 tiles + 1 global image = 1088 image tokens, so\n' +
      'its first token includes encoding 17 tiles and a ~1100-token prefill (374 MB + 114 MB + 539 MB). It is asked "What colour is it?" and\n' +
      'answers 64 tokens (its catalog max_new_tokens; the real entry allows 512).',
    'qwen2vl-random':
      "`qwen2vl-random` (test/bench/random-qwen2vl.ts): Qwen2-VL-2B-Instruct's vision transformer (32 blocks, embed 1280, 16 heads, MLP 5120\n" +
      'with quick_gelu, Conv3d patch embedding 2x14x14, 2-D rotary positions from grid_thw, PatchMerger 2x2 -> 5120 -> GELU -> 1536), token\n' +
      'embeddings (151936 x 1536) and 28-layer Qwen2-1.5B decoder (hidden 1536, 12 query / 2 key-value heads of 128, q/k/v biases, M-RoPE\n' +
      'sections [16, 24, 24] with theta 1e6 from position_ids [3, batch, seq], SwiGLU 8960, RMSNorm, tied lm_head stored again in the\n' +
      "decoder, KV cache, logits at every position), fp32, 2209M distinct parameters, in the real export's three files and input/output names\n" +
      'with external data (2.66 GB + 0.93 GB + 6.17 GB), with the real processor (dynamic resolution): the bench photo, prepared to the real\n' +
      "entry's 1024 long edge, becomes 1036x840 = 4440 patches = 1110 image tokens, so its first token includes a 32-layer attention over\n" +
      '4440 patches and a 1151-token prefill (41 text tokens). It is asked "What colour is it?"; its answers are capped below the catalog\'s 512\n' +
      'tokens (see its notes). Loaded it holds ~8.4 GiB; the vision attention (16 heads x 4440 x 4440 scores per block) takes its peak to ~17 GiB.',
    'blip-large-random':
      "`blip-large-random` (test/bench/random-blip.ts): Salesforce/blip-image-captioning-large's ViT-L/16 at 384x384 (24 layers, width 1024,\n" +
      '577 tokens) and BERT-base text decoder (12 post-LN layers, width 768, self-attention KV cache, cross-attention to the image states\n' +
      "projected again at every step, tied LM head over 30524 tokens), fp32, run by Iris's own BLIP loop from the prompt \"[DEC] a picture of\"\n" +
      '(1.2 GB + 0.6 GB). Captions run to 30 tokens (its catalog max_new_tokens).',
    'llava-onevision-random':
      "`llava-onevision-random` (test/bench/random-llava-onevision.ts): LLaVA-OneVision 0.5B's SigLIP-so400m vision tower (26 layers, width\n" +
      '1152, 729 patches of a 384x384 view) and projector, token embeddings (151936 x 896) and 24-layer Qwen2-0.5B decoder (14 query / 2\n' +
      'key-value heads of 64, q/k/v biases, RoPE theta 1e6, SwiGLU 4864, tied lm_head stored again, KV cache), fp32, external data, as Iris runs\n' +
      'it: one square view (transformers.js 4.3.1 has no anyres tiling) and the prompt\'s <image> repeated once per feature (729). It is asked\n' +
      '"What colour is it?" and answers 64 tokens.',
  };
  return [
    `The rows marked (same shape, random weights) are **not the real models but random weights (seeded N(0, 0.02)) in their real shapes**:`,
    ...random.map((id) => `- ${described[id] ?? `\`${id}\``}`),
    '',
    'Generated on demand, they do the real fp32 models\' work per caption/answer and per token, so their load time, memory, first token and',
    'tokens/s stand for the real fp32 models\' on this machine; they say nothing about answer quality. Their text is babble, and their end',
    'tokens can never win (zero embedding / lm_head columns), so every caption or answer runs to max tokens.',
    ...(others ? [others] : []),
  ].join('\n');
}

function section(table: string, outcomes: readonly Outcome[], machine: readonly string[], date: string, command: string): string {
  return [
    SECTION_START,
    '## Local captioning and VQA (bench:generation)',
    '',
    'Made by `test/bench/generation-bench.ts`. Each model is loaded in its own Node process. Load: until its sessions exist',
    '(sha256 verification done before). RSS after load: the process RSS after load minus before it (libraries already loaded).',
    'Peak RSS generating: the process peak (VmHWM, reset after load) while the prompt ran, with its rise over the RSS before load;',
    'host memory only (GPU memory is not in it). First token: from the call to the first generated token. Decode: tokens after',
    'the first / time after the first token. Total: the whole call; a caption is timed from the photo file (decode, processor,',
    'generate), an answer from the prepared image a request carries. Tokens: per caption or answer, the end token not counted.',
    '',
    fixtureSentence(outcomes),
    '',
    randomWeightsSentence(outcomes),
    '',
    ...provenance(machine, date, command),
    '',
    table,
    SECTION_END,
  ].join('\n');
}

// ---------------------------------------------------------------- main

async function allTargets(options: Options): Promise<{ targets: Target[]; problems: string[] }> {
  const targets: Target[] = [...realTargets(options.modelsDir)];
  const problems: string[] = [];
  if (options.randomModelsDir) {
    const random = await randomWeightTargets(options.randomModelsDir, options);
    targets.push(...random.targets);
    problems.push(...random.problems);
  }
  try {
    targets.push(...fixtureTargets());
  } catch (error) {
    problems.push(`fixture models unavailable (${errorText(error)}); try \`npm run fixtures\``);
  }
  return { targets, problems };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let options: Options;
  try {
    options = parseOptions(argv);
  } catch (error) {
    // A mistyped flag deserves its message, not a stack trace.
    log(errorText(error));
    process.exitCode = 2;
    return;
  }
  process.once('SIGINT', () => {
    for (const child of runningChildren) child.kill('SIGKILL');
    process.exit(130);
  });
  const machine = await machineLines(options);
  const date = new Date().toISOString();
  const { targets, problems } = await allTargets(options);
  const outcomes: Outcome[] = [];
  for (const target of targets) outcomes.push(await measureTarget(target, options));
  const lines = reportLines(outcomes, options);
  process.stdout.write(`${[...machine, `- Date: ${date}`, ...problems.map((p) => `- ${p}`)].join('\n')}\n\n${asciiReport(lines)}\n`);
  if (options.write) {
    const command = commandLine('bench:generation', 'dist/test/bench/generation-bench.js', argv);
    writeBenchmarksSection(SECTION_START, SECTION_END, section(markdownReport(lines), outcomes, [...machine, ...problems.map((p) => `- ${p}`)], date, command));
    log(`wrote ${BENCHMARKS_FILE}`);
  }
}

const runAsScript = process.argv[1] !== undefined && path.resolve(process.argv[1]) === THIS_FILE;
if (runAsScript) {
  const stageAt = process.argv.indexOf('--stage');
  const run = stageAt >= 0 ? stageMain(process.argv[stageAt + 1] ?? '{}') : main();
  run.catch((error: unknown) => {
    process.stderr.write(`generation-bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
