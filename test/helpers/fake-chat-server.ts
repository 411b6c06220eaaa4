import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChatCompletionRequestBody } from '../../main/engine/ask/openai-endpoint.js';

/**
 * A real HTTP server on 127.0.0.1 that speaks OpenAI's chat-completions protocol, scripted per
 * request, for testing anything that talks to an endpoint (the provider, the CLI, the UI end to end).
 *
 *   const server = await startFakeChatServer();            // answers every question with DEFAULT_ANSWER
 *   const provider = createEndpointProvider({ baseUrl: server.baseUrl, model: 'fake-vision' });
 *   server.enqueue(errorReply(503), streamedAnswer(['Two ', 'cats.']));  // the next two requests
 *   ...
 *   server.requests[0].body?.messages                     // what the client sent
 *   await server.close();
 *
 * Replies:
 * - streamedAnswer(pieces, options): a well-formed SSE stream (content deltas, finish_reason, a usage
 *   chunk, [DONE]), with optional delays and writes split every N bytes (mid-line, mid-character).
 * - stream(steps, options): any SSE you like, built from the `sse` frames, raw strings, pauses,
 *   `{ hang: true }` (stop sending, keep the connection open) and `{ destroy: true }` (cut it).
 * - jsonAnswer(text): a whole completion as application/json, as a server that ignores stream:true sends.
 * - errorReply(status, message, headers): an OpenAI-style `{error: {message}}` with that status
 *   (e.g. headers `{ 'Retry-After': '1' }`).
 * - hang(): never answer. dropConnection(): close the socket without answering.
 * - A function of the recorded request, returning one of these (e.g. to echo the question).
 *
 * Routes: POST <basePath>/chat/completions takes the next reply; GET <basePath>/models lists
 * `models`; anything else is a JSON 404. Every request is recorded, whatever its path.
 */

const DEFAULT_ANSWER = ['A ', 'photo ', 'of ', 'something.'];

export interface RecordedRequest {
  method: string;
  /** The path with its query, e.g. "/v1/chat/completions". */
  path: string;
  headers: http.IncomingHttpHeaders;
  rawBody: string;
  /** The JSON body as the client sent it (unchecked), or undefined if it was not JSON. */
  body: ChatCompletionRequestBody | undefined;
  /** True once the client hung up before the reply was complete (a cancel, a client timeout). */
  closedEarly: boolean;
}

/** One thing a scripted stream does, in order. */
export type StreamStep = string | Buffer | { delayMs: number } | { hang: true } | { destroy: true };

export type Reply =
  | {
      kind: 'stream';
      steps: StreamStep[];
      status?: number;
      headers?: Record<string, string>;
      /** Write the stream in pieces of this many bytes (splitting lines and UTF-8 characters). */
      splitEvery?: number;
      /** Pause between split pieces, so they reach the client as separate reads. Default 1 ms when splitting. */
      splitDelayMs?: number;
    }
  | { kind: 'json'; body: unknown; status?: number; headers?: Record<string, string> }
  | { kind: 'hang' }
  | { kind: 'drop' };

export type ReplyFn = (request: RecordedRequest) => Reply;

export interface FakeChatServer {
  /** The API root to give a client, e.g. http://127.0.0.1:41234/v1. */
  readonly baseUrl: string;
  readonly port: number;
  /** Every request so far, oldest first. */
  readonly requests: RecordedRequest[];
  /** Queues replies for the next chat requests, one each; once the queue is empty, the default reply. */
  enqueue(...replies: (Reply | ReplyFn)[]): void;
  /** Forgets queued replies and recorded requests (between tests sharing one server). */
  reset(): void;
  /** Resolves once at least `count` requests have arrived. */
  waitForRequests(count: number, timeoutMs?: number): Promise<void>;
  /** Cuts every open connection (hanging ones included) and stops listening. */
  close(): Promise<void>;
}

export interface FakeChatServerOptions {
  /** What a chat request gets when nothing is queued. Default: streamedAnswer(DEFAULT_ANSWER). */
  defaultReply?: Reply | ReplyFn;
  /** Default "/v1". */
  basePath?: string;
  /** What GET <basePath>/models lists. Default ["fake-vision"]. */
  models?: string[];
}

// ---- frames and replies ----

/** SSE frames as chat-completions servers send them. */
export const sse = {
  /** A `data:` event with this JSON (or string) payload. */
  data: (payload: unknown): string => `data: ${typeof payload === 'string' ? payload : JSON.stringify(payload)}\n\n`,
  delta: (content: string): string => sse.data({ id: 'chatcmpl-fake', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content }, finish_reason: null }] }),
  finish: (reason: string): string => sse.data({ id: 'chatcmpl-fake', object: 'chat.completion.chunk', choices: [{ index: 0, delta: {}, finish_reason: reason }] }),
  usage: (completionTokens: number, promptTokens = 10): string =>
    sse.data({ id: 'chatcmpl-fake', object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens } }),
  /** An error object in the middle of a stream (as OpenRouter and vLLM send when generation fails). */
  error: (message: string): string => sse.data({ error: { message, type: 'server_error' } }),
  done: 'data: [DONE]\n\n',
  /** A comment line, which servers send as keep-alive. */
  comment: (text = 'keep-alive'): string => `: ${text}\n\n`,
};

export function stream(steps: StreamStep[], options: Omit<Extract<Reply, { kind: 'stream' }>, 'kind' | 'steps'> = {}): Reply {
  return { kind: 'stream', steps, ...options };
}

export interface StreamedAnswerOptions {
  /** Default 'stop'. */
  finish?: string;
  /** Sends a usage chunk with this completion_tokens (by default none, as some servers do). */
  completionTokens?: number;
  /** Pause before each piece. */
  delayMs?: number;
  /** Omit the final `data: [DONE]`. */
  noDone?: boolean;
  splitEvery?: number;
  splitDelayMs?: number;
}

/** A well-formed streamed answer made of these content pieces. */
export function streamedAnswer(pieces: readonly string[], options: StreamedAnswerOptions = {}): Reply {
  const steps: StreamStep[] = [];
  for (const piece of pieces) {
    if (options.delayMs) steps.push({ delayMs: options.delayMs });
    steps.push(sse.delta(piece));
  }
  steps.push(sse.finish(options.finish ?? 'stop'));
  if (options.completionTokens !== undefined) steps.push(sse.usage(options.completionTokens));
  if (!options.noDone) steps.push(sse.done);
  return stream(steps, { splitEvery: options.splitEvery, splitDelayMs: options.splitDelayMs });
}

/** A whole (non-streamed) completion, as a server that ignores `stream: true` answers. */
export function jsonAnswer(text: string, options: { finish?: string; completionTokens?: number } = {}): Reply {
  return {
    kind: 'json',
    body: {
      id: 'chatcmpl-fake',
      object: 'chat.completion',
      choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: options.finish ?? 'stop' }],
      ...(options.completionTokens !== undefined ? { usage: { prompt_tokens: 10, completion_tokens: options.completionTokens, total_tokens: 10 + options.completionTokens } } : {}),
    },
  };
}

/** An OpenAI-style error response. */
export function errorReply(status: number, message = `fake error ${status}`, headers: Record<string, string> = {}): Reply {
  return { kind: 'json', status, headers, body: { error: { message, type: 'invalid_request_error', code: null } } };
}

export const hang = (): Reply => ({ kind: 'hang' });
export const dropConnection = (): Reply => ({ kind: 'drop' });

// ---- the server ----

export async function startFakeChatServer(options: FakeChatServerOptions = {}): Promise<FakeChatServer> {
  const basePath = (options.basePath ?? '/v1').replace(/\/+$/, '');
  const defaultReply = options.defaultReply ?? streamedAnswer(DEFAULT_ANSWER);
  const requests: RecordedRequest[] = [];
  const queue: (Reply | ReplyFn)[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  let closing = false;

  const server = http.createServer((req, res) => {
    void (async () => {
      const recorded = await record(req);
      requests.push(recorded);
      for (const waiter of waiters.filter((w) => requests.length >= w.count)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
      res.on('close', () => {
        if (!res.writableFinished) recorded.closedEarly = true;
      });
      // A client that hangs up makes writes fail; that is the client's choice, not a test failure.
      res.on('error', () => {});
      const route = recorded.path.split('?')[0];
      if (req.method === 'POST' && route === `${basePath}/chat/completions`) {
        const next = queue.shift() ?? defaultReply;
        await send(res, typeof next === 'function' ? next(recorded) : next, () => closing);
      } else if (req.method === 'GET' && route === `${basePath}/models`) {
        await send(res, { kind: 'json', body: { object: 'list', data: (options.models ?? ['fake-vision']).map((id) => ({ id, object: 'model' })) } }, () => closing);
      } else {
        await send(res, errorReply(404, `Not found: ${req.method} ${recorded.path}`), () => closing);
      }
    })().catch((error: unknown) => {
      // A reply function that threw: make it visible to the test as a 500, not an unhandled rejection.
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: { message: `fake chat server: ${String(error)}` } }));
      else res.destroy();
    });
  });
  server.on('connection', (socket) => socket.setNoDelay(true));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}${basePath}`,
    port,
    requests,
    enqueue: (...replies) => void queue.push(...replies),
    reset: () => {
      queue.length = 0;
      requests.length = 0;
    },
    waitForRequests: (count, timeoutMs = 10_000) =>
      new Promise<void>((resolve, reject) => {
        if (requests.length >= count) return resolve();
        const timer = setTimeout(() => reject(new Error(`fake chat server: ${requests.length} of ${count} requests after ${timeoutMs} ms`)), timeoutMs);
        waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      }),
    close: async () => {
      closing = true;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function record(req: http.IncomingMessage): Promise<RecordedRequest> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const rawBody = Buffer.concat(chunks).toString('utf8');
  let body: ChatCompletionRequestBody | undefined;
  try {
    body = JSON.parse(rawBody) as ChatCompletionRequestBody;
  } catch {
    body = undefined;
  }
  return { method: req.method ?? '', path: req.url ?? '', headers: req.headers, rawBody, body, closedEarly: false };
}

async function send(res: http.ServerResponse, reply: Reply, closing: () => boolean): Promise<void> {
  const gone = () => closing() || res.destroyed || res.writableEnded;
  switch (reply.kind) {
    case 'hang':
      return; // the request stays open until the client gives up or the server closes
    case 'drop':
      res.socket?.destroy();
      return;
    case 'json': {
      const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
      res.writeHead(reply.status ?? 200, { 'Content-Type': 'application/json', ...reply.headers });
      res.end(text);
      return;
    }
    case 'stream': {
      res.writeHead(reply.status ?? 200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', ...reply.headers });
      res.flushHeaders();
      for (const step of reply.steps) {
        if (gone()) return;
        if (typeof step === 'string' || Buffer.isBuffer(step)) {
          await write(res, Buffer.from(step), reply.splitEvery, reply.splitDelayMs ?? 1, gone);
        } else if ('delayMs' in step) {
          await pause(step.delayMs);
        } else if ('hang' in step) {
          return;
        } else {
          res.socket?.destroy();
          return;
        }
      }
      if (!gone()) res.end();
      return;
    }
  }
}

async function write(res: http.ServerResponse, bytes: Buffer, splitEvery: number | undefined, splitDelayMs: number, gone: () => boolean): Promise<void> {
  if (!splitEvery) {
    res.write(bytes);
    return;
  }
  for (let at = 0; at < bytes.length; at += splitEvery) {
    if (gone()) return;
    res.write(bytes.subarray(at, at + splitEvery));
    await pause(splitDelayMs);
  }
}

function pause(ms: number): Promise<void> {
  // Unref'd: a scripted pause must not keep a finished test process alive.
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
