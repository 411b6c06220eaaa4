/**
 * Stable Diffusion 1.5 benchmark (a benchmark, not a test):
 *
 *   node dist/test/bench/diffusion-bench.js [--write] [--steps N] [--device cpu|cuda]
 *
 * (after `npx tsc -p tsconfig.json`; `npm run bench:diffusion -- [flags]` once package.json has the script).
 *
 * Two pipelines, each in its own Node process so that its memory figures are its own:
 *
 *   sd15-unet-random  SD 1.5's UNet in its real shapes with random weights (random-sd15-unet.ts:
 *                     859.5M parameters, fp32, 3.44 GB, generated on demand into .cache/bench-models/).
 *                     Load: session creation. Then guided steps at 512x512: one UNet call on
 *                     batch 2 (negative + prompt, classifier-free guidance), latents 64x64, timed
 *                     after --warmup calls that are not counted; the median over --steps calls.
 *                     The FLOPs per step are counted from the graph (every Conv and MatMul,
 *                     2 per multiply-add, shapes propagated for these inputs), which gives the
 *                     TFLOP/s achieved.
 *   sd15-fixture      the whole DiffusionPipeline (tokenizer, text encoder, scheduler loop with
 *                     guidance, VAE decoder) on the test fixture models: tiny graphs in the real
 *                     file layout, so its time per step is the pipeline's own overhead.
 *
 * Both report the process's peak RSS (VmHWM, host memory) and, on cuda, the GPU memory the process
 * holds (nvidia-smi) after its steps.
 *
 * Flags: --steps N (3 timed UNet steps), --warmup N (1), --device D (cpu; cuda where a GPU is lent:
 * a provider that fails falls back to cpu and the table says so), --pipeline-steps N (20, the
 * fixture run's steps), --models DIR (.cache/bench-models/), --skip-unet, --skip-fixture,
 * --write (replace the "Stable Diffusion 1.5" section of BENCHMARKS.md; without it the table is
 * only printed).
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Tensor } from 'onnxruntime-node';
import { DiffusionPipeline } from '../../main/engine/diffusion/pipeline.js';
import { PromptTokenizer } from '../../main/engine/diffusion/prompt.js';
import { EDIT_DEFAULTS, parseEditParams } from '../../main/engine/edits/edit-params.js';
import { loadCatalog, modelFilePath, type ModelEntry } from '../../main/engine/models/catalog.js';
import { DiffusionCatalogPreprocessingSchema } from '../../main/engine/models/diffusion-catalog.js';
import { ensureVerified } from '../../main/engine/models/verified.js';
import { type Device, parseDevice, type Provider } from '../../main/engine/runtime/devices.js';
import { type Attempt, createSession, loadOrt, type ModelSession } from '../../main/engine/runtime/session.js';
import { SD15_FIXTURE_ID } from '../fixtures/diffusion/sd15-fixture.js';
import { FIXTURE_MODELS_DIR, generateFixtureModels } from '../fixtures/generate-models.js';
import { BENCH_MODELS_DIR } from '../fixtures/vit-b32-random.js';
import { peakRssBytes } from '../helpers/peak-rss.js';
import { benchLogger, BENCHMARKS_FILE, commandLine, machineBasics, markdownTable, mebibytes, positiveInt, provenance, writeBenchmarksSection } from './benchmarks-md.js';
import { ensureRandomSd15Unet, graphFlops, type GraphFlops, SD15_UNET_PARAMETERS } from './random-sd15-unet.js';

const THIS_FILE = fileURLToPath(import.meta.url);
const SECTION_START = '<!-- bench:diffusion:start -->';
const SECTION_END = '<!-- bench:diffusion:end -->';
const DIST_SCRIPT = 'dist/test/bench/diffusion-bench.js';

/** 512x512 pixels = 64x64 latents; batch 2 = classifier-free guidance's negative and prompt. */
const SIZE = 512;
const LATENT = SIZE / 8;
const BATCH = 2;
const UNET_INPUTS = { sample: [BATCH, 4, LATENT, LATENT], timestep: [1], encoder_hidden_states: [BATCH, 77, 768] };
/** The issue's goal: 20 guided steps in 1.5 s on an H100-class GPU. */
const GOAL_STEPS = 20;
const GOAL_SECONDS = 1.5;

interface Options {
  steps: number;
  warmup: number;
  pipelineSteps: number;
  device: Device;
  modelsDir: string;
  unet: boolean;
  fixture: boolean;
  write: boolean;
}

type StageInput = { kind: 'unet'; unetFile: string; device: Device; steps: number; warmup: number } | { kind: 'fixture'; device: Device; steps: number };

interface Memory {
  rssBeforeLoad: number;
  rssAfterLoad: number;
  peakRss: number;
  /** MiB the process holds on the GPU (nvidia-smi) after its steps; null off cuda or without nvidia-smi. */
  gpuMiB: number | null;
}

interface UnetStage extends Memory {
  ok: true;
  kind: 'unet';
  provider: Provider;
  attempts: Attempt[];
  loadMs: number;
  warmupMs: number[];
  stepMs: number[];
  /** CPU time (user + system, all threads) of each timed step: what contention for the cores does not change. */
  stepCpuMs: number[];
  output: string;
}

interface FixtureStage extends Memory {
  ok: true;
  kind: 'fixture';
  provider: Provider;
  attempts: Attempt[];
  loadMs: number;
  totalMs: number;
  stepMs: number[];
  steps: number;
}

type StageResult = UnetStage | FixtureStage | { ok: false; kind: StageInput['kind']; error: string };

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      steps: { type: 'string', default: '3' },
      warmup: { type: 'string', default: '1' },
      'pipeline-steps': { type: 'string', default: '20' },
      device: { type: 'string', default: 'cpu' },
      models: { type: 'string', default: BENCH_MODELS_DIR },
      'skip-unet': { type: 'boolean', default: false },
      'skip-fixture': { type: 'boolean', default: false },
      write: { type: 'boolean', default: false },
    },
  });
  return {
    steps: positiveInt('steps', values.steps, 1000),
    warmup: values.warmup === '0' ? 0 : positiveInt('warmup', values.warmup, 100),
    pipelineSteps: positiveInt('pipeline-steps', values['pipeline-steps'], 150),
    device: parseDevice(values.device),
    modelsDir: path.resolve(values.models),
    unet: !values['skip-unet'],
    fixture: !values['skip-fixture'],
    write: values.write,
  };
}

const log = benchLogger('diffusion-bench');

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));
const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const ms = (value: number) => (value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(value < 10 ? 2 : 0)} ms`);
const tera = (flops: number) => `${(flops / 1e12).toFixed(3)} TFLOP`;

// ---------------------------------------------------------------- stages (each in its own process)

/** Resets VmHWM to the current RSS (Linux: 5 into clear_refs), so the next peak covers only what runs after. */
function resetPeak(): void {
  try {
    fs.writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    // Elsewhere the peak includes the load; the table's notes say the peak is the process's.
  }
}

/** What this process holds on the GPU, by nvidia-smi; null when it cannot say. */
function gpuMiBOfThisProcess(provider: Provider): number | null {
  if (provider !== 'cuda') return null;
  const query = spawnSync('nvidia-smi', ['--query-compute-apps=pid,used_memory', '--format=csv,noheader,nounits'], { encoding: 'utf8' });
  if (query.status !== 0) return null;
  const line = query.stdout.split('\n').find((row) => Number(row.split(',')[0]) === process.pid);
  return line ? Number(line.split(',')[1]) : null;
}

async function unetStage(input: Extract<StageInput, { kind: 'unet' }>): Promise<UnetStage> {
  const ort = await loadOrt();
  const rssBeforeLoad = process.memoryUsage.rss();
  const loadStarted = performance.now();
  const session = await createSession(input.unetFile, { device: input.device, label: 'sd15-unet-random' });
  const loadMs = performance.now() - loadStarted;
  const rssAfterLoad = process.memoryUsage.rss();
  try {
    // Latents and text states of the right sizes; their values do not change the work.
    const sample = new Float32Array(BATCH * 4 * LATENT * LATENT).map((_, i) => Math.sin(i * 0.37));
    const context = new Float32Array(BATCH * 77 * 768).map((_, i) => Math.cos(i * 0.11));
    const feeds = {
      sample: new ort.Tensor('float32', sample, UNET_INPUTS.sample),
      timestep: new ort.Tensor('int64', BigInt64Array.from([981n]), [1]),
      encoder_hidden_states: new ort.Tensor('float32', context, UNET_INPUTS.encoder_hidden_states),
    };
    let output = '';
    const stepCpuMs: number[] = [];
    const step = async () => {
      const started = performance.now();
      const cpu = process.cpuUsage();
      const out = (await session.run(feeds)) as Record<string, Tensor>;
      const elapsed = performance.now() - started;
      const used = process.cpuUsage(cpu);
      stepCpuMs.push((used.user + used.system) / 1000);
      const result = out.out_sample;
      if (!result) throw new Error('the UNet returned no out_sample');
      const finite = (result.data as Float32Array).every(Number.isFinite);
      output = `out_sample [${result.dims.join(', ')}], ${finite ? 'finite' : 'NOT finite'}`;
      if (result.dims.join(',') !== UNET_INPUTS.sample.join(',') || !finite) throw new Error(`bad UNet output: ${output}`);
      return elapsed;
    };
    resetPeak();
    const warmupMs: number[] = [];
    for (let i = 0; i < input.warmup; i++) {
      warmupMs.push(await step());
      log(`  warm-up ${i + 1}/${input.warmup}: ${ms(warmupMs.at(-1)!)}`);
    }
    stepCpuMs.length = 0;
    const stepMs: number[] = [];
    for (let i = 0; i < input.steps; i++) {
      stepMs.push(await step());
      log(`  step ${i + 1}/${input.steps}: ${ms(stepMs.at(-1)!)}`);
    }
    const memory = { rssBeforeLoad, rssAfterLoad, peakRss: peakRssBytes(), gpuMiB: gpuMiBOfThisProcess(session.provider) };
    return { ok: true, kind: 'unet', provider: session.provider, attempts: [...session.attempts], loadMs, warmupMs, stepMs, stepCpuMs, output, ...memory };
  } finally {
    await session.release();
  }
}

/** The sd15-fixture model through DiffusionPipeline, with sessions made the way EditService makes them (all created up front, timed as the load). */
async function fixtureStage(input: Extract<StageInput, { kind: 'fixture' }>): Promise<FixtureStage> {
  const ort = await loadOrt();
  const entry = loadCatalog(FIXTURE_MODELS_DIR).models.find((model) => model.id === SD15_FIXTURE_ID);
  if (!entry) throw new Error(`the fixture catalog in ${FIXTURE_MODELS_DIR} has no ${SD15_FIXTURE_ID}`);
  const prep = DiffusionCatalogPreprocessingSchema.parse(entry.preprocessing);
  await ensureVerified(FIXTURE_MODELS_DIR, entry);
  const open = (file: string, label: string) => createSession(sessionFile(entry, file), { device: input.device, label });
  const rssBeforeLoad = process.memoryUsage.rss();
  const loadStarted = performance.now();
  const [textEncoder, unet, vaeEncoder, vaeDecoder] = await Promise.all([
    open(prep.sessions.text_encoder, 'text encoder'),
    open(prep.sessions.unet, 'unet'),
    open(prep.sessions.vae_encoder, 'vae encoder'),
    open(prep.sessions.vae_decoder, 'vae decoder'),
  ]);
  const tokenizer = PromptTokenizer.load(path.join(FIXTURE_MODELS_DIR, entry.id), prep.tokenizer);
  const sessions = [textEncoder, unet, vaeEncoder, vaeDecoder];
  const ready = (session: ModelSession) => () => Promise.resolve(session);
  const pipeline = new DiffusionPipeline(ort, prep, tokenizer, {
    textEncoder: ready(textEncoder),
    unet: ready(unet),
    vaeEncoder: ready(vaeEncoder),
    vaeDecoder: ready(vaeDecoder),
    controlnet: async () => null,
  });
  const loadMs = performance.now() - loadStarted;
  const rssAfterLoad = process.memoryUsage.rss();
  try {
    const params = parseEditParams({ ...EDIT_DEFAULTS, mode: 'txt2img', model: entry.id, controlnet: null, seed: 42, steps: input.steps, prompt: 'a red apple on a blue table', width: SIZE, height: SIZE });
    const run = async () => {
      const marks: number[] = [];
      const started = performance.now();
      const result = await pipeline.run({ params, onStep: () => marks.push(performance.now()) });
      if (!result.image || result.image.some((value) => !Number.isFinite(value))) throw new Error('the fixture pipeline returned no (finite) image');
      return { totalMs: performance.now() - started, stepMs: marks.map((mark, i) => mark - (i === 0 ? started : marks[i - 1]!)).slice(1), steps: result.stepsRun };
    };
    resetPeak();
    await run();
    const timed = await run();
    const memory = { rssBeforeLoad, rssAfterLoad, peakRss: peakRssBytes(), gpuMiB: gpuMiBOfThisProcess(unet.provider) };
    return { ok: true, kind: 'fixture', provider: unet.provider, attempts: [...unet.attempts], loadMs, ...timed, ...memory };
  } finally {
    for (const session of sessions) await session.release();
  }
}

function sessionFile(entry: ModelEntry, file: string): string {
  const listed = entry.files.find((candidate) => candidate.path === file);
  if (!listed) throw new Error(`${entry.id}: ${file} is not among the catalog's files`);
  return modelFilePath(FIXTURE_MODELS_DIR, entry, listed);
}

async function stageMain(json: string): Promise<void> {
  const input = JSON.parse(json) as StageInput;
  let result: StageResult;
  try {
    result = input.kind === 'unet' ? await unetStage(input) : await fixtureStage(input);
  } catch (error) {
    result = { ok: false, kind: input.kind, error: errorText(error) };
  }
  process.stdout.write(`\n${JSON.stringify(result)}\n`);
}

// ---------------------------------------------------------------- parent

let runningChild: ReturnType<typeof spawn> | null = null;

function runStage(input: StageInput): Promise<StageResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [THIS_FILE, '--stage', JSON.stringify(input)], { stdio: ['ignore', 'pipe', 'inherit'] });
    runningChild = child;
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.on('close', (code, signal) => {
      runningChild = null;
      try {
        resolve(JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as StageResult);
      } catch {
        // Killed for memory (the OOM killer sends SIGKILL) is the likeliest way to get here with the full UNet.
        resolve({ ok: false, kind: input.kind, error: `its process ended (${signal ?? `exit code ${code}`}) without a result` });
      }
    });
  });
}

function providerText(requested: Device, result: { provider: Provider; attempts: Attempt[] }): string {
  const failed = result.attempts.filter((attempt) => !attempt.ok).map((attempt) => `${attempt.provider}: ${attempt.reason ?? '?'}`);
  return result.provider === requested || requested === 'auto' ? result.provider : `${result.provider} (${requested} failed: ${failed.join('; ')})`;
}

function memoryRows(label: string, result: Memory): string[][] {
  const rows = [
    [`${label}: RSS added by load`, mebibytes(result.rssAfterLoad - result.rssBeforeLoad), `process RSS ${mebibytes(result.rssBeforeLoad)} before, ${mebibytes(result.rssAfterLoad)} after`],
    [`${label}: peak RSS`, mebibytes(result.peakRss), 'VmHWM of its process, reset after load (host memory only)'],
  ];
  if (result.gpuMiB !== null) rows.push([`${label}: GPU memory`, `${result.gpuMiB} MiB`, 'held by its process after the steps (nvidia-smi)']);
  return rows;
}

interface UnetInfo {
  parameters: number;
  bytes: number;
  flops: GraphFlops;
  prepared: string;
}

function unetRows(info: UnetInfo, result: StageResult | null, options: Options): string[][] {
  const { flops } = info;
  const rows = [
    ['sd15-unet-random: parameters', `${(info.parameters / 1e6).toFixed(1)} M`, `${info.parameters.toLocaleString('en')}; SD 1.5's UNet has ${SD15_UNET_PARAMETERS.toLocaleString('en')}; fp32, ${(info.bytes / 1e9).toFixed(2)} GB (${info.prepared})`],
    ['FLOPs per guided step (512x512, batch 2)', tera(flops.total), `from the graph: conv ${tera(flops.conv)}, linear ${tera(flops.linear)}, attention QK/AV ${tera(flops.attention)}; 2 per multiply-add, element-wise ops not counted`],
    [`Goal: ${GOAL_STEPS} steps in ${GOAL_SECONDS} s`, `${ms((GOAL_SECONDS / GOAL_STEPS) * 1000)} per step`, `needs ${((flops.total * GOAL_STEPS) / GOAL_SECONDS / 1e12).toFixed(1)} TFLOP/s sustained (H100-class GPU)`],
  ];
  if (!result) return rows;
  if (!result.ok || result.kind !== 'unet') return [...rows, ['sd15-unet-random', 'failed', result.ok ? 'wrong stage' : result.error]];
  const step = median(result.stepMs);
  return [
    ...rows,
    ['sd15-unet-random: provider', providerText(options.device, result), `threads: onnxruntime's intra-op default here (${os.availableParallelism()} logical CPUs)`],
    ['sd15-unet-random: load', ms(result.loadMs), 'session creation (graph optimisation, weights read from weights.pb)'],
    ['sd15-unet-random: seconds per guided step', `${(step / 1000).toFixed(2)} s`, `median of ${result.stepMs.length} (${result.stepMs.map(ms).join(', ')}) after ${result.warmupMs.length} warm-up (${result.warmupMs.map(ms).join(', ') || 'none'}); ${result.output}`],
    ['sd15-unet-random: CPU time per guided step', `${(median(result.stepCpuMs) / 1000).toFixed(2)} s`, `median user + system time of the process over the timed steps, all threads (${result.stepCpuMs.map(ms).join(', ')}): wall time above this / threads means other processes had the cores`],
    ['sd15-unet-random: achieved', `${(flops.total / (step / 1000) / 1e12).toFixed(2)} TFLOP/s`, 'FLOPs per step / median step time'],
    [`sd15-unet-random: ${GOAL_STEPS} steps (UNet only)`, `${((step * GOAL_STEPS) / 1000).toFixed(1)} s`, `${GOAL_STEPS} x median step; goal ${GOAL_SECONDS} s on an H100-class GPU`],
    ...memoryRows('sd15-unet-random', result),
  ];
}

function fixtureRows(result: StageResult | null, options: Options): string[][] {
  if (!result) return [];
  if (!result.ok || result.kind !== 'fixture') return [['sd15-fixture pipeline', 'failed', result.ok ? 'wrong stage' : result.error]];
  const inSteps = result.stepMs.reduce((a, b) => a + b, 0);
  return [
    ['sd15-fixture pipeline: provider', providerText(options.device, result), 'fixture: tiny graphs in the real layout, so the time is the pipeline overhead'],
    ['sd15-fixture pipeline: load', ms(result.loadMs), 'four sessions (text encoder, UNet, VAE encoder and decoder) created + tokenizer'],
    ['sd15-fixture pipeline: per step', ms(median(result.stepMs)), `median between step callbacks over ${result.stepMs.length} (txt2img ${SIZE}x${SIZE}, dpmpp-2m-karras, guidance 7.5, batch 2): scheduler, guidance, tensors, a fixture UNet call`],
    ['sd15-fixture pipeline: whole run', ms(result.totalMs), `${result.steps} steps after one warm-up run; ${ms(result.totalMs - inSteps)} outside the steps after the first (prompt encode, noise, first step, VAE decode)`],
    ...memoryRows('sd15-fixture pipeline', result),
  ];
}

function gpuLine(): string {
  const query = spawnSync('nvidia-smi', ['--query-gpu=name,memory.total,driver_version', '--format=csv,noheader'], { encoding: 'utf8' });
  const gpus = query.status === 0 ? query.stdout.trim().split('\n').filter(Boolean) : [];
  return gpus.length > 0 ? `- GPU: ${gpus.join('; ')}` : '- GPU: none found (no nvidia-smi, or it reported no GPU)';
}

async function machineLines(options: Options): Promise<string[]> {
  const ort = await loadOrt();
  return [
    ...machineBasics(),
    gpuLine(),
    `- onnxruntime-node ${ort.env.versions.node ?? '?'}; device requested: ${options.device}`,
    `- UNet: ${options.steps} timed guided steps after ${options.warmup} warm-up; fixture pipeline: ${options.pipelineSteps} steps after one warm-up run`,
    `- Load average at start: ${loadAverage()}`,
  ];
}

const loadAverage = () => os.loadavg().map((l) => l.toFixed(2)).join(', ');

function section(table: string, machine: readonly string[], date: string, command: string): string {
  return [
    SECTION_START,
    '## Stable Diffusion 1.5 (bench:diffusion)',
    '',
    'Made by `test/bench/diffusion-bench.ts` (run: `node dist/test/bench/diffusion-bench.js [--write] [--steps N] [--device cpu|cuda]`',
    'after `npx tsc -p tsconfig.json`). **`sd15-unet-random` is not the real model but random weights in its real shapes**',
    "(test/bench/random-sd15-unet.ts): diffusers' UNet2DConditionModel with SD 1.5's config, 859.5M parameters, fp32, the diffusers",
    'ONNX export\'s inputs and outputs, weights in an external-data file; it does the real work per step, so its times and memory stand',
    "for the real fp32 UNet's on this machine, and say nothing about images. A guided step is one UNet call on batch 2 (negative and",
    'prompt) at 512x512 (64x64 latents). Its FLOPs are counted from the generated graph. The `sd15-fixture` rows run the whole',
    'DiffusionPipeline on the test fixture models (tiny graphs in the real layout), so they measure the pipeline overhead only.',
    'Each pipeline runs in its own Node process; peak RSS is that process\'s VmHWM, reset after load (host memory only).',
    '',
    ...provenance(machine, date, command),
    '',
    table,
    SECTION_END,
  ].join('\n');
}

/** The options, or null (exit code 2) after saying what is wrong with a mistyped flag. */
function optionsOrUsage(argv: string[]): Options | null {
  try {
    return parseOptions(argv);
  } catch (error) {
    log(errorText(error));
    process.exitCode = 2;
    return null;
  }
}

async function main(argv: string[]): Promise<void> {
  const options = optionsOrUsage(argv);
  if (!options) return;
  process.once('SIGINT', () => {
    // The stage process may hold 8 GB: it goes with us.
    runningChild?.kill('SIGKILL');
    process.exit(130);
  });
  const machine = await machineLines(options);
  const date = new Date().toISOString();
  const rows: string[][] = [];
  if (options.unet) {
    const model = await ensureRandomSd15Unet(options.modelsDir, log);
    const prepared = `${model.generated ? 'generated' : 'cached copy sha256-verified'} in ${model.seconds.toFixed(1)} s`;
    log(`sd15-unet-random: ${prepared}`);
    const info = { parameters: model.parameters, bytes: model.bytes, flops: graphFlops(model.unetFile, UNET_INPUTS), prepared };
    log(`sd15-unet-random: loading on ${options.device}, ${options.warmup} warm-up + ${options.steps} timed steps`);
    const result = await runStage({ kind: 'unet', unetFile: model.unetFile, device: options.device, steps: options.steps, warmup: options.warmup });
    rows.push(...unetRows(info, result, options));
  }
  if (options.fixture) {
    generateFixtureModels();
    log(`sd15-fixture: ${options.pipelineSteps} steps`);
    rows.push(...fixtureRows(await runStage({ kind: 'fixture', device: options.device, steps: options.pipelineSteps }), options));
  }
  // Other processes on the machine slow CPU steps down: said at start and at end, beside the CPU time per step.
  machine.push(`- Load average at end: ${loadAverage()}`);
  const table = markdownTable(rows);
  process.stdout.write(`${[...machine, `- Date: ${date}`].join('\n')}\n\n${table}\n`);
  if (options.write) {
    writeBenchmarksSection(SECTION_START, SECTION_END, section(table, machine, date, commandLine('bench:diffusion', DIST_SCRIPT, argv)));
    log(`wrote ${BENCHMARKS_FILE}`);
  }
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === THIS_FILE) {
  const [first, stageJson] = process.argv.slice(2);
  (first === '--stage' ? stageMain(stageJson ?? '{}') : main(process.argv.slice(2))).catch((error: unknown) => {
    log(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exitCode = 1;
  });
}
