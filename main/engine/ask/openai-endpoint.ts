import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { Answer, AnswerRequest, ChatMessage, FinishReason, VisionChatProvider } from './types.js';

/**
 * Asking a photo through any server that speaks OpenAI's chat-completions protocol with images:
 * OpenAI, OpenRouter, LM Studio, Ollama, vLLM, llama.cpp's server. The answer is streamed (SSE);
 * a server that ignores `stream: true` and sends one JSON completion works too.
 *
 * Failures are EndpointErrors whose messages tell the user what happened and what to do. Transient
 * ones are retried with backoff, but only while nothing has reached `onToken`: once the user has seen
 * part of an answer, asking again would show them a different one, so the error is thrown instead.
 */

export interface EndpointConfig {
  /**
   * The API root, as the server documents its OpenAI-compatible base URL; `/chat/completions` is
   * appended. E.g. http://localhost:11434/v1 (Ollama), http://localhost:1234/v1 (LM Studio),
   * http://localhost:8080/v1 (llama.cpp server), http://localhost:8000/v1 (vLLM),
   * https://openrouter.ai/api/v1, https://api.openai.com/v1. A trailing slash, or a pasted full
   * `.../v1/chat/completions` address, is accepted.
   */
  baseUrl: string;
  /** The model as the server names it ("gpt-4o-mini", "qwen2.5vl:7b"); also what Iris shows and stores. */
  model: string;
  /** Sent as `Authorization: Bearer <key>` (local servers usually need none). Never appears in an error message. */
  apiKey?: string;
  /** No byte from the server for this long (while waiting for the answer or between two pieces of it) = timeout. Default 60 000. */
  timeoutMs?: number;
  /** Automatic retries after the first attempt, where safe (see EndpointError.retryable). Default 3. */
  maxRetries?: number;
  /** The first backoff delay; each retry doubles it (with jitter), up to 8 s. Default 500 (tests pass 1). */
  retryBaseMs?: number;
  /** The fetch to use; Node's global fetch by default. */
  fetch?: typeof fetch;
}

export type EndpointErrorCode = 'auth' | 'rate-limited' | 'timeout' | 'bad-stream' | 'server' | 'network' | 'not-found' | 'bad-request';

export class EndpointError extends Error {
  override readonly name = 'EndpointError';
  readonly code: EndpointErrorCode;
  /** The HTTP status, when the server answered with one. */
  readonly status?: number;
  /**
   * Whether the provider asks again by itself: a network error before any response, 429, 502/503/504,
   * or a timeout; and even then only while no piece of the answer has been shown.
   */
  readonly retryable: boolean;
  /** How long the server asked us to wait before asking again (Retry-After), in ms. */
  readonly retryAfterMs?: number;

  constructor(code: EndpointErrorCode, message: string, details: { status?: number; retryable?: boolean; retryAfterMs?: number; cause?: unknown } = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.status = details.status;
    this.retryable = details.retryable ?? false;
    this.retryAfterMs = details.retryAfterMs;
  }
}

const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_RETRIES = 3;
const DEFAULT_RETRY_BASE_MS = 500;
const MAX_BACKOFF_MS = 8_000;
/** A server asking for a longer pause than this gets an error the user can act on, not a frozen spinner. */
const MAX_RETRY_AFTER_MS = 30_000;
/** How much of a server's own error text goes into our message. */
const DETAIL_CHARS = 200;
/** One SSE event larger than this means the stream is not what we think it is; stop buffering it. */
const MAX_EVENT_CHARS = 4 * 1024 * 1024;

/** An image or text piece of a user turn, as chat-completions expects it. */
export type ContentPart = { type: 'image_url'; image_url: { url: string } } | { type: 'text'; text: string };

/** The JSON body Iris posts to `/chat/completions` (exported so tests can read recorded requests typed). */
export interface ChatCompletionRequestBody {
  model: string;
  stream: true;
  stream_options: { include_usage: true };
  max_tokens: number;
  temperature: number;
  top_p?: number;
  stop?: string[];
  messages: { role: ChatMessage['role']; content: string | ContentPart[] }[];
}

export function createEndpointProvider(config: EndpointConfig): VisionChatProvider {
  const endpoint = resolveEndpoint(config);
  // Aborted by close(): answers in flight end as 'cancelled', and their sockets are released.
  const closing = new AbortController();
  return {
    kind: 'endpoint',
    model: endpoint.model,
    answer: (request) => {
      if (closing.signal.aborted) return Promise.reject(new Error(`the endpoint provider for ${endpoint.host} was closed`));
      return answerWithRetries(endpoint, request, closing.signal);
    },
    close: async () => closing.abort(),
  };
}

/**
 * Reads the endpoint from the environment: IRIS_ENDPOINT_URL (the API root, e.g.
 * http://localhost:11434/v1), IRIS_ENDPOINT_MODEL and IRIS_ENDPOINT_API_KEY. The CLI takes the key
 * only from here, never from a flag, so it stays out of shell history and `ps`. Returns undefined
 * when no endpoint is configured.
 */
export function endpointFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): EndpointConfig | undefined {
  const baseUrl = env.IRIS_ENDPOINT_URL?.trim();
  const model = env.IRIS_ENDPOINT_MODEL?.trim();
  const apiKey = env.IRIS_ENDPOINT_API_KEY?.trim();
  if (!baseUrl) {
    if (model) throw new Error('IRIS_ENDPOINT_MODEL is set but IRIS_ENDPOINT_URL is not: set it to the API root, e.g. IRIS_ENDPOINT_URL=http://localhost:11434/v1');
    return undefined;
  }
  if (!model) throw new Error(`IRIS_ENDPOINT_URL is set (${baseUrl}) but IRIS_ENDPOINT_MODEL is not: set it to the model the endpoint should use, e.g. IRIS_ENDPOINT_MODEL=gpt-4o-mini`);
  return apiKey ? { baseUrl, model, apiKey } : { baseUrl, model };
}

/** The config, checked and with its defaults, plus what every request and message needs. */
interface Endpoint {
  url: string;
  /** host[:port], how messages name the endpoint. */
  host: string;
  model: string;
  apiKey?: string;
  headers: Record<string, string>;
  timeoutMs: number;
  maxRetries: number;
  retryBaseMs: number;
  fetch: typeof fetch;
}

function resolveEndpoint(config: EndpointConfig): Endpoint {
  const base = normaliseBaseUrl(config.baseUrl);
  const model = config.model.trim();
  if (!model) throw new Error(`No model named for the endpoint at ${base.host}: give the model name the server uses.`);
  const apiKey = config.apiKey?.trim() || undefined;
  return {
    url: `${base.href}/chat/completions`,
    host: base.host,
    model,
    apiKey,
    headers: { 'Content-Type': 'application/json', ...(apiKey ? { Authorization: `Bearer ${apiKey}` } : {}) },
    timeoutMs: positive('timeoutMs', config.timeoutMs ?? DEFAULT_TIMEOUT_MS),
    maxRetries: Math.floor(positive('maxRetries', config.maxRetries ?? DEFAULT_MAX_RETRIES, true)),
    retryBaseMs: positive('retryBaseMs', config.retryBaseMs ?? DEFAULT_RETRY_BASE_MS, true),
    fetch: config.fetch ?? globalThis.fetch,
  };
}

function normaliseBaseUrl(raw: string): { href: string; host: string } {
  const href = raw.trim().replace(/\/+$/, '').replace(/\/chat\/completions$/, '');
  let parsed: URL | undefined;
  try {
    parsed = new URL(href);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    throw new Error(`The endpoint URL "${raw}" is not an http(s) address: give the API root, e.g. http://localhost:11434/v1`);
  }
  return { href, host: parsed.host };
}

function positive(name: string, value: number, zeroAllowed = false): number {
  if (!Number.isFinite(value) || value < 0 || (value === 0 && !zeroAllowed)) throw new RangeError(`${name} must be a ${zeroAllowed ? 'non-negative' : 'positive'} number, got ${value}`);
  return value;
}

/** What has reached the user so far, across attempts (there is never more than one attempt that streamed). */
interface Progress {
  text: string;
  pieces: number;
  firstTokenMs: number | null;
  usageTokens: number | null;
}

/** Where a response's pieces go. */
interface Sink {
  token(text: string): void;
  usage(completionTokens: number): void;
}

async function answerWithRetries(endpoint: Endpoint, request: AnswerRequest, closing: AbortSignal): Promise<Answer> {
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
    const body = JSON.stringify(chatCompletionBody(endpoint.model, request));
    for (let attempt = 1; ; attempt++) {
      try {
        const finish = await attemptOnce(endpoint, body, stop.signal, sink);
        // A cancel while the last chunk was handled: the answer may be complete, but the user stopped it.
        return finished(stop.signal.aborted ? 'cancelled' : finish);
      } catch (error) {
        // Anything else (an onToken that threw) is the caller's own, passed on untouched.
        if (!(error instanceof EndpointError)) throw error;
        if (stop.signal.aborted) return finished('cancelled');
        const delay = retryDelayMs(endpoint, error, attempt, progress);
        if (delay === undefined) throw finalError(endpoint, error, attempt);
        if (!(await sleep(delay, stop.signal))) return finished('cancelled');
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

/** The error the caller gets: how many attempts it took, and the key scrubbed from whatever a server echoed. */
function finalError(endpoint: Endpoint, error: EndpointError, attempts: number): EndpointError {
  const tries = attempts > 1 ? ` (gave up after ${attempts} attempts)` : '';
  return new EndpointError(error.code, redact(`${error.message}${tries}`, endpoint.apiKey), {
    status: error.status,
    retryable: error.retryable,
    retryAfterMs: error.retryAfterMs,
    cause: error.cause,
  });
}

function redact(text: string, apiKey: string | undefined): string {
  // A key of a few characters would match ordinary words; such a key protects nothing anyway.
  return apiKey && apiKey.length >= 4 ? text.split(apiKey).join('***') : text;
}

/** One request and its response, start to end. Throws EndpointError; the caller decides about retrying. */
async function attemptOnce(endpoint: Endpoint, body: string, stop: AbortSignal, sink: Sink): Promise<'stop' | 'length'> {
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
    const isJson = (response.headers.get('content-type') ?? '').includes('application/json');
    return await (isJson ? readCompletion(endpoint, chunks, sink) : readEventStream(endpoint, chunks, sink));
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

// ---- reading answers ----

/** The parts of a chat-completions chunk or completion that we read. Servers vary: anything may be missing. */
interface CompletionJson {
  choices?: { delta?: { content?: unknown }; message?: { content?: unknown }; finish_reason?: unknown }[];
  usage?: { completion_tokens?: unknown } | null;
  error?: unknown;
}

/** A streamed answer: `data: {chunk}` events, then `data: [DONE]`. */
async function readEventStream(endpoint: Endpoint, chunks: AsyncIterable<Uint8Array>, sink: Sink): Promise<'stop' | 'length'> {
  // Streaming decode: a character whose bytes straddle two network reads stays whole.
  const decoder = new TextDecoder();
  const events: EventSourceMessage[] = [];
  let strayLine: string | undefined;
  let overflowed = false;
  // Events are queued and handled after each feed, so what handling throws never unwinds through the parser.
  const parser = createParser({
    onEvent: (event) => events.push(event),
    onError: (error) => {
      if (error.type === 'max-buffer-size-exceeded') overflowed = true;
      else strayLine ??= error.line;
    },
    maxBufferSize: MAX_EVENT_CHARS,
  });
  const state: StreamState = { done: false, finishReason: undefined };
  const handleQueued = () => {
    for (const event of events.splice(0)) {
      handleEvent(endpoint, event, state, sink);
      if (state.done) return;
    }
  };
  for await (const chunk of chunks) {
    parser.feed(decoder.decode(chunk, { stream: true }));
    if (overflowed) throw badStream(endpoint, `sent one event of more than ${MAX_EVENT_CHARS} characters, which is not a chat answer`);
    handleQueued();
    // Some servers keep the connection open after [DONE]; there is nothing more to wait for.
    if (state.done) return finishOf(state);
  }
  parser.feed(decoder.decode());
  parser.reset({ consume: true });
  handleQueued();
  if (state.done || state.finishReason !== undefined) return finishOf(state);
  if (strayLine !== undefined) throw badStream(endpoint, `sent a line that is not a server-sent event: "${clip(strayLine)}". Is it an OpenAI-compatible chat-completions server?`);
  throw badStream(endpoint, 'ended the stream before the answer was complete (no finish_reason and no [DONE])');
}

interface StreamState {
  done: boolean;
  finishReason: string | undefined;
}

function handleEvent(endpoint: Endpoint, event: EventSourceMessage, state: StreamState, sink: Sink): void {
  if (event.data.trim() === '[DONE]') {
    state.done = true;
    return;
  }
  const json = parseObject(event.data);
  if (!json) throw badStream(endpoint, `sent a data line that is not JSON: "${clip(event.data)}"`);
  if (json.error !== undefined || event.event === 'error') {
    throw badStream(endpoint, `reported an error in the middle of the answer: ${errorText(json) ?? clip(event.data)}`);
  }
  const choice = Array.isArray(json.choices) ? json.choices[0] : undefined;
  const text = textOf(choice?.delta?.content);
  if (text) sink.token(text);
  if (typeof choice?.finish_reason === 'string') state.finishReason = choice.finish_reason;
  // With include_usage the last chunk before [DONE] has usage and no choices.
  if (typeof json.usage?.completion_tokens === 'number') sink.usage(json.usage.completion_tokens);
}

function finishOf(state: StreamState): 'stop' | 'length' {
  return state.finishReason === 'length' ? 'length' : 'stop';
}

/** A server that ignored `stream: true` and sent the whole completion as one JSON object. */
async function readCompletion(endpoint: Endpoint, chunks: AsyncIterable<Uint8Array>, sink: Sink): Promise<'stop' | 'length'> {
  const raw = await readAll(chunks);
  const json = parseObject(raw);
  if (!json) throw badStream(endpoint, `sent an answer that is not JSON: "${clip(raw)}"`);
  if (json.error !== undefined) throw badStream(endpoint, `reported an error instead of an answer: ${errorText(json) ?? clip(raw)}`);
  const choice = Array.isArray(json.choices) ? json.choices[0] : undefined;
  if (!choice) throw badStream(endpoint, `sent JSON without any answer in it (no choices): "${clip(raw)}"`);
  const text = textOf(choice.message?.content);
  if (text) sink.token(text);
  if (typeof json.usage?.completion_tokens === 'number') sink.usage(json.usage.completion_tokens);
  return choice.finish_reason === 'length' ? 'length' : 'stop';
}

async function readAll(chunks: AsyncIterable<Uint8Array>): Promise<string> {
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts).toString('utf8');
}

/** Message content is a string, or (some servers) a list of parts of which the text ones count. */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part: unknown) => (isRecord(part) && part.type === 'text' && typeof part.text === 'string' ? part.text : '')).join('');
}

function parseObject(text: string): CompletionJson | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return isRecord(value) ? (value as CompletionJson) : undefined;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---- errors ----

async function httpError(endpoint: Endpoint, response: Response, chunks: AsyncIterable<Uint8Array>): Promise<EndpointError> {
  // The body only adds detail: if it cannot be read, the status alone still makes the error.
  const raw = await readAll(chunks).catch(() => '');
  const detail = errorText(parseObject(raw)) ?? plainDetail(raw);
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
  return errorForStatus(endpoint, response.status, detail, retryAfterMs);
}

function errorForStatus(endpoint: Endpoint, status: number, detail: string | undefined, retryAfterMs: number | undefined): EndpointError {
  const at = `The endpoint at ${endpoint.host}`;
  const why = `${status}${detail ? `: ${detail}` : ''}`;
  if (status === 401 || status === 403) {
    const message = endpoint.apiKey
      ? `${at} refused the API key (${why}): check the key (IRIS_ENDPOINT_API_KEY or Settings).`
      : `${at} needs an API key (${why}): set IRIS_ENDPOINT_API_KEY or add one in Settings.`;
    return new EndpointError('auth', message, { status });
  }
  if (status === 404) {
    return new EndpointError(
      'not-found',
      `${at} has no model "${endpoint.model}" or no chat-completions API at ${endpoint.url} (${why}): check the model name, and that the URL is the API root (e.g. http://localhost:11434/v1).`,
      { status },
    );
  }
  if (status === 429) {
    const wait = retryAfterMs !== undefined ? `wait ${Math.ceil(retryAfterMs / 1000)} s as it asks (Retry-After)` : 'wait a moment (it sent no Retry-After)';
    return new EndpointError('rate-limited', `${at} is rate limiting requests (${why}): ${wait}, then ask again.`, { status, retryable: true, retryAfterMs });
  }
  if (status === 408) {
    return new EndpointError('timeout', `${at} timed out waiting for the request (${why}): try again.`, { status, retryable: true });
  }
  if (status >= 500) {
    const busy = status === 502 || status === 503 || status === 504;
    const hint = busy ? 'it may be starting up, loading the model or overloaded; try again shortly' : "try again later, or look at the server's log";
    return new EndpointError('server', `${at} had a server error (${why}): ${hint}.`, { status, retryable: busy, retryAfterMs });
  }
  if (status >= 400) {
    return new EndpointError(
      'bad-request',
      `${at} rejected the request (${why}): check that "${endpoint.model}" is a vision model that accepts images, and the answer settings (max tokens, temperature).`,
      { status },
    );
  }
  return new EndpointError('server', `${at} answered with an unexpected status (${why}).`, { status });
}

function transportError(endpoint: Endpoint, error: unknown, timedOut: boolean, phase: 'connecting' | 'reading'): EndpointError {
  if (timedOut) {
    const when = phase === 'connecting' ? 'after the question was sent' : 'in the middle of the answer';
    return new EndpointError(
      'timeout',
      `The endpoint at ${endpoint.host} sent nothing for ${endpoint.timeoutMs / 1000} s ${when}: check that the server is running and not overloaded (a large model on a slow machine may need a longer timeout).`,
      { retryable: true, cause: error },
    );
  }
  if (phase === 'connecting') {
    return new EndpointError('network', `Could not reach the endpoint at ${endpoint.host} (${networkReason(error)}): check the URL and that the server is running.`, {
      retryable: true,
      cause: error,
    });
  }
  // The server may have started (and charged for) the answer: not asked again automatically.
  return new EndpointError('network', `The connection to the endpoint at ${endpoint.host} broke in the middle of the answer (${networkReason(error)}).`, { cause: error });
}

function badStream(endpoint: Endpoint, what: string): EndpointError {
  return new EndpointError('bad-stream', `The endpoint at ${endpoint.host} ${what}`);
}

/** Node's fetch says only "fetch failed"; the useful part (ECONNREFUSED, ENOTFOUND) is in its cause. */
function networkReason(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  if (isRecord(cause) && typeof cause.code === 'string') return cause.code;
  if (cause instanceof Error) return clip(cause.message);
  return error instanceof Error ? clip(error.message) : clip(String(error));
}

/** The server's own words from an OpenAI-style `{error: {message}}` (or the looser shapes other servers use). */
function errorText(json: CompletionJson | Record<string, unknown> | undefined): string | undefined {
  if (!json) return undefined;
  const { error } = json;
  const candidates = [isRecord(error) ? error.message : error, 'message' in json ? json.message : undefined, 'detail' in json ? json.detail : undefined];
  const text = candidates.find((value): value is string => typeof value === 'string' && value.trim() !== '');
  return text === undefined ? undefined : clip(text);
}

/** A non-JSON error body, when it is short text and not an HTML error page. */
function plainDetail(raw: string): string | undefined {
  const text = raw.trim();
  return text && !text.startsWith('<') ? clip(text) : undefined;
}

function clip(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > DETAIL_CHARS ? `${flat.slice(0, DETAIL_CHARS)}…` : flat;
}

/** Retry-After is either seconds or an HTTP date. */
function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

// ---- the request ----

function chatCompletionBody(model: string, request: AnswerRequest): ChatCompletionRequestBody {
  const turns: ChatMessage[] = [...request.history, { role: 'user', text: request.question }];
  // The photo goes with the first user turn, so the model sees it once, where the conversation began.
  const imageAt = turns[0]?.role === 'user' ? 0 : turns.length - 1;
  const imageUrl = `data:${request.image.mime};base64,${request.image.data.toString('base64')}`;
  const { maxTokens, temperature, topP, stop } = request.decoding;
  return {
    model,
    stream: true,
    stream_options: { include_usage: true },
    max_tokens: maxTokens,
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

// ---- timing and cancelling ----

/** Fires when `reset` has not been called for `ms`: "no byte for this long", not "the whole answer within". */
class IdleTimer {
  fired = false;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly ms: number,
    private readonly onIdle: () => void,
  ) {
    this.reset();
  }

  reset(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.fired = true;
      this.onIdle();
    }, this.ms);
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}

/** Aborts `controller` when `signal` aborts (now, if it already has); returns the way to stop following. */
function follow(signal: AbortSignal | undefined, controller: AbortController): () => void {
  if (!signal) return () => {};
  if (signal.aborted) {
    controller.abort();
    return () => {};
  }
  const onAbort = () => controller.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
