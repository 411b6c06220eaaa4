import type { RefusedParameter } from './endpoint-errors.js';
import type { AnswerRequest, ChatMessage } from './types.js';

/**
 * The chat-completions request for a question about a photo: worded as most servers accept it, and
 * reworded where a server refused part of it (see Refusals).
 */

/** An image or text piece of a user turn, as chat-completions expects it. */
export type ContentPart = { type: 'image_url'; image_url: { url: string } } | { type: 'text'; text: string };

/** The JSON body Iris posts to `/chat/completions` (exported so tests can read recorded requests typed). */
export interface ChatCompletionRequestBody {
  model: string;
  stream: true;
  /** Absent for servers that refuse it; the answer's tokens are then counted as streamed pieces. */
  stream_options?: { include_usage: true };
  /** Exactly one of max_tokens and max_completion_tokens is sent (see Refusals). */
  max_tokens?: number;
  max_completion_tokens?: number;
  temperature: number;
  top_p?: number;
  stop?: string[];
  messages: { role: ChatMessage['role']; content: string | ContentPart[] }[];
}

/**
 * The parameters a provider's server has refused so far (EndpointError.refusedParameter); each has
 * another way to ask, which every later request of that provider uses:
 * - max_tokens: every OpenAI-compatible server knows it, but OpenAI's reasoning models (o1, o3,
 *   GPT-5) refuse it and want max_completion_tokens, which older local servers do not know.
 * - stream_options: include_usage gives the true token count; some servers and proxies refuse the
 *   field, and then the answer's tokens are counted as streamed pieces.
 * It only ever grows, so each rewording happens at most once.
 */
export type Refusals = ReadonlySet<RefusedParameter>;

export function chatCompletionBody(model: string, request: AnswerRequest, refused: Refusals): ChatCompletionRequestBody {
  const turns: ChatMessage[] = [...request.history, { role: 'user', text: request.question }];
  // The photo goes with the first user turn, so the model sees it once, where the conversation began.
  const imageAt = turns[0]?.role === 'user' ? 0 : turns.length - 1;
  // Decoded pixels are for local models; the ask service sends an endpoint JPEG.
  if (request.image.mime !== 'image/jpeg') throw new Error('an endpoint takes the photo as JPEG (prepareImage), not decoded pixels');
  const imageUrl = `data:${request.image.mime};base64,${request.image.data.toString('base64')}`;
  const { maxTokens, temperature, topP, stop } = request.decoding;
  return {
    model,
    stream: true,
    ...(refused.has('stream_options') ? {} : { stream_options: { include_usage: true } }),
    [refused.has('max_tokens') ? 'max_completion_tokens' : 'max_tokens']: maxTokens,
    temperature,
    ...(temperature > 0 && topP !== undefined ? { top_p: topP } : {}),
    ...(stop && stop.length > 0 ? { stop: [...stop] } : {}),
    messages: turns.map((turn, index) =>
      index === imageAt
        ? { role: 'user', content: [{ type: 'image_url', image_url: { url: imageUrl } }, { type: 'text', text: turn.text }] }
        : { role: turn.role, content: turn.text },
    ),
  };
}
