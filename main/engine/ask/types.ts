/**
 * What every way of answering a question about a photo shares: the local vision-language models
 * (transformers.js on our onnxruntime-node) and OpenAI-compatible endpoints both implement
 * VisionChatProvider, so the CLI, the engine service and the UI never care which one answers.
 */
import type { PhotoPixels } from '../generation/photo-image.js';

/** One turn of a conversation about one photo. */
export interface ChatMessage {
  role: 'user' | 'assistant';
  text: string;
}

export interface DecodingOptions {
  /** Most new tokens in the answer. */
  maxTokens: number;
  /** 0 = greedy (always the most likely token); above 0 = sampled at that temperature. */
  temperature: number;
  /** Nucleus sampling (only when temperature > 0). */
  topP?: number;
  /** Extra strings that end the answer (the model's own end-of-turn tokens always do). */
  stop?: readonly string[];
}

export const DEFAULT_DECODING: DecodingOptions = { maxTokens: 256, temperature: 0 };

/**
 * The photo as a provider receives it, upright and downscaled: JPEG for an endpoint (it travels as
 * a data URL), or decoded pixels for a model on this machine, which would only decode a JPEG again.
 */
export type PreparedImage = JpegImage | DecodedImage;

export interface JpegImage {
  data: Buffer;
  mime: 'image/jpeg';
  width: number;
  height: number;
}

export interface DecodedImage {
  mime: 'pixels';
  pixels: PhotoPixels;
  width: number;
  height: number;
}

export interface AnswerRequest {
  image: PreparedImage;
  /** Earlier turns, oldest first; every turn sees all of them. */
  history: readonly ChatMessage[];
  question: string;
  decoding: DecodingOptions;
  /** Aborting ends the answer early: the promise resolves with finish 'cancelled' and the text so far. */
  signal?: AbortSignal;
  /** Each new piece of text, in order, as soon as it is whole UTF-8 (never half a character). */
  onToken?: (text: string) => void;
}

export type FinishReason = 'stop' | 'length' | 'cancelled';

export interface Answer {
  text: string;
  finish: FinishReason;
  /** Tokens generated (as counted by the model, or the number of streamed pieces for an endpoint that does not say). */
  tokens: number;
  /** Which model answered ("smolvlm-256m-instruct", or the endpoint's model name). */
  model: string;
  /** Milliseconds from the request to the first streamed piece (null when nothing was streamed). */
  firstTokenMs: number | null;
  totalMs: number;
}

export interface VisionChatProvider {
  readonly kind: 'local' | 'endpoint';
  /** The model name shown to the user and stored with each answer. */
  readonly model: string;
  answer(request: AnswerRequest): Promise<Answer>;
  /** Frees sessions and sockets; the provider is not used afterwards. */
  close(): Promise<void>;
}
