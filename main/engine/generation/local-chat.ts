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

/** Answers questions about a photo with a local vision-language model (SmolVLM, Qwen2-VL). */
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
    const { processor, prep, transformers, chatTemplate } = this.generative;
    const pixels = request.image.mime === 'pixels' ? request.image.pixels : await decodePhoto(request.image.data, prep.image_long_edge);
    const prompt = processor.apply_chat_template(templateMessages(request.history, request.question) as never, {
      add_generation_prompt: true,
      ...(chatTemplate ? { chat_template: chatTemplate } : {}),
    }) as string;
    const inputs = await processor(prompt, [toRawImage(transformers, pixels)]);
    const result = await this.generative.generate(inputs as Record<string, unknown>, { decoding: request.decoding, signal: request.signal, onToken: request.onToken });
    return { text: result.text, finish: result.finish, tokens: result.tokens, model: this.model, firstTokenMs: result.firstTokenMs, totalMs: result.totalMs };
  }

  close(): Promise<void> {
    return this.generative.release();
  }
}
