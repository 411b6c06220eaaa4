import { isRecord, parseJsonObject, readAll } from './endpoint-body.js';
import type { Endpoint } from './endpoint-config.js';
import { UserFacingError } from '../errors.js';

/**
 * Every way talking to an endpoint can fail, as an EndpointError whose message says what happened
 * and what the user can do about it, quoting the server's own words (clipped) and never the API key.
 */

export type EndpointErrorCode = 'auth' | 'rate-limited' | 'timeout' | 'bad-stream' | 'server' | 'network' | 'not-found' | 'bad-request';

/**
 * Request parameters that Iris sends by default and some servers refuse; each has a way to ask
 * without it (see endpoint-request.ts).
 */
export type RefusedParameter = 'max_tokens' | 'stream_options';

const ENDPOINT_UNREACHABLE: ReadonlySet<EndpointErrorCode> = new Set(['network', 'timeout', 'rate-limited', 'server']);

export class EndpointError extends UserFacingError {
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
  /**
   * Set when a 400/422 says the server does not accept this parameter: the provider then asks once
   * more, at once, without it (not counted as a retry).
   */
  readonly refusedParameter?: RefusedParameter;

  /** Failures that asking again later may cure are `unavailable`; the others need the user to change something. */
  get callCode(): 'usage' | 'unavailable' {
    return ENDPOINT_UNREACHABLE.has(this.code) ? 'unavailable' : 'usage';
  }

  constructor(
    code: EndpointErrorCode,
    message: string,
    details: { status?: number; retryable?: boolean; retryAfterMs?: number; refusedParameter?: RefusedParameter; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.status = details.status;
    this.retryable = details.retryable ?? false;
    this.retryAfterMs = details.retryAfterMs;
    this.refusedParameter = details.refusedParameter;
  }
}

/** How much of a server's own error text goes into our message. */
const DETAIL_CHARS = 200;

/** The error for a response that is not 2xx, with the server's reason from its body. */
export async function httpError(endpoint: Endpoint, response: Response, chunks: AsyncIterable<Uint8Array>): Promise<EndpointError> {
  // The body only adds detail: if it cannot be read, the status alone still makes the error.
  const raw = await readAll(chunks).catch(() => '');
  const json = parseJsonObject(raw);
  const detail = errorText(json) ?? plainDetail(raw);
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
  return errorForStatus(endpoint, response.status, detail, retryAfterMs, refusedParameterIn(response.status, json, raw));
}

function errorForStatus(endpoint: Endpoint, status: number, detail: string | undefined, retryAfterMs: number | undefined, refusedParameter: RefusedParameter | undefined): EndpointError {
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
      { status, refusedParameter },
    );
  }
  return new EndpointError('server', `${at} answered with an unexpected status (${why}).`, { status });
}

/**
 * Which of the parameters some servers refuse this 400/422 complains about, if any. How servers say it:
 * - OpenAI's o-series and GPT-5 models: "Unsupported parameter: 'max_tokens' is not supported with this
 *   model. Use 'max_completion_tokens' instead." (param max_tokens, code unsupported_parameter);
 *   proxies in front of them repeat the message with other codes and no param.
 * - stream_options: "Unknown parameter: 'stream_options'." (OpenAI-style, param stream_options),
 *   "Unrecognized request argument supplied: stream_options" (Azure OpenAI),
 *   "Extra parameters ['stream_options'] are not allowed" (Azure AI), a 422 `extra_forbidden` at
 *   loc body.stream_options (Mistral and other pydantic-validated servers).
 */
function refusedParameterIn(status: number, json: Record<string, unknown> | undefined, raw: string): RefusedParameter | undefined {
  if (status !== 400 && status !== 422) return undefined;
  const error = isRecord(json?.error) ? json.error : undefined;
  // Validation errors may echo the whole request as `input`; that names every parameter we sent, so it is left out.
  const said = json ? JSON.stringify(json, (key, value: unknown) => (key === 'input' ? undefined : value)) : raw;
  if ((error?.param === 'max_tokens' && error.code === 'unsupported_parameter') || (said.includes('max_tokens') && said.includes('max_completion_tokens'))) return 'max_tokens';
  if (error?.param === 'stream_options' || said.includes('stream_options')) return 'stream_options';
  return undefined;
}

export function transportError(endpoint: Endpoint, error: unknown, timedOut: boolean, phase: 'connecting' | 'reading'): EndpointError {
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

/** A response that is not the chat answer it should be; `what` continues "The endpoint at host …". */
export function badStream(endpoint: Endpoint, what: string): EndpointError {
  return new EndpointError('bad-stream', `The endpoint at ${endpoint.host} ${what}`);
}

/** The error the caller gets: how many attempts it took, and the key scrubbed from whatever a server echoed. */
export function finalError(endpoint: Endpoint, error: EndpointError, attempts: number): EndpointError {
  const tries = attempts > 1 ? ` (gave up after ${attempts} attempts)` : '';
  return new EndpointError(error.code, redact(`${error.message}${tries}`, endpoint.apiKey), {
    status: error.status,
    retryable: error.retryable,
    retryAfterMs: error.retryAfterMs,
    refusedParameter: error.refusedParameter,
    cause: error.cause,
  });
}

function redact(text: string, apiKey: string | undefined): string {
  // A key of a few characters would match ordinary words; such a key protects nothing anyway.
  return apiKey && apiKey.length >= 4 ? text.split(apiKey).join('***') : text;
}

/** Node's fetch says only "fetch failed"; the useful part (ECONNREFUSED, ENOTFOUND) is in its cause. */
function networkReason(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  if (isRecord(cause) && typeof cause.code === 'string') return cause.code;
  if (cause instanceof Error) return clip(cause.message);
  return error instanceof Error ? clip(error.message) : clip(String(error));
}

/** The server's own words from an OpenAI-style `{error: {message}}` (or the looser shapes other servers use). */
export function errorText(json: Record<string, unknown> | undefined): string | undefined {
  if (!json) return undefined;
  const { error } = json;
  const candidates = [isRecord(error) ? error.message : error, json.message, json.detail];
  const text = candidates.find((value): value is string => typeof value === 'string' && value.trim() !== '');
  return text === undefined ? undefined : clip(text);
}

/** A non-JSON error body, when it is short text and not an HTML error page. */
function plainDetail(raw: string): string | undefined {
  const text = raw.trim();
  return text && !text.startsWith('<') ? clip(text) : undefined;
}

/** Server text on one line and short enough to sit inside our own message. */
export function clip(text: string): string {
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
