/**
 * Where an OpenAI-compatible endpoint is and how patiently to talk to it: the config a caller gives
 * (or the environment), checked once and completed with defaults, so nothing later re-validates it.
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

/** The config, checked and with its defaults, plus what every request and message needs. */
export interface Endpoint {
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

const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_RETRIES = 3;
const DEFAULT_RETRY_BASE_MS = 500;

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

/** Checks the config (throwing a message the user can act on) and fills in the defaults. */
export function resolveEndpoint(config: EndpointConfig): Endpoint {
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
