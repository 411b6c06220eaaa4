import fs from 'node:fs';
import path from 'node:path';
import type { DecodingOptions, FinishReason } from '../ask/types.js';
import { GenerativeCatalogPreprocessingSchema, type GenerativePreprocessing, type ModelEntry, sessionFile } from '../models/catalog.js';
import { ensureVerified } from '../models/verified.js';
import type { Device, Provider } from '../runtime/devices.js';
import { firstWorkingProvider, loadOrt, ortLogSeverity, physicalCores, type RuntimeReport } from '../runtime/session.js';
import { TokenTextStream } from './text-stream.js';
import { loadTransformers, type Transformers } from './transformers-runtime.js';

/**
 * One captioning or vision-language model, loaded: its transformers.js model (all ONNX sessions on
 * one execution provider), processor and tokenizer, plus our generate() with streaming, stop
 * strings, cancellation and the KV cache released after every answer.
 */

export interface GenerativeModelOptions {
  /** Default `auto`. */
  device?: Device;
  intraOpThreads?: number;
  /** Throw instead of falling back to cpu when an explicit device fails. */
  strict?: boolean;
  /** Called once the sessions exist: what ran where (stored for `iris doctor`). */
  onReport?: (report: RuntimeReport) => void;
}

export interface GenerateRequest {
  decoding: DecodingOptions;
  signal?: AbortSignal;
  onToken?: (piece: string) => void;
  /** Image features already computed for these inputs (see imageFeatures): the vision encoder is not run again. */
  imageFeatures?: unknown;
  /** Told of every token as it is chosen, the end token included (BLIP's own loop; for benchmarks' per-token timing). */
  onTokenId?: (id: number) => void;
}

export interface GenerateResult {
  text: string;
  /** New tokens, the end-of-answer token not counted. */
  tokens: number;
  finish: FinishReason;
  firstTokenMs: number | null;
  totalMs: number;
}

type Model = Awaited<ReturnType<Transformers['PreTrainedModel']['from_pretrained']>>;
type Processor = Awaited<ReturnType<Transformers['AutoProcessor']['from_pretrained']>>;
type Tokenizer = Awaited<ReturnType<Transformers['AutoTokenizer']['from_pretrained']>>;

export class GenerativeModel {
  private released = false;

  private constructor(
    readonly entry: ModelEntry,
    readonly prep: GenerativePreprocessing,
    readonly transformers: Transformers,
    readonly model: Model,
    readonly processor: Processor,
    readonly tokenizer: Tokenizer,
    /** The chat template from chat_template.json, when the model has one there (not in tokenizer_config.json). */
    readonly chatTemplate: string | undefined,
    private readonly stopTokenIds: readonly number[],
    readonly report: RuntimeReport,
    /** Set when an explicitly requested device could not be used. */
    readonly warning: string | undefined,
  ) {}

  get id(): string {
    return this.entry.id;
  }

  get provider(): Provider {
    return this.report.provider;
  }

  /**
   * Verifies every file of the model by sha256 (once per file change; models/verified.ts), then
   * creates its sessions on the first provider `device` allows that works, recording each attempt.
   */
  static async load(modelsDir: string, entry: ModelEntry, options: GenerativeModelOptions = {}): Promise<GenerativeModel> {
    if (entry.task !== 'caption' && entry.task !== 'vqa') throw new Error(`model ${entry.id} is a ${entry.task} model, not a captioning or question-answering one`);
    const prep = GenerativeCatalogPreprocessingSchema.parse(entry.preprocessing);
    await ensureVerified(modelsDir, entry);
    const dir = path.resolve(modelsDir, entry.id);
    const [transformers, ort] = await Promise.all([loadTransformers(), loadOrt()]);
    const device = options.device ?? 'auto';
    const threads = { intraOp: options.intraOpThreads ?? physicalCores(), interOp: 1 };
    const { value: model, provider, attempts, warning } = await firstWorkingProvider(ort, device, entry.id, options.strict, (candidate) =>
      modelClass(transformers, prep).from_pretrained(dir, {
        dtype: prep.sessions,
        use_external_data_format: externalDataChunks(entry, prep),
        device: candidate,
        local_files_only: true,
        session_options: {
          // One provider per attempt (as runtime/session.ts does), so the one that works is the one in use.
          executionProviders: [candidate],
          intraOpNumThreads: threads.intraOp,
          interOpNumThreads: threads.interOp,
          executionMode: 'sequential',
          graphOptimizationLevel: 'all',
          // transformers.js sets its own (error) level per session; ours keeps expected provider failures off stderr.
          logSeverityLevel: ortLogSeverity(),
        },
      }),
    );
    try {
      const processor = await transformers.AutoProcessor.from_pretrained(dir, { local_files_only: true });
      const tokenizer = (processor as { tokenizer?: Tokenizer }).tokenizer ?? (await transformers.AutoTokenizer.from_pretrained(dir, { local_files_only: true }));
      const report: RuntimeReport = { device, provider, attempts, threads, label: entry.id, at: new Date().toISOString() };
      options.onReport?.(report);
      return new GenerativeModel(entry, prep, transformers, model, processor, tokenizer, readChatTemplate(dir), stopTokens(model, tokenizer, prep), report, warning);
    } catch (error) {
      await model.dispose();
      throw error;
    }
  }

  /**
   * Generates from prepared model inputs (processor output). Streams whole-character pieces to
   * onToken; an abort ends it after the current token with finish 'cancelled' and the text so far.
   * The KV cache is disposed by generate() itself (we never ask it to return the cache).
   */
  async generate(inputs: Record<string, unknown>, request: GenerateRequest): Promise<GenerateResult> {
    if (this.released) throw new Error(`model ${this.id} was released`);
    const started = performance.now();
    const { decoding, signal } = request;
    if (signal?.aborted) return { text: '', tokens: 0, finish: 'cancelled', firstTokenMs: null, totalMs: 0 };
    const interrupt = new this.transformers.InterruptableStoppingCriteria();
    const onAbort = () => interrupt.interrupt();
    signal?.addEventListener('abort', onAbort, { once: true });
    let lastId: number | undefined;
    const stream = new TokenTextStream({
      decode: (ids) => {
        lastId = ids.at(-1);
        return this.tokenizer.decode(ids as number[], { skip_special_tokens: true });
      },
      onText: request.onToken,
      stop: decoding.stop,
      onStop: () => interrupt.interrupt(),
    });
    const sampled = decoding.temperature > 0;
    // Features computed beforehand (to count the image tokens) stand in for the encoder's one run
    // inside generate(): an own property shadows the class's encode_image until `finally`.
    const precomputed = request.imageFeatures;
    if (precomputed !== undefined) (this.model as unknown as { encode_image: () => Promise<unknown> }).encode_image = () => Promise.resolve(precomputed);
    try {
      await this.model.generate({
        ...inputs,
        max_new_tokens: decoding.maxTokens,
        num_beams: 1,
        do_sample: sampled,
        ...(sampled ? { temperature: decoding.temperature, top_p: decoding.topP ?? 1, top_k: 0 } : {}),
        eos_token_id: [...this.stopTokenIds],
        // Florence-2's config forces </s> as the last token allowed; a cut-off answer would then look
        // finished. Without it, an answer that runs out of tokens ends where it was cut ('length').
        forced_eos_token_id: null,
        streamer: stream,
        stopping_criteria: [interrupt],
        // generate() only calls the streamer's put/end; its type names TextStreamer, which ours replaces (text-stream.ts).
      } as unknown as Parameters<Model['generate']>[0]);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (precomputed !== undefined) delete (this.model as unknown as { encode_image?: unknown }).encode_image;
    }
    const endedOnStopToken = lastId !== undefined && this.stopTokenIds.includes(lastId);
    const tokens = stream.tokenCount - (endedOnStopToken ? 1 : 0);
    const finish: FinishReason = signal?.aborted ? 'cancelled' : stream.stoppedByString || endedOnStopToken ? 'stop' : tokens >= decoding.maxTokens ? 'length' : 'stop';
    return { text: stream.text, tokens, finish, firstTokenMs: stream.firstPieceMs, totalMs: performance.now() - started };
  }

  /** The vision encoder's features for prepared image inputs (processor output), e.g. to count the image tokens a prompt needs. */
  async imageFeatures(imageInputs: Record<string, unknown>): Promise<{ dims: readonly number[] }> {
    return (this.model as unknown as { encode_image: (inputs: Record<string, unknown>) => Promise<{ dims: readonly number[] }> }).encode_image(imageInputs);
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.model.dispose();
  }
}

function modelClass(t: Transformers, prep: GenerativePreprocessing) {
  switch (prep.architecture) {
    case 'florence2':
      return t.Florence2ForConditionalGeneration;
    case 'vision-encoder-decoder':
      return t.VisionEncoderDecoderModel;
    case 'idefics3':
      return t.Idefics3ForConditionalGeneration;
    case 'qwen2-vl':
      return t.Qwen2VLForConditionalGeneration;
    case 'llava-onevision':
      return t.LlavaOnevisionForConditionalGeneration;
    case 'blip':
      throw new Error('BLIP is run by generation/blip-captioner.ts (transformers.js has no BLIP class)');
  }
}

/** Ids that end an answer: generation_config's eos_token_id(s) and the catalog's stop_tokens. */
function stopTokens(model: Model, tokenizer: Tokenizer, prep: GenerativePreprocessing): number[] {
  const ids = new Set<number>();
  const configured = (model as { generation_config?: { eos_token_id?: number | number[] | null } }).generation_config?.eos_token_id;
  for (const id of Array.isArray(configured) ? configured : configured == null ? [] : [configured]) ids.add(Number(id));
  for (const token of prep.stop_tokens ?? []) {
    const id = tokenizer.convert_tokens_to_ids(token);
    if (typeof id !== 'number' || Number.isNaN(id)) throw new Error(`stop token ${token} is not in the tokenizer's vocabulary`);
    ids.add(id);
  }
  if (ids.size === 0) throw new Error('the model names no end-of-answer token (generation_config eos_token_id or catalog stop_tokens)');
  return [...ids];
}

/**
 * How many external-data files (`<file>_data`, `<file>_data_1`, …) each session's graph has, by the
 * graph's file name, as transformers.js takes `use_external_data_format`: what the catalog lists
 * (and ensureVerified checked), 0 for the rest. Without it transformers.js goes by config.json's
 * `transformers.js_config.use_external_data_format`, which can name files the catalog's precision
 * does not have (Qwen2-VL's newer config turns external data on for its fp16/fp32 graphs; the q4f16
 * ones have none): it then looks for a file that is not there, and in 4.3.1 that failure escapes
 * as an unhandled rejection instead of a load error. In Node the graphs are opened by path and
 * onnxruntime reads the listed data files beside them itself.
 */
function externalDataChunks(entry: ModelEntry, prep: GenerativePreprocessing): Record<string, number> {
  const listed = new Set(entry.files.map((file) => file.path));
  const chunks: Record<string, number> = {};
  for (const [session, dtype] of Object.entries(prep.sessions)) {
    const graph = sessionFile(session, dtype);
    let count = 0;
    while (listed.has(`${graph}_data${count === 0 ? '' : `_${count}`}`)) count++;
    chunks[path.posix.basename(graph)] = count;
  }
  return chunks;
}

function readChatTemplate(dir: string): string | undefined {
  const file = path.join(dir, 'chat_template.json');
  if (!fs.existsSync(file)) return undefined;
  const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as { chat_template?: unknown };
  if (typeof parsed.chat_template !== 'string') throw new Error(`${file} has no chat_template string`);
  return parsed.chat_template;
}
