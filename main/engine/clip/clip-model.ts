import * as ort from 'onnxruntime-node';
import path from 'node:path';
import type { ModelEntry } from '../models/catalog.js';
import { modelFilePath } from '../models/catalog.js';
import { ensureVerified } from '../models/verified.js';
import type { Device } from '../runtime/devices.js';
import { float32ToHalf, halfToFloat32 } from '../runtime/float16.js';
import { type ModelSession, createSession } from '../runtime/session.js';
import { type ClipPreprocessing, parseClipPreprocessing } from './preprocessing.js';
import { ClipTokenizer, type TokenizedBatch } from './tokenize.js';
import { UsageError } from '../errors.js';
import { checkExportConfig, exportConfigFiles } from './export-config.js';

export interface ClipModelOptions {
  device?: Device;
  /** Threads per inference; default: the runtime's choice (see runtime/session.ts). */
  intraOpThreads?: number;
  /** Told of each session made (to record the provider really in use). */
  onSession?: (session: ModelSession) => void;
}

type Tower = 'vision' | 'text';

interface TowerFiles {
  /** The ONNX file's path inside the model folder. */
  file: string;
  /** Input and output names the catalog promises; checked against the session. */
  inputs: string[];
  output: string;
}

/** The input that makes an ONNX file a tower: transformers.js exports' names, then Immich's (open_clip) ones. */
const TOWER_INPUTS: Record<Tower, readonly string[]> = { vision: ['pixel_values', 'image'], text: ['input_ids', 'text'] };
const IMAGE_INPUTS = new Set(TOWER_INPUTS.vision);
const ID_INPUTS = new Set(TOWER_INPUTS.text);

/**
 * Which catalog ONNX file is which tower: the one taking pixel_values (Immich: image) sees, the
 * one taking input_ids (Immich: text) reads. Some exports (Chinese-CLIP) are one graph taking
 * both; then both towers are that file, and each reads its own output (image_embeds,
 * text_embeds). Immich's graphs have one output each, `embedding`.
 */
function towerFiles(model: ModelEntry, tower: Tower): TowerFiles {
  const wanted = TOWER_INPUTS[tower];
  const found = Object.entries(model.io).find(([, io]) => io.inputs.some((input) => wanted.includes(input.name)));
  if (!found) throw new Error(`model ${model.id}: the catalog names no ONNX file with a ${wanted.join(' or ')} input`);
  const [file, io] = found;
  const named = tower === 'vision' ? 'image_embeds' : 'text_embeds';
  const output = io.outputs.find((o) => o.name === named)?.name ?? io.outputs[0]?.name;
  if (!output) throw new Error(`model ${model.id}: the catalog lists no output for ${file}`);
  return { file, inputs: io.inputs.map((input) => input.name), output };
}

/**
 * The batch size a session's graph is fixed to, when its first axis is a number (Immich exports
 * its towers with batch 1); else undefined (any batch). Such a graph is fed one group at a time.
 */
function fixedBatch(session: ModelSession, inputs: ReadonlySet<string>): number | undefined {
  const first = session.inputs.find((input) => inputs.has(input.name))?.shape[0];
  return typeof first === 'number' && first > 0 ? first : undefined;
}

function batches<T>(items: readonly T[], size: number | undefined): T[][] {
  if (!size || size >= items.length) return [[...items]];
  const groups: T[][] = [];
  for (let i = 0; i < items.length; i += size) groups.push(items.slice(i, i + size));
  return groups;
}

/** One L2-normalised copy per row of a [N, dim] matrix. */
function normalisedRows(data: Float32Array, dim: number): Float32Array[] {
  const rows: Float32Array[] = [];
  for (let offset = 0; offset < data.length; offset += dim) {
    const row = data.slice(offset, offset + dim);
    let sum = 0;
    for (let i = 0; i < dim; i++) sum += row[i]! * row[i]!;
    const scale = sum > 0 ? 1 / Math.sqrt(sum) : 0;
    for (let i = 0; i < dim; i++) row[i]! *= scale;
    rows.push(row);
  }
  return rows;
}

function floatTensor(data: Float32Array, dims: readonly number[], dtype: string): ort.Tensor {
  if (dtype === 'float16') return new ort.Tensor('float16', float32ToHalf(data), dims);
  if (dtype !== 'float32') throw new Error(`unsupported image input type ${dtype}`);
  return new ort.Tensor('float32', data, dims);
}

function intTensor(data: BigInt64Array, dims: readonly number[], dtype: string): ort.Tensor {
  if (dtype === 'int32') return new ort.Tensor('int32', Int32Array.from(data, Number), dims);
  if (dtype !== 'int64') throw new Error(`unsupported token input type ${dtype}`);
  return new ort.Tensor('int64', data, dims);
}

function floatsOf(tensor: ort.Tensor): Float32Array {
  if (tensor.type === 'float16') return halfToFloat32(tensor.data as Uint16Array);
  if (tensor.type === 'float32') return tensor.data as Float32Array;
  throw new Error(`unexpected embedding type ${tensor.type}`);
}

/**
 * A CLIP model from the catalog: its image and text towers as onnxruntime sessions, each made on
 * first use (indexing needs only the image tower, a search only the text tower) after its files'
 * sha256 is verified. Embeddings come out L2-normalised, whatever the export does.
 *
 * Input names, dtypes and shapes come from the session itself; the catalog's io is a promise that
 * is checked against them, so a wrong file fails with a message instead of a wrong result.
 */
export class ClipModel {
  readonly prep: ClipPreprocessing;
  /** Sessions by ONNX file (one file may serve both towers). */
  private readonly sessions = new Map<string, Promise<ModelSession>>();
  /** Each tower's session once its files are verified and its io checked. */
  private readonly towers = new Map<Tower, Promise<ModelSession>>();
  private tokenizer: ClipTokenizer | undefined;
  /** One inference at a time per model: a run already uses every core; two would only thrash. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly modelsDir: string,
    readonly entry: ModelEntry,
    private readonly options: ClipModelOptions = {},
  ) {
    if (entry.task !== 'clip') throw new Error(`model ${entry.id} is a ${entry.task} model, not CLIP`);
    this.prep = parseClipPreprocessing(entry.id, entry.preprocessing);
  }

  get id(): string {
    return this.entry.id;
  }

  /**
   * exp(CLIP's learned temperature). When the catalog could not establish it, 100: CLIP's training
   * clamps it at 100 and the released OpenAI and Chinese-CLIP models sit at that clamp.
   */
  get logitScale(): number {
    return this.prep.logit_scale ?? 100;
  }

  /** Width of the embeddings (from the catalog; checked against the first output). */
  get dim(): number | undefined {
    return this.prep.embedding_dim;
  }

  /**
   * The files a tower needs: its ONNX file; for text the tokenizer files (in tokenizer_dir); and
   * the export's own configuration files, which openTower checks against the catalog (Immich's
   * config.json and visual/preprocess_cfg.json, a transformers.js preprocessor_config.json).
   */
  filesFor(tower: Tower): string[] {
    const { file } = towerFiles(this.entry, tower);
    const configs = exportConfigFiles(this.entry, tower);
    if (tower === 'vision') return [file, ...configs];
    const dir = this.prep.tokenizer_dir ? `${this.prep.tokenizer_dir}/` : '';
    const tokenizer = this.entry.files.map((f) => f.path).filter((p) => p.startsWith(dir) && !p.slice(dir.length).includes('/') && /^(tokenizer|special_tokens_map)/.test(p.slice(dir.length)));
    return [file, ...tokenizer, ...configs];
  }

  /** The session of a tower (made once), for callers that want the provider really in use. */
  session(tower: Tower): Promise<ModelSession> {
    let ready = this.towers.get(tower);
    if (!ready) {
      ready = this.openTower(tower);
      this.towers.set(tower, ready);
      // A failed open is not cached: the next call tries again (after `iris models install`).
      ready.catch(() => this.towers.delete(tower));
    }
    return ready;
  }

  /**
   * A tower is ready when its own files (the ONNX file, and for text the tokenizer) match their
   * sha256 and its session has the inputs and output the catalog promises. Checked per tower even
   * when both share one graph, so a search after an index still verifies the tokenizer.
   */
  private async openTower(tower: Tower): Promise<ModelSession> {
    await ensureVerified(this.modelsDir, this.entry, this.filesFor(tower));
    checkExportConfig(path.join(this.modelsDir, this.id), this.entry, this.prep, tower);
    const spec = towerFiles(this.entry, tower);
    const session = await this.fileSession(spec.file, tower);
    const names = session.inputs.map((input) => input.name);
    const missing = spec.inputs.filter((name) => !names.includes(name));
    if (missing.length > 0 || !session.outputs.some((output) => output.name === spec.output)) {
      throw new Error(
        `model ${this.id}: ${spec.file} has inputs [${names.join(', ')}] and outputs [${session.outputs.map((o) => o.name).join(', ')}]; the catalog promises inputs [${spec.inputs.join(', ')}] and output ${spec.output}`,
      );
    }
    return session;
  }

  /** One session per ONNX file, whichever tower asks first (the caller has verified the file). */
  private fileSession(path: string, tower: Tower): Promise<ModelSession> {
    let session = this.sessions.get(path);
    if (!session) {
      const file = this.entry.files.find((f) => f.path === path);
      if (!file) throw new Error(`model ${this.id}: the catalog's io names ${path}, which is not among its files`);
      session = createSession(modelFilePath(this.modelsDir, this.entry, file), {
        device: this.options.device,
        intraOpThreads: this.options.intraOpThreads,
        label: `${this.id} ${tower}`,
      }).then((created) => {
        this.options.onSession?.(created);
        return created;
      });
      this.sessions.set(path, session);
      session.catch(() => this.sessions.delete(path));
    }
    return session;
  }

  private serialised<T>(work: () => Promise<T>): Promise<T> {
    const result = this.queue.then(work, work);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Embeds preprocessed images (each [3, crop, crop] from preprocessImage) in one batch. */
  async embedImages(images: readonly Float32Array[]): Promise<Float32Array[]> {
    if (images.length === 0) return [];
    const crop = this.prep.crop_size;
    const size = 3 * crop * crop;
    images.forEach((image, i) => {
      if (image.length !== size) throw new Error(`image ${i} has ${image.length} values, expected ${size}`);
    });
    const session = await this.session('vision');
    const spec = towerFiles(this.entry, 'vision');
    const embeddings: Float32Array[] = [];
    for (const group of batches(images, fixedBatch(session, IMAGE_INPUTS))) {
      const batch = new Float32Array(group.length * size);
      group.forEach((image, i) => batch.set(image, i * size));
      // A graph holding both towers wants a text too: one minimal text, whose result is ignored.
      const texts = session.inputs.some((input) => ID_INPUTS.has(input.name)) ? this.placeholderText() : undefined;
      const feeds = this.feeds(session, { pixels: batch, count: group.length }, texts);
      const outputs = await this.serialised(() => session.run(feeds));
      embeddings.push(...this.embeddingsFrom(outputs[spec.output]!, group.length));
    }
    return embeddings;
  }

  /** Embeds texts with the model's tokenizer, feeding whichever text inputs the model declares. */
  async embedTexts(texts: readonly string[]): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    const session = await this.session('text');
    const spec = towerFiles(this.entry, 'text');
    this.tokenizer ??= ClipTokenizer.load(path.join(this.modelsDir, this.id), this.prep);
    const embeddings: Float32Array[] = [];
    for (const group of batches(texts, fixedBatch(session, ID_INPUTS))) {
      // A graph holding both towers wants an image too: one blank image, whose result is ignored.
      const pixels = session.inputs.some((input) => IMAGE_INPUTS.has(input.name)) ? { pixels: new Float32Array(3 * this.prep.crop_size ** 2), count: 1 } : undefined;
      const outputs = await this.serialised(() => session.run(this.feeds(session, pixels, this.tokenizer!.batch(group))));
      embeddings.push(...this.embeddingsFrom(outputs[spec.output]!, group.length));
    }
    return embeddings;
  }

  /** [bos, eos] padded: the smallest valid text, built without the tokenizer. */
  private placeholderText(): TokenizedBatch {
    const length = this.prep.context_length;
    const inputIds = new BigInt64Array(length).fill(BigInt(this.prep.pad_token_id));
    inputIds[0] = BigInt(this.prep.bos_token_id);
    inputIds[1] = BigInt(this.prep.eos_token_id);
    const attentionMask = new BigInt64Array(length);
    attentionMask[0] = 1n;
    attentionMask[1] = 1n;
    return { inputIds, attentionMask, dims: [1, length] };
  }

  /** A tensor for every input the session declares, in the dtype it declares; an unknown input is an error. */
  private feeds(session: ModelSession, images: { pixels: Float32Array; count: number } | undefined, tokens: TokenizedBatch | undefined): Record<string, ort.Tensor> {
    const feeds: Record<string, ort.Tensor> = {};
    const crop = this.prep.crop_size;
    for (const input of session.inputs) {
      const dtype = String(input.dtype);
      if (IMAGE_INPUTS.has(input.name) && images) feeds[input.name] = floatTensor(images.pixels, [images.count, 3, crop, crop], dtype);
      else if (ID_INPUTS.has(input.name) && tokens) feeds[input.name] = intTensor(tokens.inputIds, tokens.dims, dtype);
      else if (input.name === 'attention_mask' && tokens) feeds[input.name] = intTensor(tokens.attentionMask, tokens.dims, dtype);
      else if (input.name === 'token_type_ids' && tokens) feeds[input.name] = intTensor(new BigInt64Array(tokens.inputIds.length), tokens.dims, dtype);
      else if (input.name === 'position_ids' && tokens) {
        const positions = BigInt64Array.from({ length: tokens.inputIds.length }, (_, i) => BigInt(i % tokens.dims[1]));
        feeds[input.name] = intTensor(positions, tokens.dims, dtype);
      } else throw new Error(`model ${this.id}: input ${input.name} is not one Iris knows how to fill`);
    }
    return feeds;
  }

  private embeddingsFrom(tensor: ort.Tensor, count: number): Float32Array[] {
    const dim = tensor.dims[tensor.dims.length - 1]!;
    if (tensor.dims.length !== 2 || tensor.dims[0] !== count) throw new Error(`model ${this.id}: embeddings have shape [${tensor.dims.join(', ')}], expected [${count}, dim]`);
    if (this.dim !== undefined && dim !== this.dim) throw new Error(`model ${this.id}: embeddings are ${dim} wide; the catalog says ${this.dim}`);
    return normalisedRows(floatsOf(tensor), dim);
  }

  /**
   * Zero-shot probabilities, as the model was trained to give them: CLIP's softmax over labels of
   * logit_scale × cosine, or SigLIP's independent sigmoid(logit_scale × cosine + logit_bias).
   * A sigmoid model whose learned scale and bias the catalog has not established cannot give
   * probabilities (any made-up bias would be a made-up number): it says so.
   */
  zeroShot(image: Float32Array, labelEmbeddings: readonly Float32Array[]): number[] {
    const cosines = labelEmbeddings.map((label) => {
      let dot = 0;
      for (let i = 0; i < label.length; i++) dot += label[i]! * image[i]!;
      return dot;
    });
    if (this.prep.zero_shot === 'sigmoid') {
      const { logit_scale: scale, logit_bias: bias } = this.prep;
      if (scale == null || bias == null) throw new UsageError(`${this.entry.title} scores labels with a learned scale and bias that the catalog has not established: zero-shot probabilities need them (search, similar photos and duplicates do not)`);
      return cosines.map((cosine) => 1 / (1 + Math.exp(-(scale * cosine + bias))));
    }
    const logits = cosines.map((cosine) => this.logitScale * cosine);
    const max = Math.max(...logits);
    const exps = logits.map((logit) => Math.exp(logit - max));
    const sum = exps.reduce((a, b) => a + b, 0);
    return exps.map((e) => e / sum);
  }

  async release(): Promise<void> {
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    this.towers.clear();
    for (const session of sessions) await (await session.catch(() => undefined))?.release();
  }
}
