import fs from 'node:fs';
import os from 'node:os';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { z } from 'zod';
import { errorMessage } from '../errors.js';
import type { SettingsStore } from '../settings.js';
import { type Backend, DEVICES, type Device, type Provider, candidateProviders, unavailableReason } from './devices.js';

/**
 * The one place that creates onnxruntime-node sessions. Everything that runs a model goes through
 * createSession, so the device policy, the fallbacks and their reasons, the thread counts and the
 * input/output signature are decided once, here, and reported the same way everywhere.
 */

type Ort = typeof import('onnxruntime-node');
let ortPromise: Promise<Ort> | undefined;

/**
 * Loads onnxruntime-node on first use (it is a large native addon: commands that run no model
 * never pay for it). Its native logger is set to `fatal` by default: every failure that matters
 * reaches us as a thrown error, which we record and show; left at `warning` it prints red
 * provider-bridge errors to stderr on every machine without CUDA. IRIS_ORT_LOG_LEVEL (verbose,
 * info, warning, error, fatal) brings them back for debugging.
 */
export function loadOrt(): Promise<Ort> {
  ortPromise ??= import('onnxruntime-node').then((ort) => {
    ort.env.logLevel = ortLogLevel();
    return ort;
  });
  return ortPromise;
}

const LOG_LEVELS = ['verbose', 'info', 'warning', 'error', 'fatal'] as const;

/** IRIS_ORT_LOG_LEVEL, default fatal (see loadOrt). */
export function ortLogLevel(): (typeof LOG_LEVELS)[number] {
  const level = process.env.IRIS_ORT_LOG_LEVEL;
  return (LOG_LEVELS as readonly string[]).includes(level ?? '') ? (level as (typeof LOG_LEVELS)[number]) : 'fatal';
}

/** The same level as a session option's logSeverityLevel (0 verbose .. 4 fatal), for sessions created by other code (transformers.js). */
export function ortLogSeverity(): 0 | 1 | 2 | 3 | 4 {
  return LOG_LEVELS.indexOf(ortLogLevel()) as 0 | 1 | 2 | 3 | 4;
}

export interface Attempt {
  provider: Provider;
  ok: boolean;
  /** Why it failed (absent when ok). */
  reason?: string;
}

/** One input or output as the session reports it. `dtype` is 'non-tensor' for sequences and maps. */
export interface ValueInfo {
  name: string;
  dtype: Tensor.Type | 'non-tensor';
  /** Sizes, or the names of symbolic axes ("batch_size"). */
  shape: (number | string)[];
}

export interface Threads {
  intraOp: number;
  interOp: number;
}

/** What a caller persists about the last session: enough for `iris doctor` to explain a fallback. */
export interface RuntimeReport {
  device: Device;
  provider: Provider;
  attempts: Attempt[];
  threads: Threads;
  label?: string;
  /** ISO time the session was created. */
  at: string;
}

export interface SessionOptions {
  /** Default `auto`. */
  device?: Device;
  /** Threads inside one operator (GEMM, convolution). Default: physicalCores(). */
  intraOpThreads?: number;
  /** Threads running independent operators at once. Default 1 (see below). */
  interOpThreads?: number;
  /** Names the model in errors and reports ("clip vision"). */
  label?: string;
  /** Throw instead of falling back to cpu when an explicit device fails. */
  strict?: boolean;
}

export interface ModelSession {
  /** The execution provider the session was created with. */
  readonly provider: Provider;
  readonly device: Device;
  /** Every provider tried, in order, with the reason each failure happened. */
  readonly attempts: readonly Attempt[];
  /** Set when an explicitly requested device could not be used: show it to the user. */
  readonly warning: string | undefined;
  readonly threads: Threads;
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  readonly session: InferenceSession;
  report(): RuntimeReport;
  run(feeds: InferenceSession.FeedsType): Promise<InferenceSession.ReturnType>;
  /** Runs once on zeros (symbolic axes = 1) so the first real call does not pay for lazy init. Returns ms. */
  warmUp(): Promise<number>;
  release(): Promise<void>;
}

/**
 * Physical cores, not logical ones: os.availableParallelism() counts SMT siblings, and two
 * hyperthreads sharing one core's vector units make matrix kernels no faster while they starve
 * the photo decoding running beside inference. Linux reports cores in /proc/cpuinfo; elsewhere
 * (macOS arm64 has no SMT; Windows and Intel Macs cannot be asked without spawning a process) the
 * logical count is the honest fallback. Never more than the CPUs this process may use.
 */
export function physicalCores(): number {
  const logical = Math.max(1, os.availableParallelism());
  if (process.platform !== 'linux') return logical;
  try {
    const cores = new Set<string>();
    for (const block of fs.readFileSync('/proc/cpuinfo', 'utf8').split(/\n\s*\n/)) {
      const socket = /^physical id\s*:\s*(\d+)/m.exec(block)?.[1];
      const core = /^core id\s*:\s*(\d+)/m.exec(block)?.[1];
      if (socket !== undefined && core !== undefined) cores.add(`${socket}:${core}`);
    }
    return cores.size > 0 ? Math.min(cores.size, logical) : logical;
  } catch {
    return logical;
  }
}

function positiveInt(value: number | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${what} must be a whole number of at least 1, got ${value}`);
  return value;
}

function sessionOptions(provider: Provider, threads: Threads): InferenceSession.SessionOptions {
  return {
    // One EP per attempt, so the provider that succeeds is the one in use (ORT itself always adds
    // cpu underneath for operators the EP lacks; that partial placement is not visible from JS).
    executionProviders: [provider],
    intraOpNumThreads: threads.intraOp,
    // The models Iris runs are chains (encoders, UNet steps): almost nothing can run side by side,
    // so a parallel executor only adds a second thread pool competing with the intra-op one.
    interOpNumThreads: threads.interOp,
    executionMode: 'sequential',
    // All graph rewrites, including the CPU layout ones: paid once at load, saves time every run.
    graphOptimizationLevel: 'all',
  };
}

/** onnxruntime prefixes enforce failures with a C++ file, line, function and condition; keep the sentence after. */
function failureReason(provider: Provider, error: unknown): string {
  let reason = errorMessage(error).trim().replace(/^\S+\.(?:cc|cpp|h):\d+ [\s\S]*? was false\. /, '');
  if (provider === 'cuda' && /Failed to load (shared )?library/i.test(reason)) {
    reason +=
      ': the CUDA provider libraries are not installed next to onnxruntime-node (its install script downloads them; reinstall it with network access or --onnxruntime-node-install=cuda12), or CUDA 12 / cuDNN 9 are missing';
  }
  return reason.length > 600 ? `${reason.slice(0, 600)}...` : reason;
}

function valueInfo(meta: InferenceSession.ValueMetadata): ValueInfo {
  return meta.isTensor ? { name: meta.name, dtype: meta.type, shape: [...meta.shape] } : { name: meta.name, dtype: 'non-tensor', shape: [] };
}

/** No provider could create the session; `attempts` says why for each. */
export class SessionError extends Error {
  constructor(
    label: string,
    readonly attempts: readonly Attempt[],
  ) {
    super(`could not create an onnxruntime session for ${label}: ${attempts.map((a) => `${a.provider}: ${a.reason}`).join('; ')}`);
    this.name = 'SessionError';
  }
}

/**
 * Tries `create` on each provider `device` allows, in order (candidateProviders), and returns the
 * first that works with every attempt and its reason; throws SessionError listing them when none
 * does. Shared by plain sessions and the multi-session generative models (generation/), so the
 * device policy and its reporting are the same for every model.
 */
export async function firstWorkingProvider<T>(
  ort: Ort,
  device: Device,
  label: string,
  strict: boolean | undefined,
  create: (provider: Provider) => Promise<T>,
): Promise<{ value: T; provider: Provider; attempts: Attempt[]; warning: string | undefined }> {
  const backends: Backend[] = ort.listSupportedBackends();
  const attempts: Attempt[] = [];
  for (const candidate of candidateProviders(device, process.platform, backends, strict)) {
    const missing = unavailableReason(candidate, process.platform, process.arch, backends);
    if (missing) {
      attempts.push({ provider: candidate, ok: false, reason: missing });
      continue;
    }
    try {
      const value = await create(candidate);
      attempts.push({ provider: candidate, ok: true });
      // An explicitly requested device that could not be used: said, never silent.
      const warning = device !== 'auto' && candidate !== device ? `device ${device} could not be used for ${label} (${attempts[0]!.reason}); running on ${candidate} instead` : undefined;
      return { value, provider: candidate, attempts, warning };
    } catch (error) {
      attempts.push({ provider: candidate, ok: false, reason: failureReason(candidate, error) });
    }
  }
  throw new SessionError(label, attempts);
}

/**
 * Creates a session for `modelFile` (a path, or the model's bytes) on the best provider `device`
 * allows. Throws when no provider works (usually a broken model: cpu fails too), listing every
 * attempt and its reason.
 */
export async function createSession(modelFile: string | Uint8Array, options: SessionOptions = {}): Promise<ModelSession> {
  const ort = await loadOrt();
  const device = options.device ?? 'auto';
  const threads: Threads = {
    intraOp: positiveInt(options.intraOpThreads, physicalCores(), 'intraOpThreads'),
    interOp: positiveInt(options.interOpThreads, 1, 'interOpThreads'),
  };
  const label = options.label ?? (typeof modelFile === 'string' ? modelFile : 'model');
  const { value: session, provider, attempts, warning } = await firstWorkingProvider(ort, device, label, options.strict, (candidate) => {
    const settings = sessionOptions(candidate, threads);
    return typeof modelFile === 'string' ? ort.InferenceSession.create(modelFile, settings) : ort.InferenceSession.create(modelFile, settings);
  });
  return wrap(ort, session, { device, provider, attempts, threads, label, at: new Date().toISOString() }, warning);
}

function wrap(ort: Ort, session: InferenceSession, report: RuntimeReport, warning: string | undefined): ModelSession {
  // Read from the session, never assumed: exports differ in names ("pixel_values" vs "input") and dtypes (fp16).
  const inputs = session.inputMetadata.map(valueInfo);
  const outputs = session.outputMetadata.map(valueInfo);
  let released = false;
  return {
    provider: report.provider,
    device: report.device,
    attempts: report.attempts,
    warning,
    threads: report.threads,
    inputs,
    outputs,
    session,
    report: () => structuredClone(report),
    run: (feeds) => session.run(feeds),
    async warmUp() {
      const feeds: Record<string, Tensor> = {};
      for (const input of inputs) {
        if (input.dtype === 'non-tensor') throw new Error(`cannot warm up ${report.label}: input ${input.name} is not a tensor`);
        feeds[input.name] = zeros(ort, input.dtype, input.shape.map((d) => (typeof d === 'number' && d > 0 ? d : 1)));
      }
      const start = performance.now();
      await session.run(feeds);
      return performance.now() - start;
    },
    async release() {
      if (released) return;
      released = true;
      await session.release();
    },
  };
}

function zeros(ort: Ort, dtype: Tensor.Type, dims: number[]): Tensor {
  const size = dims.reduce((a, b) => a * b, 1);
  switch (dtype) {
    case 'string':
      return new ort.Tensor('string', new Array<string>(size).fill(''), dims);
    case 'int64':
      return new ort.Tensor('int64', new BigInt64Array(size), dims);
    case 'uint64':
      return new ort.Tensor('uint64', new BigUint64Array(size), dims);
    case 'bool':
      return new ort.Tensor('bool', new Uint8Array(size), dims);
    case 'float16':
      return new ort.Tensor('float16', new Uint16Array(size), dims);
    default:
      // Every other dtype's constructor accepts a plain number array of that length.
      return new ort.Tensor(dtype as 'float32', new Array<number>(size).fill(0), dims);
  }
}

// ---- the last session, persisted per library (settings table, key runtime.last) ----

const RUNTIME_REPORT_KEY = 'runtime.last';

const providerSchema = z.enum(DEVICES).exclude(['auto']);
const RuntimeReportSchema = z.object({
  device: z.enum(DEVICES),
  provider: providerSchema,
  attempts: z.array(z.object({ provider: providerSchema, ok: z.boolean(), reason: z.string().optional() })),
  threads: z.object({ intraOp: z.number().int(), interOp: z.number().int() }),
  label: z.string().optional(),
  at: z.string(),
});

export function saveRuntimeReport(store: SettingsStore, report: RuntimeReport): void {
  store.setSetting(RUNTIME_REPORT_KEY, JSON.stringify(report));
}

/** The last stored report, or null (none yet, or written by a version with another shape). */
export function loadRuntimeReport(store: SettingsStore): RuntimeReport | null {
  const raw = store.getSetting(RUNTIME_REPORT_KEY);
  if (raw === undefined) return null;
  try {
    const parsed = RuntimeReportSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
