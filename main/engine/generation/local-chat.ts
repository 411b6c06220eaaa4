import type { Answer, AnswerRequest, ChatMessage, VisionChatProvider } from '../ask/types.js';
import type { ModelEntry } from '../models/catalog.js';
import { GenerativeModel, type GenerativeModelOptions } from './generative-model.js';
import { decodePhoto, toRawImage } from './photo-image.js';

type ContentPart = { type: 'image' } | { type: 'text'; text: string };
interface TemplateMessage {
  role: 'user' | 'assistant';
  content: ContentPart[];
}

/**
 * The conversation in the chat-template shape the vision-language models expect: the image once,
 * at the start of the first user turn, then every turn as text. Questions and answers pass through
 * untouched (a Chinese question reaches the model as typed).
 */
export function templateMessages(history: readonly ChatMessage[], question: string): TemplateMessage[] {
  const turns: ChatMessage[] = [...history, { role: 'user', text: question }];
  const firstUser = turns.findIndex((turn) => turn.role === 'user');
  return turns.map((turn, i) => ({
    role: turn.role,
    content: i === firstUser ? [{ type: 'image' }, { type: 'text', text: turn.text }] : [{ type: 'text', text: turn.text }],
  }));
}

/** Answers questions about a photo with a local vision-language model (SmolVLM, Qwen2-VL, LLaVA-OneVision). */
export class LocalChatProvider implements VisionChatProvider {
  readonly kind = 'local' as const;

  private constructor(private readonly generative: GenerativeModel) {}

  static async load(modelsDir: string, entry: ModelEntry, options: GenerativeModelOptions = {}): Promise<LocalChatProvider> {
    if (entry.task !== 'vqa') throw new Error(`model ${entry.id} is a ${entry.task} model, not a vision-language model`);
    return new LocalChatProvider(await GenerativeModel.load(modelsDir, entry, options));
  }

  get model(): string {
    return this.generative.id;
  }

  get loaded(): GenerativeModel {
    return this.generative;
  }

  async answer(request: AnswerRequest): Promise<Answer> {
    const { prep, transformers } = this.generative;
    const pixels = request.image.mime === 'pixels' ? request.image.pixels : await decodePhoto(request.image.data, prep.image_long_edge);
    const image = toRawImage(transformers, pixels);
    const messages = templateMessages(request.history, request.question);
    const { inputs, imageFeatures } = prep.architecture === 'llava-onevision' ? await this.llavaInputs(messages, image) : { inputs: await this.processorInputs(messages, image), imageFeatures: undefined };
    const result = await this.generative.generate(inputs, { decoding: request.decoding, signal: request.signal, onToken: request.onToken, imageFeatures });
    return { text: result.text, finish: result.finish, tokens: result.tokens, model: this.model, firstTokenMs: result.firstTokenMs, totalMs: result.totalMs };
  }

  /** SmolVLM, Qwen2-VL: their processor renders the chat template and expands the image tokens itself. */
  private async processorInputs(messages: TemplateMessage[], image: unknown): Promise<Record<string, unknown>> {
    const { processor, chatTemplate } = this.generative;
    const prompt = processor.apply_chat_template(messages as never, { add_generation_prompt: true, ...(chatTemplate ? { chat_template: chatTemplate } : {}) }) as string;
    return (await processor(prompt, [image])) as Record<string, unknown>;
  }

  /**
   * LLaVA-OneVision: transformers.js has its model but no processor for it (only the image
   * processor, one square view: no anyres tiling in 4.3.1), so the prompt's one image token is
   * repeated here once per feature the vision encoder gives, which the model requires. The
   * encoder runs once: its features are handed to generate() (GenerateRequest.imageFeatures).
   */
  private async llavaInputs(messages: TemplateMessage[], image: unknown): Promise<{ inputs: Record<string, unknown>; imageFeatures: unknown }> {
    const { processor, tokenizer, chatTemplate, prep } = this.generative;
    const prompt = tokenizer.apply_chat_template(messages as never, { add_generation_prompt: true, tokenize: false, ...(chatTemplate ? { chat_template: chatTemplate } : {}) }) as string;
    const vision = (await (processor as unknown as (image: unknown) => Promise<Record<string, unknown>>)(image)) as Record<string, unknown>;
    const features = await this.generative.imageFeatures(vision);
    const count = features.dims.slice(0, -1).reduce((a, b) => a * b, 1);
    const token = prep.image_token!;
    const expanded = prompt.replace(token, token.repeat(count));
    const text = tokenizer(expanded, { add_special_tokens: false }) as Record<string, unknown>;
    return { inputs: { ...text, ...vision }, imageFeatures: features };
  }

  close(): Promise<void> {
    return this.generative.release();
  }
}
