import { DEFAULT_DECODING, type DecodingOptions } from '../ask/types.js';
import type { ModelEntry } from '../models/catalog.js';
import { type GenerateRequest, type GenerateResult, GenerativeModel, type GenerativeModelOptions } from './generative-model.js';
import { type PhotoPixels, toRawImage } from './photo-image.js';

export const CAPTION_DETAILS = ['brief', 'detailed'] as const;
export type CaptionDetail = (typeof CAPTION_DETAILS)[number];

export interface CaptionRequest extends Omit<GenerateRequest, 'decoding'> {
  decoding?: Partial<DecodingOptions>;
}

/**
 * Describes a photo with a local captioning model: Florence-2 (its <CAPTION> or
 * <DETAILED_CAPTION> task, as the catalog maps the detail) or a vision-encoder-decoder such as
 * ViT-GPT2 (one kind of caption; the detail does not change it).
 */
export class Captioner {
  private constructor(readonly model: GenerativeModel) {}

  static async load(modelsDir: string, entry: ModelEntry, options: GenerativeModelOptions = {}): Promise<Captioner> {
    if (entry.task !== 'caption') throw new Error(`model ${entry.id} is a ${entry.task} model, not a captioner`);
    return new Captioner(await GenerativeModel.load(modelsDir, entry, options));
  }

  get id(): string {
    return this.model.id;
  }

  /** The long edge a photo should be decoded to for this model (see decodePhoto). */
  get imageLongEdge(): number {
    return this.model.prep.image_long_edge;
  }

  async caption(pixels: PhotoPixels, detail: CaptionDetail, request: CaptionRequest = {}): Promise<GenerateResult> {
    const { processor, prep, transformers } = this.model;
    const image = toRawImage(transformers, pixels);
    const inputs = prep.architecture === 'florence2' ? await processor(image, prep.caption_tasks![detail]) : await processor(image);
    const decoding: DecodingOptions = { ...DEFAULT_DECODING, maxTokens: prep.max_new_tokens, ...request.decoding };
    return this.model.generate(inputs as Record<string, unknown>, { ...request, decoding });
  }

  release(): Promise<void> {
    return this.model.release();
  }
}
