import { type Endpoint, type EndpointConfig, resolveEndpoint } from './endpoint-config.js';
import { EndpointError, finalError, httpError, type RefusedParameter, transportError } from './endpoint-errors.js';
import { chatCompletionBody, type Refusals } from './endpoint-request.js';
import { type CompletedFinish, readAnswer, type Sink } from './endpoint-stream.js';
import { follow, IdleTimer, sleep } from './endpoint-timing.js';
import type { Answer, AnswerRequest, FinishReason, VisionChatProvider } from './types.js';

/**
 * Asking a photo through any server that speaks OpenAI's chat-completions protocol with images:
 * OpenAI, OpenRouter, LM Studio, Ollama, vLLM, llama.cpp's server. The answer is streamed (SSE);
 * a server that ignores `stream: true` and sends one JSON completion works too.
 *
 * Failures are EndpointErrors whose messages tell the user what happened and what to do. Transient
 * ones are retried with backoff, but only while nothing has reached `onToken`: once the user has seen
 * part of an answer, asking again would show them a different one, so the error is thrown instead.
 * A server that refuses a parameter Iris can word another way (max_tokens, stream_options) is asked
 * again at once in that other way, which the provider then keeps using (see Refusals).
 *
 * This file is the provider: attempts, retries, timeouts and cancelling. The rest is in
 * endpoint-config (the config), endpoint-request (the request body), endpoint-stream (reading the
 * answer), endpoint-errors (what failed, in words) and endpoint-timing (timers and abort signals).
 */

// The public names, wherever they live, so importers need only this module.
export { endpointFromEnv, type EndpointConfig } from './endpoint-config.js';
export { EndpointError } from './endpoint-errors.js';
export type { ChatCompletionRequestBody, ContentPart } from './endpoint-request.js';

const MAX_BACKOFF_MS = 8_000;
/** A server asking for a longer pause than this gets an error the user can act on, not a frozen spinner. */
const MAX_RETRY_AFTER_MS = 30_000;

export function createEndpointProvider(config: EndpointConfig): VisionChatProvider {
  const endpoint = resolveEndpoint(config);
  // Aborted by close(): answers in flight end as 'cancelled', and their sockets are released.
  const closing = new AbortController();
  // What this server has refused so far; shared by every answer of this provider, and only ever added to.
  const refusals = new Set<RefusedParameter>();
  return {
    kind: 'endpoint',
    model: endpoint.model,
    answer: (request) => {
      if (closing.signal.aborted) return Promise.reject(new Error(`the endpoint provider for ${endpoint.host} was closed`));
      return answerWithRetries(endpoint, refusals, request, closing.signal);
    },
    close: async () => closing.abort(),
  };
}

/** What has reached the user so far, across attempts (there is never more than one attempt that streamed). */
interface Progress {
  text: string;
  pieces: number;
  firstTokenMs: number | null;
  usageTokens: number | null;
}

async function answerWithRetries(endpoint: Endpoint, refusals: Set<RefusedParameter>, request: AnswerRequest, closing: AbortSignal): Promise<Answer> {
  const started = performance.now();
  const stop = new AbortController();
  const unfollow = [follow(request.signal, stop), follow(closing, stop)];
  const progress: Progress = { text: '', pieces: 0, firstTokenMs: null, usageTokens: null };
  const sink: Sink = {
    token(text) {
      // Pieces already received when the user cancelled are not shown, so they are not in the answer either.
      if (stop.signal.aborted) return;
      progress.text += text;
      progress.pieces++;
      progress.firstTokenMs ??= Math.round(performance.now() - started);
      request.onToken?.(text);
    },
    usage(completionTokens) {
      progress.usageTokens = completionTokens;
    },
  };
  const finished = (finish: FinishReason): Answer => ({
    text: progress.text,
    finish,
    tokens: progress.usageTokens ?? progress.pieces,
    model: endpoint.model,
    firstTokenMs: progress.firstTokenMs,
    totalMs: Math.round(performance.now() - started),
  });
  try {
    if (stop.signal.aborted) return finished('cancelled');
    // What this answer's requests avoid: a snapshot, as another answer may add to `refusals` meanwhile.
    let avoided: Refusals = new Set(refusals);
    let body = JSON.stringify(chatCompletionBody(endpoint.model, request, avoided));
    // Counts the attempts that backoff retries make; a reworded request is not one of them.
    let attempt = 1;
    for (;;) {
      try {
        const finish = await attemptOnce(endpoint, body, stop.signal, sink);
        // A cancel while the last chunk was handled: the answer may be complete, but the user stopped it.
        return finished(stop.signal.aborted ? 'cancelled' : finish);
      } catch (error) {
        // Anything else (an onToken that threw) is the caller's own, passed on untouched.
        if (!(error instanceof EndpointError)) throw error;
        if (stop.signal.aborted) return finished('cancelled');
        const refused = error.refusedParameter;
        // Only before the first piece, and only once per parameter: `avoided` grows with each rewording.
        if (refused !== undefined && !avoided.has(refused) && progress.pieces === 0) {
          refusals.add(refused);
          avoided = new Set(refusals);
          body = JSON.stringify(chatCompletionBody(endpoint.model, request, avoided));
          continue;
        }
        const delay = retryDelayMs(endpoint, error, attempt, progress);
        if (delay === undefined) throw finalError(endpoint, error, attempt);
        if (!(await sleep(delay, stop.signal))) return finished('cancelled');
        attempt++;
      }
    }
  } finally {
    for (const undo of unfollow) undo();
  }
}

/** The wait before the next attempt, or undefined when asking again is not safe or not worth it. */
function retryDelayMs(endpoint: Endpoint, error: EndpointError, attempt: number, progress: Progress): number | undefined {
  if (!error.retryable || progress.pieces > 0 || attempt > endpoint.maxRetries) return undefined;
  if (error.retryAfterMs !== undefined) return error.retryAfterMs <= MAX_RETRY_AFTER_MS ? error.retryAfterMs : undefined;
  // "Equal jitter": at least half the exponential step, so clients that failed together spread out.
  const step = Math.min(MAX_BACKOFF_MS, endpoint.retryBaseMs * 2 ** (attempt - 1));
  return step / 2 + (Math.random() * step) / 2;
}

/** One request and its response, start to end. Throws EndpointError; the caller decides about retrying. */
async function attemptOnce(endpoint: Endpoint, body: string, stop: AbortSignal, sink: Sink): Promise<CompletedFinish> {
  const abort = new AbortController();
  const unfollow = follow(stop, abort);
  const idle = new IdleTimer(endpoint.timeoutMs, () => abort.abort());
  try {
    const response = await endpoint
      .fetch(endpoint.url, { method: 'POST', headers: endpoint.headers, body, signal: abort.signal })
      .catch((error: unknown) => {
        throw transportError(endpoint, error, idle.fired, 'connecting');
      });
    idle.reset();
    const chunks = bodyChunks(endpoint, response, idle);
    if (!response.ok) throw await httpError(endpoint, response, chunks);
    return await readAnswer(endpoint, response.headers.get('content-type'), chunks, sink);
  } finally {
    idle.stop();
    unfollow();
    // Releases the socket if we stopped reading early ([DONE] seen, an error, onToken threw).
    abort.abort();
  }
}

/** The response body as it arrives; every chunk resets the idle timer. */
async function* bodyChunks(endpoint: Endpoint, response: Response, idle: IdleTimer): AsyncGenerator<Uint8Array> {
  if (!response.body) return;
  const reader = response.body.getReader();
  for (;;) {
    const next = await reader.read().catch((error: unknown) => {
      throw transportError(endpoint, error, idle.fired, 'reading');
    });
    if (next.done) return;
    idle.reset();
    yield next.value;
  }
}
