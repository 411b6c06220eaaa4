import { Tokenizer } from '@huggingface/tokenizers';
import fs from 'node:fs';
import path from 'node:path';
import type * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import type { DecodingOptions, FinishReason } from '../ask/types.js';
import { GenerativeCatalogPreprocessingSchema, type GenerativePreprocessing, type ModelEntry, modelFilePath, sessionFile } from '../models/catalog.js';
import { ensureVerified } from '../models/verified.js';
import { pilResize } from '../clip/pil-resample.js';
import { halfToFloat32 } from '../runtime/float16.js';
import type { Provider } from '../runtime/devices.js';
import { createSession, loadOrt, type ModelSession, type RuntimeReport, type ValueInfo } from '../runtime/session.js';
import type { GenerateRequest, GenerateResult, GenerativeModelOptions } from './generative-model.js';
import type { PhotoPixels } from './photo-image.js';
import { TokenTextStream } from './text-stream.js';

/**
 * BLIP captioning (Salesforce/blip-image-captioning-base/-large) with Iris's own generate loop:
 * transformers.js has no BLIP class, and the model is small and regular enough that the loop is
 * clearer written out than bent into another architecture's.
 *
 *   vision_encoder        pixel_values [1, 3, S, S] -> image states [1, tokens, width] (its first output)
 *   decoder_model_merged  input_ids, encoder_hidden_states (cross-attention), and where the graph
 *                         declares them attention_mask, encoder_attention_mask,
 *                         past_key_values.* (its present.* fed back) and use_cache_branch
 *                         -> logits [1, sequence, vocab], present.*
 *
 * The caption continues BLIP's prompt: the ids are [DEC] then "a picture of" (HF's
 * BlipForConditionalGeneration replaces the tokenizer's [CLS] by [DEC] and drops its [SEP]), and
 * the caption is what follows the prompt, up to [SEP]. The first step feeds the whole prompt with
 * an empty cache; each later step feeds one token and the cache. A decoder without cache inputs is
 * fed the whole sequence every step. Which inputs exist is read from the session, not assumed.
 */
export class BlipCaptioner {
  private released = false;

  private constructor(
    readonly entry: ModelEntry,
    readonly prep: GenerativePreprocessing,
    private readonly vision: ModelSession,
    private readonly decoder: ModelSession,
    private readonly tokenizer: Tokenizer,
    private readonly startId: number,
    private readonly stopIds: readonly number[],
    private readonly ort: typeof import('onnxruntime-node'),
  ) {}

  get id(): string {
    return this.entry.id;
  }

  /** Where the model runs (the vision session's provider; the decoder is made on the same one). */
  get provider(): Provider {
    return this.vision.provider;
  }

  /** Set when an explicitly requested device could not be used. */
  get warning(): string | undefined {
    return this.vision.warning;
  }

  get report(): RuntimeReport {
    return this.vision.report();
  }

  static async load(modelsDir: string, entry: ModelEntry, options: GenerativeModelOptions = {}): Promise<BlipCaptioner> {
    const prep = GenerativeCatalogPreprocessingSchema.parse(entry.preprocessing);
    if (prep.architecture !== 'blip' || !prep.blip) throw new Error(`model ${entry.id} is not a BLIP captioner`);
    await ensureVerified(modelsDir, entry);
    const file = (session: string) => {
      const relative = sessionFile(session, prep.sessions[session]!);
      return modelFilePath(modelsDir, entry, entry.files.find((f) => f.path === relative)!);
    };
    const sessionOptions = { device: options.device, intraOpThreads: options.intraOpThreads, strict: options.strict };
    const vision = await createSession(file('vision_encoder'), { ...sessionOptions, label: `${entry.id} vision` });
    // The decoder goes where the vision encoder went (a device that failed once is not tried again).
    const decoder = await createSession(file('decoder_model_merged'), { ...sessionOptions, device: vision.provider, label: `${entry.id} decoder` }).catch(async (error: unknown) => {
      await vision.release();
      throw error;
    });
    options.onReport?.(vision.report());
    const dir = path.join(modelsDir, entry.id);
    const json = (name: string) => (fs.existsSync(path.join(dir, name)) ? (JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as object) : {});
    const tokenizer = new Tokenizer(json('tokenizer.json'), json('tokenizer_config.json'));
    const id = (token: string) => {
      const found = tokenizer.token_to_id(token);
      if (found === undefined) throw new Error(`model ${entry.id}: ${token} is not in its tokenizer`);
      return found;
    };
    const stopIds = (prep.stop_tokens ?? []).map(id);
    if (stopIds.length === 0) throw new Error(`model ${entry.id}: the catalog names no stop token (BLIP ends a caption with [SEP])`);
    return new BlipCaptioner(entry, prep, vision, decoder, tokenizer, id(prep.blip.decoder_start_token), stopIds, await loadOrt());
  }

  /**
   * The photo as the vision encoder takes it: squashed to S×S (BlipImageProcessor: bicubic, no
   * crop), rescaled, normalised, planar. Enlarging goes through the Pillow port (bit-exact with the
   * reference, as for CLIP), shrinking through sharp.
   */
  private async pixelValues(pixels: PhotoPixels): Promise<ort.Tensor> {
    const { image_size: size, image_mean: mean, image_std: std } = this.prep.blip!;
    const target = { width: size, height: size };
    const rgb =
      size > pixels.width || size > pixels.height
        ? pilResize(pixels.data, 3, pixels, target, { left: 0, top: 0, ...target })
        : await sharp(pixels.data, { raw: { width: pixels.width, height: pixels.height, channels: 3 } }).resize({ ...target, fit: 'fill', kernel: 'cubic' }).raw().toBuffer();
    const plane = size * size;
    const out = new Float32Array(3 * plane);
    for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) out[c * plane + i] = (rgb[i * 3 + c]! / 255 - mean[c]!) / std[c]!;
    return new this.ort.Tensor('float32', out, [1, 3, size, size]);
  }

  async caption(pixels: PhotoPixels, request: GenerateRequest): Promise<GenerateResult> {
    if (this.released) throw new Error(`model ${this.id} was released`);
    const started = performance.now();
    const { decoding, signal } = request;
    if (signal?.aborted) return { text: '', tokens: 0, finish: 'cancelled', firstTokenMs: null, totalMs: 0 };
    const visionInput = this.vision.inputs[0]!.name;
    const encoded = await this.vision.run({ [visionInput]: await this.pixelValues(pixels) });
    const states = encoded[this.vision.outputs[0]!.name]!;
    const prompt = [this.startId, ...this.tokenizer.encode(this.prep.blip!.prompt, { add_special_tokens: false }).ids];
    const stream = new TokenTextStream({ decode: (ids) => this.tokenizer.decode(ids, { skip_special_tokens: true }), onText: request.onToken, stop: decoding.stop });
    stream.put([prompt.map(BigInt)]);
    const sequence = [...prompt];
    let past: Record<string, ort.Tensor> | undefined;
    let generated = 0;
    let finish: FinishReason = 'length';
    const cached = this.decoder.inputs.some((input) => input.name.startsWith('past_key_values.'));
    while (generated < decoding.maxTokens) {
      if (signal?.aborted) {
        finish = 'cancelled';
        break;
      }
      const fresh = cached && past ? sequence.slice(-1) : sequence;
      const outputs = await this.decoder.run(this.decoderFeeds(fresh, sequence.length, states, past));
      const next = pickToken(lastRow(outputs.logits ?? outputs[this.decoder.outputs[0]!.name]!), decoding);
      if (cached) past = presentsAsPast(outputs);
      request.onTokenId?.(next);
      if (this.stopIds.includes(next)) {
        finish = 'stop';
        break;
      }
      sequence.push(next);
      generated++;
      stream.put([[BigInt(next)]]);
      if (stream.stoppedByString) {
        finish = 'stop';
        break;
      }
    }
    stream.end();
    if (signal?.aborted) finish = 'cancelled';
    return { text: stream.text, tokens: generated, finish, firstTokenMs: stream.firstPieceMs, totalMs: performance.now() - started };
  }

  /** A tensor for every input the decoder declares; an input Iris does not know is an error naming it. */
  private decoderFeeds(ids: readonly number[], total: number, states: ort.Tensor, past: Record<string, ort.Tensor> | undefined): Record<string, ort.Tensor> {
    const feeds: Record<string, ort.Tensor> = {};
    const ints = (info: ValueInfo, values: readonly number[]) =>
      info.dtype === 'int32' ? new this.ort.Tensor('int32', Int32Array.from(values), [1, values.length]) : new this.ort.Tensor('int64', BigInt64Array.from(values, BigInt), [1, values.length]);
    for (const input of this.decoder.inputs) {
      if (input.name === 'input_ids') feeds[input.name] = ints(input, ids);
      else if (input.name === 'attention_mask') feeds[input.name] = ints(input, new Array<number>(total).fill(1));
      else if (input.name === 'encoder_hidden_states') feeds[input.name] = states;
      else if (input.name === 'encoder_attention_mask') feeds[input.name] = ints(input, new Array<number>(states.dims[1]!).fill(1));
      else if (input.name === 'use_cache_branch') feeds[input.name] = new this.ort.Tensor('bool', Uint8Array.of(past ? 1 : 0), [1]);
      else if (input.name.startsWith('past_key_values.')) feeds[input.name] = past?.[input.name] ?? this.emptyCache(input);
      else throw new Error(`model ${this.id}: the decoder's input ${input.name} is not one Iris knows how to fill`);
    }
    return feeds;
  }

  /** The first step's cache: batch 1, no past positions (the symbolic sequence axis is 0), the graph's head sizes. */
  private emptyCache(input: ValueInfo): ort.Tensor {
    const dims = input.shape.map((dim, axis) => (typeof dim === 'number' ? dim : axis === 0 ? 1 : 0));
    if (dims.filter((dim) => dim === 0).length !== 1) throw new Error(`model ${this.id}: cannot tell the past-sequence axis of ${input.name} [${input.shape.join(', ')}]`);
    return input.dtype === 'float16' ? new this.ort.Tensor('float16', new Uint16Array(0), dims) : new this.ort.Tensor('float32', new Float32Array(0), dims);
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.vision.release();
    await this.decoder.release();
  }
}

/** The logits of the last position of [1, sequence, vocab], as float32. */
function lastRow(logits: ort.Tensor): Float32Array {
  const vocab = logits.dims.at(-1)!;
  const data = logits.type === 'float16' ? halfToFloat32(logits.data as Uint16Array) : (logits.data as Float32Array);
  return data.subarray(data.length - vocab);
}

/** Each present.* output as the next step's past_key_values.* input. */
function presentsAsPast(outputs: Record<string, ort.Tensor>): Record<string, ort.Tensor> {
  const past: Record<string, ort.Tensor> = {};
  for (const [name, tensor] of Object.entries(outputs)) if (name.startsWith('present')) past[name.replace(/^present/, 'past_key_values')] = tensor;
  return past;
}

/** Greedy at temperature 0; else sampled from softmax(logits / temperature), cut to the top-p nucleus. */
function pickToken(logits: Float32Array, decoding: DecodingOptions): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
  if (decoding.temperature <= 0) return best;
  const scaled = Array.from(logits, (logit, id) => ({ id, p: Math.exp((logit - logits[best]!) / decoding.temperature) }));
  const sum = scaled.reduce((total, entry) => total + entry.p, 0);
  scaled.sort((a, b) => b.p - a.p);
  const nucleus: typeof scaled = [];
  let mass = 0;
  for (const entry of scaled) {
    nucleus.push(entry);
    mass += entry.p / sum;
    if (mass >= (decoding.topP ?? 1)) break;
  }
  let draw = Math.random() * nucleus.reduce((total, entry) => total + entry.p, 0);
  for (const entry of nucleus) {
    draw -= entry.p;
    if (draw <= 0) return entry.id;
  }
  return nucleus[0]!.id;
}
