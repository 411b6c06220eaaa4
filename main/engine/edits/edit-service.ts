import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { type DiffusionPipeline as Pipeline, DiffusionPipeline, type StepProgress } from '../diffusion/pipeline.js';
import { cannyRgb, edgeMapToControlImage, edgeMapToPng } from '../diffusion/canny.js';
import { PromptTokenizer } from '../diffusion/prompt.js';
import { createSeededVaeEncoder } from '../diffusion/seeded-vae.js';
import { decodePhotoAt } from '../generation/photo-image.js';
import { NotFoundError, UsageError } from '../errors.js';
import { currentFile } from '../library/current-file.js';
import type { LibraryStore } from '../library-store.js';
import { modelFilePath, type ModelEntry } from '../models/catalog.js';
import { ensureVerified } from '../models/verified.js';
import type { Device } from '../runtime/devices.js';
import { type ModelSession, type RuntimeReport, createSession, loadOrt } from '../runtime/session.js';
import { getSettingValue } from '../settings.js';
import { type DiffusionChoice, chooseDiffusionModels } from './diffusion-models.js';
import { EDIT_DEFAULTS, type EditMode, type EditParams, defaultSize, parseEditParams } from './edit-params.js';
import type { Edit, EditStore } from './edit-store.js';
import { withEditParameters } from './png-parameters.js';
import { type ClaimedOutput, claimOutput, publishOutput } from './edit-output.js';

/** What a person asks for; everything left out takes the mode's default (see EDIT_DEFAULTS). */
export interface EditInput {
  mode: EditMode;
  /** The photo to edit (not for txt2img). */
  photoId?: number;
  prompt: string;
  negative?: string;
  model?: string;
  controlnet?: string;
  scheduler?: string;
  seed?: number;
  steps?: number;
  guidance?: number;
  strength?: number;
  imageGuidance?: number;
  conditioningScale?: number;
  low?: number;
  high?: number;
  width?: number;
  height?: number;
}

export interface EditRunOptions {
  onStep?: (progress: StepProgress) => void;
  previewEvery?: number;
  signal?: AbortSignal;
  /** Write here instead of the output folder (a new file: refused if it exists). */
  outFile?: string;
}

export type EditOutcome = { cancelled: true; stepsRun: number } | { cancelled: false; edit: Edit };

export interface EditDeps {
  store: LibraryStore;
  edits: EditStore;
  modelsDir: string;
  device: () => Device;
  onReport: (report: RuntimeReport) => void;
  /** Adds a written file to the library when a library folder or the output folder holds it (Engine.addWrittenFile); returns its photo id. */
  addToLibrary: (file: string, outputFolder: string) => Promise<number | null>;
}

/**
 * Edits and generations: turns what a person asked for into full parameters (defaults, the photo's
 * aspect, a random seed when none is given), runs the diffusion pipeline on the right models, writes
 * the result as a new PNG (never over anything), adds it to the library and stores every parameter
 * so `repeat` makes the same image. One pipeline's sessions stay loaded until `release()` or a run
 * on other models.
 */
/** Sessions are let go after this long without an edit: SD holds 2-4 GB, and edits come in bursts. */
const IDLE_RELEASE_MS = 5 * 60_000;

export class EditService {
  private loaded: { key: string; pipeline: Pipeline; sessions: ModelSession[] } | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private running = 0;
  /** Runs go one at a time: two would need two pipelines' memory, and switching models releases the other's sessions. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: EditDeps) {}

  /** The full parameters for `input`, checked (the size follows the photo's aspect unless given). */
  resolve(input: EditInput): { params: EditParams; choice: DiffusionChoice } {
    if (input.mode !== 'txt2img' && input.photoId === undefined) throw new UsageError(`${input.mode} edits a photo: give one`);
    if (input.mode === 'txt2img' && input.photoId !== undefined) throw new UsageError('txt2img makes a new image from the prompt alone: use img2img, canny or instruct to edit a photo');
    const choice = chooseDiffusionModels(this.deps.modelsDir, input.mode, { model: input.model, controlnet: input.controlnet });
    const photo = input.photoId === undefined ? undefined : this.deps.store.requirePhoto(input.photoId);
    const size = defaultSize(choice.prep.default_size, photo?.width && photo.height ? { width: photo.width, height: photo.height } : undefined);
    const params = parseEditParams({
      mode: input.mode,
      model: choice.entry.id,
      controlnet: choice.controlnet?.entry.id ?? null,
      scheduler: input.scheduler ?? EDIT_DEFAULTS.scheduler,
      seed: input.seed ?? Math.floor(Math.random() * 0x1_0000_0000),
      steps: input.steps ?? EDIT_DEFAULTS.steps,
      guidance: input.guidance ?? EDIT_DEFAULTS.guidance,
      strength: input.strength ?? EDIT_DEFAULTS.strength,
      image_guidance: input.imageGuidance ?? EDIT_DEFAULTS.image_guidance,
      conditioning_scale: input.conditioningScale ?? EDIT_DEFAULTS.conditioning_scale,
      canny_low: input.low ?? EDIT_DEFAULTS.canny_low,
      canny_high: input.high ?? EDIT_DEFAULTS.canny_high,
      prompt: input.prompt,
      negative: input.negative ?? EDIT_DEFAULTS.negative,
      width: input.width ?? size.width,
      height: input.height ?? size.height,
    });
    if (params.mode === 'img2img' && Math.trunc(params.steps * params.strength) < 1) {
      throw new UsageError(`strength ${params.strength} of ${params.steps} steps leaves no step to run: raise the strength or the steps`);
    }
    return { params, choice };
  }

  /** Runs an edit from what a person asked for. */
  run(input: EditInput, options: EditRunOptions = {}): Promise<EditOutcome> {
    const { params, choice } = this.resolve(input);
    return this.runParams(params, input.photoId ?? null, choice, options);
  }

  /** Runs a stored edit again with exactly its parameters (same seed: the same image on the same machine and provider). */
  repeat(editId: number, options: EditRunOptions = {}): Promise<EditOutcome> {
    const edit = this.deps.edits.get(editId);
    if (!edit) throw new NotFoundError(`no edit ${editId} (\`iris edits\` lists them)`);
    if (edit.params.mode !== 'txt2img' && edit.sourcePhotoId === null) throw new UsageError(`edit ${editId} was made from a photo the library no longer has`);
    const choice = chooseDiffusionModels(this.deps.modelsDir, edit.params.mode, { model: edit.params.model, controlnet: edit.params.controlnet ?? undefined });
    return this.runParams(edit.params, edit.sourcePhotoId, choice, options);
  }

  /** The edge map a canny edit would use, as a PNG (shown before generating). */
  async edges(photoId: number, params: Pick<EditParams, 'width' | 'height' | 'canny_low' | 'canny_high'>): Promise<Buffer> {
    const rgb = await this.decode(photoId, params.width, params.height);
    const edges = cannyRgb(rgb, params.width, params.height, { low: params.canny_low, high: params.canny_high });
    return edgeMapToPng(edges, params.width, params.height);
  }

  private async runParams(params: EditParams, sourcePhotoId: number | null, choice: DiffusionChoice, options: EditRunOptions): Promise<EditOutcome> {
    this.running++;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    const turn = this.queue.then(() => this.runLoaded(params, sourcePhotoId, choice, options));
    this.queue = turn.catch(() => undefined);
    try {
      return await turn;
    } finally {
      if (--this.running === 0) {
        this.idleTimer = setTimeout(() => void this.release(), IDLE_RELEASE_MS);
        this.idleTimer.unref();
      }
    }
  }

  private async runLoaded(params: EditParams, sourcePhotoId: number | null, choice: DiffusionChoice, options: EditRunOptions): Promise<EditOutcome> {
    const started = performance.now();
    const pipeline = await this.pipeline(choice);
    let image: Float32Array | undefined;
    let control: Float32Array | undefined;
    if (sourcePhotoId !== null) {
      const rgb = await this.decode(sourcePhotoId, params.width, params.height);
      if (params.mode === 'canny') control = edgeMapToControlImage(cannyRgb(rgb, params.width, params.height, { low: params.canny_low, high: params.canny_high }), params.width, params.height);
      else image = toModelImage(rgb, params.width, params.height);
    }
    const result = await pipeline.run({ params, image, control, onStep: options.onStep, previewEvery: options.previewEvery, signal: options.signal });
    if (!result.image) return { cancelled: true, stepsRun: result.stepsRun };
    // Hidden temporary first, then the record, then the final name (edit-output.ts): a kill leaves
    // neither a truncated PNG nor a PNG without its record.
    const output = this.claim(await this.encode(result.image, params), params, sourcePhotoId, options.outFile);
    const edit = this.deps.edits.add({ sourcePhotoId, params, outputPath: output.final, durationMs: performance.now() - started });
    publishOutput(output);
    const file = output.final;
    const photoId = await this.deps.addToLibrary(file, this.outputFolder());
    if (photoId !== null) this.deps.edits.linkOutput(edit.id, photoId);
    return { cancelled: false, edit: this.deps.edits.get(edit.id)! };
  }

  /** The photo, upright, at the generation size (decodePhotoAt: the decoding canny's reference needs too). */
  private async decode(photoId: number, width: number, height: number): Promise<Uint8Array> {
    const { data } = await decodePhotoAt(await currentFile(this.deps.store, photoId), width, height);
    return new Uint8Array(data.buffer, data.byteOffset, data.length);
  }

  /** The PNG of a result, with its settings in text chunks (png-parameters.ts), so they survive the file leaving the library. */
  private async encode(image: Float32Array, params: EditParams): Promise<Buffer> {
    const { width, height } = params;
    const plane = width * height;
    const rgb = Buffer.alloc(plane * 3);
    for (let p = 0; p < plane; p++) for (let c = 0; c < 3; c++) rgb[p * 3 + c] = Math.max(0, Math.min(255, Math.round((image[c * plane + p]! + 1) * 127.5)));
    return withEditParameters(await sharp(rgb, { raw: { width, height, channels: 3 } }).png().toBuffer(), params);
  }

  /** A new file's temporary in the output folder (or at `outFile`), never over an existing file (edit-output.ts). */
  private claim(png: Buffer, params: EditParams, sourcePhotoId: number | null, outFile: string | undefined): ClaimedOutput {
    if (outFile) {
      const target = path.resolve(outFile);
      return claimOutput(png, path.dirname(target), () => path.basename(target), true);
    }
    const source = sourcePhotoId === null ? 'generated' : path.parse(this.deps.store.locationsOf(sourcePhotoId)[0]?.path ?? 'photo').name;
    return claimOutput(png, this.outputFolder(), (n) => `${source}-${params.mode}-${params.seed}${n > 1 ? `-${n}` : ''}.png`);
  }

  outputFolder(): string {
    return getSettingValue(this.deps.store, 'output-folder') || path.join(os.homedir(), 'Pictures', 'Iris');
  }

  private async pipeline(choice: DiffusionChoice): Promise<Pipeline> {
    const key = `${choice.entry.id}+${choice.controlnet?.entry.id ?? ''}`;
    if (this.loaded?.key === key) return this.loaded.pipeline;
    await this.release();
    const { modelsDir } = this.deps;
    await ensureVerified(modelsDir, choice.entry);
    if (choice.controlnet) await ensureVerified(modelsDir, choice.controlnet.entry);
    const ort = await loadOrt();
    const sessions: ModelSession[] = [];
    const lazy = (entry: ModelEntry, file: string, label: string, create: typeof createSession = createSession) => {
      let session: Promise<ModelSession> | undefined;
      return () => {
        session ??= create(modelFile(modelsDir, entry, file), { device: this.deps.device(), label }).then((created) => {
          sessions.push(created);
          this.deps.onReport(created.report());
          return created;
        });
        return session;
      };
    };
    const files = choice.prep.sessions;
    const pipeline = new DiffusionPipeline(ort, choice.prep, PromptTokenizer.load(path.join(modelsDir, choice.entry.id), choice.prep.tokenizer), {
      textEncoder: lazy(choice.entry, files.text_encoder, `${choice.entry.id} text encoder`),
      unet: lazy(choice.entry, files.unet, `${choice.entry.id} unet`),
      vaeEncoder: lazy(choice.entry, files.vae_encoder, `${choice.entry.id} vae encoder`, createSeededVaeEncoder),
      vaeDecoder: lazy(choice.entry, files.vae_decoder, `${choice.entry.id} vae decoder`),
      controlnet: choice.controlnet ? lazy(choice.controlnet.entry, choice.controlnet.prep.session, `${choice.controlnet.entry.id}`) : async () => null,
    });
    this.loaded = { key, pipeline, sessions };
    return pipeline;
  }

  /** Frees the sessions (memory goes back at once: SD's UNet alone is 1.7-3.4 GB). */
  async release(): Promise<void> {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    const loaded = this.loaded;
    this.loaded = null;
    for (const session of loaded?.sessions ?? []) await session.release();
  }
}

function modelFile(modelsDir: string, entry: ModelEntry, file: string): string {
  const listed = entry.files.find((candidate) => candidate.path === file);
  if (!listed) throw new Error(`${entry.id}: ${file} is not among the catalog's files`);
  return modelFilePath(modelsDir, entry, listed);
}

/** RGB bytes to the VAE's input: [1, 3, H, W] in -1..1. */
function toModelImage(rgb: Uint8Array, width: number, height: number): Float32Array {
  const plane = width * height;
  const out = new Float32Array(plane * 3);
  for (let p = 0; p < plane; p++) for (let c = 0; c < 3; c++) out[c * plane + p] = rgb[p * 3 + c]! / 127.5 - 1;
  return out;
}
