import { DEFAULT_DECODING, type DecodingOptions } from '../ask/types.js';
import { UsageError } from '../errors.js';
import { GenerativeCatalogPreprocessingSchema, type ModelEntry } from '../models/catalog.js';
import { type GenerateRequest, type GenerateResult, GenerativeModel, type GenerativeModelOptions } from './generative-model.js';
import { type PhotoPixels, toRawImage } from './photo-image.js';
import { BlipCaptioner } from './blip-captioner.js';

export const CAPTION_DETAILS = ['brief', 'detailed'] as const;
export type CaptionDetail = (typeof CAPTION_DETAILS)[number];

export interface CaptionRequest extends Omit<GenerateRequest, 'decoding'> {
  decoding?: Partial<DecodingOptions>;
}

/**
 * Describes a photo with a local captioning model: Florence-2 (its <CAPTION> or
 * <DETAILED_CAPTION> task, as the catalog maps the detail), a vision-encoder-decoder such as
 * ViT-GPT2, or BLIP (Iris's own generate loop, blip-captioner.ts); the last two give one kind of
 * caption, the detail does not change it. A model whose catalog entry declares an OCR task
 * (Florence-2's <OCR>) also reads the text in a photo (readText).
 */
export class Captioner {
  private constructor(readonly model: GenerativeModel | BlipCaptioner) {}

  static async load(modelsDir: string, entry: ModelEntry, options: GenerativeModelOptions = {}): Promise<Captioner> {
    if (entry.task !== 'caption') throw new Error(`model ${entry.id} is a ${entry.task} model, not a captioner`);
    const prep = GenerativeCatalogPreprocessingSchema.safeParse(entry.preprocessing);
    if (prep.success && prep.data.architecture === 'blip') return new Captioner(await BlipCaptioner.load(modelsDir, entry, options));
    return new Captioner(await GenerativeModel.load(modelsDir, entry, options));
  }

  /**
   * The task token that makes `entry` read the text in a photo (its catalog `caption_tasks.ocr`),
   * or a UsageError saying it cannot. Works on the catalog entry alone, so a caller can refuse
   * before loading the model.
   */
  static ocrTask(entry: ModelEntry): string {
    const prep = GenerativeCatalogPreprocessingSchema.safeParse(entry.preprocessing);
    const task = prep.success && prep.data.architecture === 'florence2' ? prep.data.caption_tasks?.ocr : undefined;
    if (!task) throw new UsageError(`model ${entry.id} cannot read text in photos (its catalog entry declares no OCR task; Florence-2 models do)`);
    return task;
  }

  get id(): string {
    return this.model.id;
  }

  /** The long edge a photo should be decoded to for this model (see decodePhoto). */
  get imageLongEdge(): number {
    return this.model.prep.image_long_edge;
  }

  async caption(pixels: PhotoPixels, detail: CaptionDetail, request: CaptionRequest = {}): Promise<GenerateResult> {
    const { prep } = this.model;
    return this.run(pixels, prep.architecture === 'florence2' ? prep.caption_tasks![detail] : undefined, request);
  }

  /**
   * The text written in the photo (signs, documents, labels), as the model reads it: "" when it
   * finds none. Streams, cancels and stops at the token limit as caption() does.
   */
  async readText(pixels: PhotoPixels, request: CaptionRequest = {}): Promise<GenerateResult> {
    return this.run(pixels, Captioner.ocrTask(this.model.entry), request);
  }

  /** Generates for the photo with a Florence-2 task token (undefined: the model takes the image alone). */
  private async run(pixels: PhotoPixels, task: string | undefined, request: CaptionRequest): Promise<GenerateResult> {
    const model = this.model;
    const decoding: DecodingOptions = { ...DEFAULT_DECODING, maxTokens: model.prep.max_new_tokens, ...request.decoding };
    if (model instanceof BlipCaptioner) return model.caption(pixels, { ...request, decoding });
    const image = toRawImage(model.transformers, pixels);
    const inputs = task === undefined ? await model.processor(image) : await model.processor(image, task);
    return model.generate(inputs as Record<string, unknown>, { ...request, decoding });
  }

  release(): Promise<void> {
    return this.model.release();
  }
}
