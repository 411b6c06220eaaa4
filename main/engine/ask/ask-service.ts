import { chooseModel, unusableChoice } from '../models/choose-model.js';
import type { Db } from '../db/database.js';
import { UsageError, errorMessage, NotFoundError } from '../errors.js';
import { LocalChatProvider } from '../generation/local-chat.js';
import { ModelSlot } from '../generation/model-slot.js';
import { currentFile } from '../library/current-file.js';
import type { LibraryStore } from '../library-store.js';
import type { Device } from '../runtime/devices.js';
import { type RuntimeReport } from '../runtime/session.js';
import { getSettingValue } from '../settings.js';
import { type Conversation, ConversationStore } from './conversation-store.js';
import { type EndpointConfig, createEndpointProvider, endpointFromEnv } from './openai-endpoint.js';
import { prepareImage } from './prepare-image.js';
import { decodePhoto } from '../generation/photo-image.js';
import { type Answer, DEFAULT_DECODING, type DecodingOptions, type PreparedImage, type VisionChatProvider } from './types.js';

export interface AskDeps {
  db: Db;
  store: LibraryStore;
  modelsDir: string;
  device: () => Device;
  onReport: (report: RuntimeReport) => void;
}

export interface AskOptions {
  /** Continue this conversation (it must be about the same photo); default: a new one. */
  conversationId?: number;
  /** Override the library's ask-provider setting. */
  provider?: 'local' | 'endpoint';
  decoding?: Partial<DecodingOptions>;
  /** The endpoint's API key (the app reads it from the OS keychain); else IRIS_ENDPOINT_API_KEY. */
  apiKey?: string;
  signal?: AbortSignal;
  onToken?: (piece: string) => void;
}

export interface AskStatus {
  provider: 'local' | 'endpoint';
  model: string | null;
  ready: boolean;
  reason: string | null;
  /** The model whose download would make it ready (a window offers a Download button). */
  missingModel: string | null;
  endpointKey: 'app' | 'environment' | 'none';
}

export interface AskResult {
  conversation: Conversation;
  answer: Answer;
}

/**
 * Questions about a photo: picks who answers (the library's ask-provider: a local
 * vision-language model, or an OpenAI-compatible endpoint), sends the photo with the
 * conversation so far, streams the answer and stores both turns with the conversation.
 */
export class AskService {
  readonly conversations: ConversationStore;
  /** The local model in memory (one at a time). */
  private readonly local = new ModelSlot<LocalChatProvider>((provider) => provider.close());
  private endpoint: { key: string; provider: VisionChatProvider } | null = null;

  constructor(private readonly deps: AskDeps) {
    this.conversations = new ConversationStore(deps.db);
  }

  async ask(photoId: number, question: string, options: AskOptions = {}): Promise<AskResult> {
    if (!question.trim()) throw new UsageError('ask a question, e.g. `iris ask 12 "what is in this photo?"`');
    const existing = options.conversationId === undefined ? undefined : this.conversations.get(options.conversationId);
    if (options.conversationId !== undefined && !existing) throw new NotFoundError(`no conversation ${options.conversationId} (\`iris conversations\` lists them)`);
    if (existing && existing.photoId !== photoId) throw new UsageError(`conversation ${existing.id} is about photo ${existing.photoId}, not ${photoId}`);
    const kind = options.provider ?? existing?.provider ?? getSettingValue(this.deps.store, 'ask-provider');
    const history = existing ? this.conversations.history(existing.id) : [];
    const file = await currentFile(this.deps.store, photoId);
    const answerWith = async (provider: VisionChatProvider, image: PreparedImage, maxTokens: number) =>
      provider.answer({
        image,
        history,
        question,
        decoding: { ...DEFAULT_DECODING, maxTokens, ...options.decoding },
        signal: options.signal,
        onToken: options.onToken,
      });
    const answer =
      kind === 'local'
        ? await this.withLocal(async (local) => answerWith(local, await decodedImage(file, local.loaded.prep.image_long_edge), local.loaded.prep.max_new_tokens))
        : await answerWith(this.endpointProvider(options.apiKey), await prepareImage(file, getSettingValue(this.deps.store, 'endpoint-image-edge')), DEFAULT_DECODING.maxTokens);
    const conversation = existing ?? this.conversations.create(photoId, kind, answer.model, question);
    this.conversations.addTurn(conversation.id, question, answer);
    return { conversation: this.conversations.get(conversation.id)!, answer };
  }

  /**
   * Who would answer now and whether it can, without loading anything. `appKey`: the desktop app
   * handed the engine a stored key (it wins over the environment).
   */
  status(appKey: boolean): AskStatus {
    const provider = getSettingValue(this.deps.store, 'ask-provider');
    const endpointKey = appKey ? 'app' : process.env.IRIS_ENDPOINT_API_KEY ? 'environment' : 'none';
    if (provider === 'endpoint') {
      let settings: ReturnType<AskService['endpointSettings']>;
      try {
        settings = this.endpointSettings();
      } catch (error) {
        return { provider, model: null, ready: false, reason: errorMessage(error), missingModel: null, endpointKey };
      }
      const { baseUrl, model } = settings;
      const reason = !baseUrl ? 'no endpoint URL: set one in Settings (endpoint-url)' : !model ? 'no endpoint model: set one in Settings (endpoint-model)' : null;
      return { provider, model: model ?? null, ready: reason === null, reason, missingModel: null, endpointKey };
    }
    const choice = this.localChoice();
    const ready = Boolean(choice.entry && choice.installed);
    return { provider, model: choice.entry?.id ?? null, ready, reason: ready ? null : (choice.reason ?? 'no question-answering model'), missingModel: choice.missing ?? null, endpointKey };
  }

  private endpointSettings(): { baseUrl: string | undefined; model: string | undefined; apiKey: string | undefined } {
    const fromEnv = endpointFromEnv();
    return {
      baseUrl: getSettingValue(this.deps.store, 'endpoint-url') || fromEnv?.baseUrl,
      model: getSettingValue(this.deps.store, 'endpoint-model') || fromEnv?.model,
      apiKey: fromEnv?.apiKey,
    };
  }

  private localChoice(): ReturnType<typeof chooseModel> {
    return chooseModel(this.deps.modelsDir, 'vqa', getSettingValue(this.deps.store, 'ask-model') || undefined);
  }

  private endpointProvider(apiKey: string | undefined): VisionChatProvider {
    const { baseUrl, model, apiKey: envKey } = this.endpointSettings();
    if (!baseUrl || !model) {
      throw new UsageError('no endpoint set up: `iris settings set endpoint-url http://localhost:11434/v1` and `iris settings set endpoint-model <name>` (or IRIS_ENDPOINT_URL / IRIS_ENDPOINT_MODEL); the key comes from IRIS_ENDPOINT_API_KEY');
    }
    return this.endpointFor({ baseUrl, model, apiKey: apiKey ?? process.env.IRIS_ENDPOINT_API_KEY ?? envKey });
  }

  /**
   * One provider per endpoint set-up, kept between questions: it remembers what the server refused
   * (max_tokens, stream_options) so only the first question pays for finding out.
   */
  private endpointFor(config: EndpointConfig): VisionChatProvider {
    const key = JSON.stringify([config.baseUrl, config.model, config.apiKey ?? null]);
    if (this.endpoint?.key !== key) {
      void this.endpoint?.provider.close();
      this.endpoint = { key, provider: createEndpointProvider(config) };
    }
    return this.endpoint.provider;
  }

  /**
   * Runs `work` with the local model loaded, one question at a time: two answers at once would
   * each run at half speed on the same cores and hold two KV caches.
   */
  private withLocal<R>(work: (local: LocalChatProvider) => Promise<R>): Promise<R> {
    const choice = this.localChoice();
    const entry = choice.entry;
    if (!entry || !choice.installed) return Promise.reject(unusableChoice(choice, 'no question-answering model'));
    return this.local.use(entry.id, () => LocalChatProvider.load(this.deps.modelsDir, entry, { device: this.deps.device(), onReport: this.deps.onReport }), work);
  }

  async close(): Promise<void> {
    await this.endpoint?.provider.close();
    this.endpoint = null;
    await this.local.release();
  }
}

/** The photo for a local model: decoded once, as the model's processor takes it. */
async function decodedImage(file: string, longEdge: number): Promise<PreparedImage> {
  const pixels = await decodePhoto(file, longEdge);
  return { mime: 'pixels', pixels, width: pixels.width, height: pixels.height };
}
