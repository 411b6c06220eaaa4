import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import sharp from 'sharp';
import { createEndpointProvider, EndpointError, endpointFromEnv, type EndpointConfig } from '../../main/engine/ask/openai-endpoint.js';
import { prepareImage } from '../../main/engine/ask/prepare-image.js';
import { type AnswerRequest, DEFAULT_DECODING, type JpegImage, type VisionChatProvider } from '../../main/engine/ask/types.js';
import {
  dropConnection,
  errorReply,
  type FakeChatServer,
  hang,
  jsonAnswer,
  type RecordedRequest,
  type Reply,
  sse,
  startFakeChatServer,
  stream,
  streamedAnswer,
} from '../helpers/fake-chat-server.js';
import { imageDistance, samplePhotosDir, sha256, tempDir, waitFor } from '../helpers/fixtures.js';

/**
 * The OpenAI-compatible provider against a real local HTTP server speaking chat-completions
 * (test/helpers/fake-chat-server.ts): streaming, the request it sends, every failure a user can
 * meet (with the retries that are safe and none that are not), cancelling, and the image it sends.
 */

const KEY = 'sk-test-SECRET-0123456789abcdef';

describe('OpenAI-compatible endpoint provider', () => {
  let server: FakeChatServer;
  let image: JpegImage;
  const open: VisionChatProvider[] = [];

  /** A provider on the fake server, fast to retry and to time out. */
  function provider(config: Partial<EndpointConfig> = {}): VisionChatProvider {
    const created = createEndpointProvider({ baseUrl: server.baseUrl, model: 'fake-vision', retryBaseMs: 1, timeoutMs: 2_000, ...config });
    open.push(created);
    return created;
  }

  async function ask(on: VisionChatProvider, request: Partial<AnswerRequest> = {}) {
    const tokens: string[] = [];
    const answer = await on.answer({ image, history: [], question: 'What is in the photo?', decoding: DEFAULT_DECODING, onToken: (text) => tokens.push(text), ...request });
    return { answer, tokens };
  }

  /** The EndpointError an answer fails with (checking it never shows the key), and the pieces shown before. */
  async function failure(on: VisionChatProvider, request: Partial<AnswerRequest> = {}): Promise<{ error: EndpointError; tokens: string[] }> {
    const tokens: string[] = [];
    try {
      await on.answer({ image, history: [], question: 'What is in the photo?', decoding: DEFAULT_DECODING, onToken: (text) => tokens.push(text), ...request });
    } catch (error) {
      assert.ok(error instanceof EndpointError, `not an EndpointError: ${String(error)}`);
      assert.ok(!error.message.includes(KEY), `the key leaked into: ${error.message}`);
      assert.ok(error.message.includes(`127.0.0.1:${server.port}`) || error.code === 'network', `the message names the host: ${error.message}`);
      return { error, tokens };
    }
    assert.fail('the answer should have failed');
  }

  before(async () => {
    server = await startFakeChatServer();
    image = await prepareImage(await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 200, g: 40, b: 40 } } }).png().toBuffer(), 512);
  });

  beforeEach(() => server.reset());

  after(async () => {
    await Promise.all(open.map((p) => p.close()));
    await server.close();
  });

  describe('streaming', () => {
    it('passes each piece to onToken in order and counts tokens from usage', async () => {
      server.enqueue(streamedAnswer(['Two ', 'cats ', 'on a ', 'sofa.'], { completionTokens: 5 }));
      const { answer, tokens } = await ask(provider());
      assert.deepEqual(tokens, ['Two ', 'cats ', 'on a ', 'sofa.']);
      assert.equal(answer.text, 'Two cats on a sofa.');
      assert.equal(answer.finish, 'stop');
      assert.equal(answer.tokens, 5);
      assert.equal(answer.model, 'fake-vision');
      assert.ok(answer.firstTokenMs !== null && answer.firstTokenMs >= 0 && answer.firstTokenMs <= answer.totalMs);
    });

    it("counts streamed pieces when the server sends no usage, and reports 'length' when max tokens ran out", async () => {
      server.enqueue(streamedAnswer(['It ', 'is ', 'a'], { finish: 'length' }));
      const { answer } = await ask(provider());
      assert.equal(answer.tokens, 3);
      assert.equal(answer.finish, 'length');
    });

    it('keeps Chinese text whole when characters and SSE lines are split across network writes', async () => {
      const pieces = [...'一只橘猫趴在窗台上，阳光照在它的毛上。'];
      server.enqueue(streamedAnswer(pieces, { completionTokens: pieces.length, splitEvery: 5, splitDelayMs: 0 }));
      const { answer, tokens } = await ask(provider());
      assert.deepEqual(tokens, pieces);
      assert.equal(answer.text, '一只橘猫趴在窗台上，阳光照在它的毛上。');
      assert.ok(!answer.text.includes('\uFFFD'));
    });

    it('skips keep-alive comments and empty deltas', async () => {
      server.enqueue(stream([sse.comment(), sse.delta(''), sse.delta('Yes.'), sse.comment(), sse.finish('stop'), sse.done]));
      const { answer, tokens } = await ask(provider());
      assert.deepEqual(tokens, ['Yes.']);
      assert.equal(answer.tokens, 1);
    });

    it('accepts a stream that ends after a finish_reason without [DONE]', async () => {
      server.enqueue(streamedAnswer(['Fine.'], { noDone: true }));
      const { answer } = await ask(provider());
      assert.equal(answer.text, 'Fine.');
      assert.equal(answer.finish, 'stop');
    });

    it('returns at [DONE] even when the server keeps the connection open after it', async () => {
      server.enqueue(stream([sse.delta('Done.'), sse.finish('stop'), sse.done, { hang: true }]));
      const { answer } = await ask(provider({ timeoutMs: 1_000 }));
      assert.equal(answer.text, 'Done.');
      assert.ok(answer.totalMs < 900, `took ${answer.totalMs} ms`);
    });

    it("passes on an onToken callback's own error untouched, and does not ask again", async () => {
      const mine = new Error('the UI went away');
      await assert.rejects(
        provider().answer({ image, history: [], question: 'Hi?', decoding: DEFAULT_DECODING, onToken: () => { throw mine; } }),
        (error) => error === mine,
      );
      assert.equal(server.requests.length, 1);
    });

    it('works with a server that ignores stream:true and answers one JSON completion', async () => {
      server.enqueue(jsonAnswer('A red square.', { completionTokens: 4 }));
      const { answer, tokens } = await ask(provider());
      assert.deepEqual(tokens, ['A red square.']);
      assert.equal(answer.text, 'A red square.');
      assert.equal(answer.tokens, 4);
      assert.equal(answer.finish, 'stop');
      assert.ok(answer.firstTokenMs !== null);
    });
  });

  describe('the request', () => {
    it('posts the model, decoding, history in order and the photo on the first user turn', async () => {
      const on = provider({ baseUrl: `${server.baseUrl}/`, apiKey: KEY });
      await ask(on, {
        history: [
          { role: 'user', text: 'Describe it.' },
          { role: 'assistant', text: 'A red square.' },
        ],
        question: 'Is it bright?',
        decoding: { maxTokens: 77, temperature: 0.7, topP: 0.9, stop: ['###'] },
      });
      assert.equal(server.requests.length, 1);
      const [request] = server.requests;
      assert.equal(request!.method, 'POST');
      assert.equal(request!.path, '/v1/chat/completions');
      assert.equal(request!.headers['content-type'], 'application/json');
      assert.equal(request!.headers.authorization, `Bearer ${KEY}`);
      const body = request!.body!;
      assert.equal(body.model, 'fake-vision');
      assert.equal(body.stream, true);
      assert.deepEqual(body.stream_options, { include_usage: true });
      assert.equal(body.max_tokens, 77);
      assert.equal(body.temperature, 0.7);
      assert.equal(body.top_p, 0.9);
      assert.deepEqual(body.stop, ['###']);
      assert.equal(body.messages.length, 3);
      const [first, second, third] = body.messages;
      assert.equal(first!.role, 'user');
      assert.ok(Array.isArray(first!.content));
      const [imagePart, textPart] = first!.content;
      assert.equal(imagePart!.type, 'image_url');
      assert.ok(imagePart?.type === 'image_url' && imagePart.image_url.url === `data:image/jpeg;base64,${image.data.toString('base64')}`);
      assert.deepEqual(textPart, { type: 'text', text: 'Describe it.' });
      assert.deepEqual(second, { role: 'assistant', content: 'A red square.' });
      assert.deepEqual(third, { role: 'user', content: 'Is it bright?' });
      assert.ok(!('system' in body) && body.messages.every((m) => m.role !== ('system' as string)));
    });

    it('puts the photo on the new turn when there is no history, sends no auth header without a key, no top_p when greedy', async () => {
      await ask(provider());
      const body = server.requests[0]!.body!;
      assert.equal(server.requests[0]!.headers.authorization, undefined);
      assert.equal(body.messages.length, 1);
      const content = body.messages[0]!.content;
      assert.ok(Array.isArray(content));
      assert.deepEqual(
        content.map((part) => part.type),
        ['image_url', 'text'],
      );
      assert.deepEqual(content[1], { type: 'text', text: 'What is in the photo?' });
      assert.equal(body.max_tokens, DEFAULT_DECODING.maxTokens);
      assert.equal(body.temperature, 0);
      assert.ok(!('top_p' in body) && !('stop' in body));
    });

    it('puts the photo on the new turn when the history does not start with the user', async () => {
      await ask(provider(), { history: [{ role: 'assistant', text: 'Hello.' }], question: 'Who is this?' });
      const [first, second] = server.requests[0]!.body!.messages;
      assert.deepEqual(first, { role: 'assistant', content: 'Hello.' });
      assert.ok(second && Array.isArray(second.content) && second.content[0]!.type === 'image_url');
    });

    it('accepts a pasted full /chat/completions address and refuses what is not an http(s) URL', async () => {
      await ask(provider({ baseUrl: `${server.baseUrl}/chat/completions` }));
      assert.equal(server.requests[0]!.path, '/v1/chat/completions');
      assert.throws(() => createEndpointProvider({ baseUrl: 'localhost:11434/v1', model: 'm' }), /not an http\(s\) address.*http:\/\/localhost:11434\/v1/);
      assert.throws(() => createEndpointProvider({ baseUrl: 'http://localhost:11434/v1', model: ' ' }), /No model named/);
    });
  });

  describe('errors that are not retried', () => {
    it('401: the key was refused; the message says what to do and never shows the key, even when the server echoes it', async () => {
      server.enqueue(errorReply(401, `Incorrect API key provided: ${KEY}.`));
      const { error } = await failure(provider({ apiKey: KEY }));
      assert.equal(error.code, 'auth');
      assert.equal(error.status, 401);
      assert.match(error.message, /refused the API key \(401/);
      assert.match(error.message, /IRIS_ENDPOINT_API_KEY or Settings/);
      assert.ok(error.message.includes('***'));
      assert.equal(server.requests.length, 1);
    });

    it('403 without a key: says a key is needed', async () => {
      server.enqueue(errorReply(403, 'Forbidden'));
      const { error } = await failure(provider());
      assert.equal(error.code, 'auth');
      assert.match(error.message, /needs an API key \(403: Forbidden\)/);
      assert.equal(server.requests.length, 1);
    });

    it("404: names the model, quotes the server's reason (truncated) and says how the URL should look", async () => {
      server.enqueue(errorReply(404, `model "fake-vision" not found, try pulling it first. ${'x'.repeat(1000)}`));
      const { error } = await failure(provider({ apiKey: KEY }));
      assert.equal(error.code, 'not-found');
      assert.equal(error.status, 404);
      assert.match(error.message, /no model "fake-vision"/);
      assert.match(error.message, /try pulling it first/);
      assert.match(error.message, /e\.g\. http:\/\/localhost:11434\/v1/);
      assert.ok(error.message.length < 600 && error.message.includes('…'), error.message);
      assert.equal(server.requests.length, 1);
    });

    it('400: the request was refused, hinting at a model without vision', async () => {
      server.enqueue(errorReply(400, 'image input is not supported by this model'));
      const { error } = await failure(provider());
      assert.equal(error.code, 'bad-request');
      assert.match(error.message, /image input is not supported/);
      assert.match(error.message, /vision model/);
      assert.equal(server.requests.length, 1);
    });

    it('500: a server error, not asked again', async () => {
      server.enqueue(errorReply(500, 'CUDA error: out of memory'));
      const { error } = await failure(provider());
      assert.equal(error.code, 'server');
      assert.equal(error.status, 500);
      assert.match(error.message, /server error \(500: CUDA error: out of memory\)/);
      assert.equal(server.requests.length, 1);
    });

    it('429 asking for more than 30 s: stops and says how long to wait', async () => {
      server.enqueue(errorReply(429, 'quota', { 'Retry-After': '120' }));
      const { error } = await failure(provider());
      assert.equal(error.code, 'rate-limited');
      assert.equal(error.retryAfterMs, 120_000);
      assert.match(error.message, /wait 120 s as it asks \(Retry-After\)/);
      assert.equal(server.requests.length, 1);
    });
  });

  describe('servers that refuse a parameter: asked again at once, worded their way', () => {
    // Error bodies as the servers send them.
    const OPENAI_MAX_TOKENS = {
      error: {
        message: "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
        type: 'invalid_request_error',
        param: 'max_tokens',
        code: 'unsupported_parameter',
      },
    };
    const STREAM_OPTIONS_REFUSALS: [string, number, unknown][] = [
      ['Azure OpenAI', 400, { error: { message: 'Unrecognized request argument supplied: stream_options', type: 'invalid_request_error', param: null, code: null } }],
      ['an OpenAI-style proxy', 400, { error: { message: "Unknown parameter: 'stream_options'.", type: 'invalid_request_error', param: 'stream_options', code: 'unknown_parameter' } }],
      [
        'Mistral (pydantic, 422)',
        422,
        {
          object: 'error',
          message: { detail: [{ type: 'extra_forbidden', loc: ['body', 'stream_options', 'include_usage'], msg: 'Extra inputs are not permitted', input: true }] },
          type: 'invalid_request_error',
          param: null,
          code: null,
        },
      ],
    ];
    const STREAM_OPTIONS_UNKNOWN = STREAM_OPTIONS_REFUSALS[0]![2];

    /** A server that refuses requests for which `refusal` returns a body (with `status`), and answers the rest. */
    function refusing(refusal: (body: RecordedRequest['body']) => unknown, status = 400): (request: RecordedRequest) => Reply {
      return (request) => {
        const body = refusal(request.body);
        return body === undefined ? streamedAnswer(['Two ', 'cats.']) : { kind: 'json', status, body };
      };
    }
    const refusesMaxTokens = refusing((body) => (body && 'max_tokens' in body ? OPENAI_MAX_TOKENS : undefined));
    const refusesStreamOptions = refusing((body) => (body && 'stream_options' in body ? STREAM_OPTIONS_UNKNOWN : undefined));
    const bodies = () => server.requests.map((request) => request.body!);

    it("max_tokens refused (OpenAI's o-series, GPT-5): asks at once with max_completion_tokens, and keeps doing so", async () => {
      // No backoff retries allowed and a long backoff: the rewording must be neither.
      const on = provider({ maxRetries: 0, retryBaseMs: 20_000 });
      server.enqueue(refusesMaxTokens, refusesMaxTokens);
      const { answer, tokens } = await ask(on, { decoding: { ...DEFAULT_DECODING, maxTokens: 99 } });
      assert.equal(answer.text, 'Two cats.');
      assert.deepEqual(tokens, ['Two ', 'cats.']);
      assert.ok(answer.totalMs < 5_000, `took ${answer.totalMs} ms`);
      const [refused, reworded] = bodies();
      assert.equal(refused!.max_tokens, 99);
      assert.ok(!('max_completion_tokens' in refused!));
      assert.equal(reworded!.max_completion_tokens, 99);
      assert.ok(!('max_tokens' in reworded!));
      assert.deepEqual(reworded!.stream_options, { include_usage: true }, 'only the refused parameter changes');
      assert.deepEqual(reworded!.messages, refused!.messages);

      server.enqueue(refusesMaxTokens);
      assert.equal((await ask(on)).answer.text, 'Two cats.');
      assert.equal(server.requests.length, 3, 'the next answer is worded the working way from the start');
      assert.equal(bodies()[2]!.max_completion_tokens, DEFAULT_DECODING.maxTokens);
      assert.ok(!('max_tokens' in bodies()[2]!));
    });

    for (const [who, status, refusal] of STREAM_OPTIONS_REFUSALS) {
      it(`stream_options refused (${who}): asks at once without it, and keeps doing so`, async () => {
        const on = provider({ maxRetries: 0 });
        const refuses = refusing((body) => (body && 'stream_options' in body ? refusal : undefined), status);
        server.enqueue(refuses, refuses);
        const { answer } = await ask(on);
        assert.equal(answer.text, 'Two cats.');
        assert.equal(answer.tokens, 2, 'without usage, the streamed pieces are counted');
        assert.equal(server.requests.length, 2);
        const [refused, reworded] = bodies();
        assert.deepEqual(refused!.stream_options, { include_usage: true });
        assert.ok(!('stream_options' in reworded!));
        assert.equal(reworded!.max_tokens, DEFAULT_DECODING.maxTokens, 'only the refused parameter changes');

        server.enqueue(refuses);
        assert.equal((await ask(on)).answer.text, 'Two cats.');
        assert.equal(server.requests.length, 3);
        assert.ok(!('stream_options' in bodies()[2]!));
      });
    }

    it('both refused, one after the other: each reworded once, then remembered together', async () => {
      const on = provider({ maxRetries: 0 });
      const refusesBoth = refusing((body) => (body && 'max_tokens' in body ? OPENAI_MAX_TOKENS : body && 'stream_options' in body ? STREAM_OPTIONS_UNKNOWN : undefined));
      server.enqueue(refusesBoth, refusesBoth, refusesBoth);
      assert.equal((await ask(on)).answer.text, 'Two cats.');
      assert.equal(server.requests.length, 3);
      server.enqueue(refusesBoth);
      await ask(on);
      assert.equal(server.requests.length, 4);
      const last = bodies()[3]!;
      assert.ok(!('max_tokens' in last) && !('stream_options' in last) && last.max_completion_tokens === DEFAULT_DECODING.maxTokens);
    });

    it('two answers refused at the same time: each rewords its own request', async () => {
      const on = provider({ maxRetries: 0 });
      server.enqueue(refusesStreamOptions, refusesStreamOptions, refusesStreamOptions, refusesStreamOptions);
      const answers = await Promise.all([ask(on), ask(on)]);
      assert.deepEqual(
        answers.map(({ answer }) => answer.text),
        ['Two cats.', 'Two cats.'],
      );
      assert.equal(server.requests.length, 4);
    });

    it('refused again in the other wording: no loop, the server\'s reason in a bad-request error', async () => {
      const refusesAlways = refusing(() => OPENAI_MAX_TOKENS);
      server.enqueue(refusesAlways, refusesAlways, refusesAlways);
      const { error } = await failure(provider());
      assert.equal(error.code, 'bad-request');
      assert.equal(error.status, 400);
      assert.match(error.message, /rejected the request \(400: Unsupported parameter: 'max_tokens'/);
      assert.doesNotMatch(error.message, /gave up/);
      assert.equal(server.requests.length, 2);
    });

    it('an unrelated 400 is not asked again, says why, and changes nothing for the next request', async () => {
      const on = provider();
      server.enqueue({
        kind: 'json',
        status: 400,
        body: { error: { message: 'Invalid content type. image_url is only supported by certain models.', type: 'invalid_request_error', param: 'messages.[0].content.[0].type', code: null } },
      });
      const { error } = await failure(on);
      assert.equal(error.code, 'bad-request');
      assert.equal(error.refusedParameter, undefined);
      assert.match(error.message, /rejected the request \(400: Invalid content type\. image_url is only supported by certain models\.\): check that "fake-vision" is a vision model/);
      assert.equal(server.requests.length, 1);
      await ask(on);
      assert.equal(bodies()[1]!.max_tokens, DEFAULT_DECODING.maxTokens);
      assert.deepEqual(bodies()[1]!.stream_options, { include_usage: true });
    });

    it('a validation error that echoes the whole request (every parameter in it) is not taken for a refusal', async () => {
      server.enqueue((request) => ({
        kind: 'json',
        status: 422,
        body: { detail: [{ type: 'missing', loc: ['body', 'messages', 0, 'content'], msg: 'Field required', input: request.body }] },
      }));
      const { error } = await failure(provider());
      assert.equal(error.code, 'bad-request');
      assert.equal(error.status, 422);
      assert.equal(server.requests.length, 1);
    });

    it('an error naming stream_options after the first piece: thrown, never asked again', async () => {
      server.enqueue(stream([sse.delta('Two '), sse.error("Unknown parameter: 'stream_options'."), sse.done]));
      const { error, tokens } = await failure(provider());
      assert.equal(error.code, 'bad-stream');
      assert.deepEqual(tokens, ['Two ']);
      assert.equal(server.requests.length, 1);
    });
  });

  describe('retries where safe', () => {
    it('429 with Retry-After: waits as asked, then succeeds', async () => {
      server.enqueue(errorReply(429, 'Rate limit reached', { 'Retry-After': '1' }), streamedAnswer(['OK.']));
      const started = Date.now();
      const { answer } = await ask(provider());
      assert.equal(answer.text, 'OK.');
      assert.equal(server.requests.length, 2);
      assert.ok(Date.now() - started >= 950, `waited only ${Date.now() - started} ms`);
    });

    it('429 every time: gives up after maxRetries, saying so', async () => {
      server.enqueue(errorReply(429, 'slow down'), errorReply(429, 'slow down'), errorReply(429, 'slow down'));
      const { error } = await failure(provider({ maxRetries: 2 }));
      assert.equal(error.code, 'rate-limited');
      assert.equal(error.status, 429);
      assert.match(error.message, /rate limiting requests \(429: slow down\): wait a moment \(it sent no Retry-After\)/);
      assert.match(error.message, /gave up after 3 attempts/);
      assert.equal(server.requests.length, 3);
    });

    it('503 then an answer: retried', async () => {
      server.enqueue(errorReply(503, 'loading model'), streamedAnswer(['Ready.']));
      const { answer } = await ask(provider());
      assert.equal(answer.text, 'Ready.');
      assert.equal(server.requests.length, 2);
    });

    it('502 and 504 until the retries run out: a server error', async () => {
      server.enqueue(errorReply(502), errorReply(504), errorReply(502), errorReply(504));
      const { error } = await failure(provider());
      assert.equal(error.code, 'server');
      assert.equal(error.status, 504);
      assert.match(error.message, /gave up after 4 attempts/);
      assert.equal(server.requests.length, 4);
    });

    it('a connection dropped before any response: retried', async () => {
      server.enqueue(dropConnection(), streamedAnswer(['Back.']));
      const { answer } = await ask(provider());
      assert.equal(answer.text, 'Back.');
      assert.equal(server.requests.length, 2);
    });

    it('a server that is not there: a network error naming the reason and the host', async () => {
      const gone = await startFakeChatServer();
      await gone.close();
      const { error } = await failure(provider({ baseUrl: gone.baseUrl, maxRetries: 1 }));
      assert.equal(error.code, 'network');
      assert.match(error.message, new RegExp(`Could not reach the endpoint at 127\\.0\\.0\\.1:${gone.port} \\(ECONNREFUSED\\)`));
      assert.match(error.message, /gave up after 2 attempts/);
    });

    it('a timeout before the first token: retried', async () => {
      server.enqueue(hang(), stream([sse.comment(), { hang: true }]), streamedAnswer(['Awake.']));
      const { answer } = await ask(provider({ timeoutMs: 200 }));
      assert.equal(answer.text, 'Awake.');
      assert.equal(server.requests.length, 3);
      await waitFor(() => (server.requests.slice(0, 2).every((r) => r.closedEarly) ? true : undefined), 2_000, 'the timed-out requests to be closed');
    });

    it('a timeout every time: a timeout error saying how long it waited', async () => {
      server.enqueue(hang(), hang());
      const { error } = await failure(provider({ timeoutMs: 150, maxRetries: 1 }));
      assert.equal(error.code, 'timeout');
      assert.match(error.message, /sent nothing for 0\.15 s after the question was sent/);
      assert.equal(server.requests.length, 2);
    });

    it('the timeout is idle time: a slow but steady stream is not cut off', async () => {
      server.enqueue(streamedAnswer(['a', 'b', 'c', 'd', 'e'], { delayMs: 150 }));
      const { answer } = await ask(provider({ timeoutMs: 500 }));
      assert.equal(answer.text, 'abcde');
    });
  });

  describe('never retried once the user has seen part of the answer', () => {
    it('a timeout after the first token: thrown, not asked again', async () => {
      server.enqueue(stream([sse.delta('The '), { hang: true }]), streamedAnswer(['never seen']));
      const { error, tokens } = await failure(provider({ timeoutMs: 200 }));
      assert.equal(error.code, 'timeout');
      assert.match(error.message, /in the middle of the answer/);
      assert.deepEqual(tokens, ['The ']);
      assert.equal(server.requests.length, 1);
    });

    it('a connection cut in the middle of the answer: a network error', async () => {
      server.enqueue(stream([sse.delta('Half '), { delayMs: 20 }, { destroy: true }]));
      const { error, tokens } = await failure(provider());
      assert.equal(error.code, 'network');
      assert.match(error.message, /broke in the middle of the answer/);
      assert.deepEqual(tokens, ['Half ']);
      assert.equal(server.requests.length, 1);
    });
  });

  describe('malformed streams', () => {
    it('a data line that is not JSON', async () => {
      server.enqueue(stream([sse.delta('A '), sse.data('{not json'), sse.done]));
      const { error, tokens } = await failure(provider());
      assert.equal(error.code, 'bad-stream');
      assert.match(error.message, /a data line that is not JSON: "\{not json"/);
      assert.deepEqual(tokens, ['A ']);
      assert.equal(server.requests.length, 1);
    });

    it('an error object in the middle of the stream', async () => {
      server.enqueue(stream([sse.delta('The '), sse.error('Provider returned error: upstream overloaded'), sse.done]));
      const { error } = await failure(provider());
      assert.equal(error.code, 'bad-stream');
      assert.match(error.message, /reported an error in the middle of the answer: Provider returned error: upstream overloaded/);
    });

    it('a stream that ends with neither a finish_reason nor [DONE]', async () => {
      server.enqueue(stream([sse.delta('Unfin')]));
      const { error } = await failure(provider());
      assert.equal(error.code, 'bad-stream');
      assert.match(error.message, /ended the stream before the answer was complete/);
    });

    it('a body that is not server-sent events at all (e.g. NDJSON)', async () => {
      server.enqueue(stream(['{"message":{"content":"hi"},"done":true}\n'], { headers: { 'Content-Type': 'application/x-ndjson' } }));
      const { error } = await failure(provider());
      assert.equal(error.code, 'bad-stream');
      assert.match(error.message, /not a server-sent event: "\{"message"/);
    });

    it('a JSON answer without choices', async () => {
      server.enqueue({ kind: 'json', body: { ok: true } });
      const { error } = await failure(provider());
      assert.equal(error.code, 'bad-stream');
      assert.match(error.message, /no choices/);
    });
  });

  describe('cancelling', () => {
    it('mid-stream: resolves with the text so far and closes the connection', async () => {
      const controller = new AbortController();
      server.enqueue(streamedAnswer(['one ', 'two ', 'three ', 'four ', 'five'], { delayMs: 40 }));
      const tokens: string[] = [];
      const answer = await provider().answer({
        image,
        history: [],
        question: 'Count.',
        decoding: DEFAULT_DECODING,
        signal: controller.signal,
        onToken: (text) => {
          tokens.push(text);
          if (tokens.length === 2) controller.abort();
        },
      });
      assert.equal(answer.finish, 'cancelled');
      assert.equal(answer.text, 'one two ');
      assert.deepEqual(tokens, ['one ', 'two ']);
      assert.equal(answer.tokens, 2);
      await waitFor(() => (server.requests[0]?.closedEarly ? true : undefined), 2_000, 'the server to see the client hang up');
      assert.equal(server.requests.length, 1);
    });

    it('while waiting for the server: resolves cancelled with empty text', async () => {
      const controller = new AbortController();
      server.enqueue(hang());
      const pending = ask(provider(), { signal: controller.signal });
      await server.waitForRequests(1);
      controller.abort();
      const { answer } = await pending;
      assert.equal(answer.finish, 'cancelled');
      assert.equal(answer.text, '');
      assert.equal(answer.firstTokenMs, null);
    });

    it('during the backoff before a retry: resolves cancelled without waiting it out', async () => {
      const controller = new AbortController();
      server.enqueue(errorReply(503));
      const started = Date.now();
      const pending = ask(provider({ retryBaseMs: 20_000 }), { signal: controller.signal });
      await server.waitForRequests(1);
      setTimeout(() => controller.abort(), 50);
      const { answer } = await pending;
      assert.equal(answer.finish, 'cancelled');
      assert.ok(Date.now() - started < 5_000);
      assert.equal(server.requests.length, 1);
    });

    it('an already-aborted signal: resolves at once, sends nothing', async () => {
      const { answer, tokens } = await ask(provider(), { signal: AbortSignal.abort() });
      assert.equal(answer.finish, 'cancelled');
      assert.equal(answer.text, '');
      assert.equal(answer.tokens, 0);
      assert.deepEqual(tokens, []);
      assert.equal(server.requests.length, 0);
    });

    it('close(): answers in flight end cancelled; later questions are refused', async () => {
      const on = provider();
      server.enqueue(hang());
      const pending = ask(on);
      await server.waitForRequests(1);
      await on.close();
      assert.equal((await pending).answer.finish, 'cancelled');
      await assert.rejects(ask(on), /closed/);
    });
  });

  describe('endpointFromEnv', () => {
    it('reads the URL, model and key; nothing set means no endpoint', () => {
      assert.equal(endpointFromEnv({}), undefined);
      assert.equal(endpointFromEnv({ IRIS_ENDPOINT_API_KEY: KEY }), undefined);
      assert.deepEqual(endpointFromEnv({ IRIS_ENDPOINT_URL: 'http://localhost:11434/v1', IRIS_ENDPOINT_MODEL: 'qwen2.5vl:7b' }), {
        baseUrl: 'http://localhost:11434/v1',
        model: 'qwen2.5vl:7b',
      });
      assert.deepEqual(endpointFromEnv({ IRIS_ENDPOINT_URL: ' https://api.openai.com/v1 ', IRIS_ENDPOINT_MODEL: 'gpt-4o-mini', IRIS_ENDPOINT_API_KEY: KEY }), {
        baseUrl: 'https://api.openai.com/v1',
        model: 'gpt-4o-mini',
        apiKey: KEY,
      });
    });

    it('a URL without a model (or the reverse) is a clear error', () => {
      assert.throws(() => endpointFromEnv({ IRIS_ENDPOINT_URL: 'http://localhost:1234/v1' }), /IRIS_ENDPOINT_MODEL is not.*e\.g\. IRIS_ENDPOINT_MODEL=/);
      assert.throws(() => endpointFromEnv({ IRIS_ENDPOINT_MODEL: 'llava' }), /IRIS_ENDPOINT_URL is not/);
    });
  });
});

describe('prepareImage', () => {
  const dir = tempDir('iris-prepare-');

  /** 40×20 stored pixels, left half red and right half blue, tagged with an EXIF orientation. */
  async function halves(orientation: number): Promise<Buffer> {
    const blue = await sharp({ create: { width: 20, height: 20, channels: 3, background: { r: 0, g: 0, b: 255 } } }).png().toBuffer();
    return sharp({ create: { width: 40, height: 20, channels: 3, background: { r: 255, g: 0, b: 0 } } })
      .composite([{ input: blue, left: 20, top: 0 }])
      .jpeg({ quality: 95 })
      .withMetadata({ orientation })
      .toBuffer();
  }

  async function pixel(jpeg: Buffer, x: number, y: number): Promise<[number, number, number]> {
    const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
    const at = (y * info.width + x) * info.channels;
    return [data[at]!, data[at + 1]!, data[at + 2]!];
  }

  it('applies the EXIF orientation (6: turned a quarter clockwise), so the model sees the photo upright', async () => {
    const prepared = await prepareImage(await halves(6), 512);
    assert.equal(prepared.mime, 'image/jpeg');
    assert.deepEqual([prepared.width, prepared.height], [20, 40]);
    const meta = await sharp(prepared.data).metadata();
    assert.equal(meta.format, 'jpeg');
    assert.deepEqual([meta.width, meta.height], [20, 40]);
    assert.ok(meta.orientation === undefined || meta.orientation === 1, 'no orientation tag left to apply twice');
    const [top, bottom] = [await pixel(prepared.data, 10, 5), await pixel(prepared.data, 10, 35)];
    assert.ok(top[0] > 200 && top[2] < 60, `top should be red: ${top.join(',')}`);
    assert.ok(bottom[2] > 200 && bottom[0] < 60, `bottom should be blue: ${bottom.join(',')}`);
  });

  it('downscales so the long edge fits, keeping the aspect; never enlarges', async () => {
    const big = await sharp({ create: { width: 400, height: 300, channels: 3, background: '#336699' } }).png().toBuffer();
    const small = await prepareImage(big, 100);
    assert.deepEqual([small.width, small.height], [100, 75]);
    const tall = await prepareImage(await sharp({ create: { width: 300, height: 600, channels: 3, background: '#336699' } }).png().toBuffer(), 100);
    assert.deepEqual([tall.width, tall.height], [50, 100]);
    const tiny = await prepareImage(await sharp({ create: { width: 50, height: 30, channels: 3, background: '#336699' } }).png().toBuffer(), 100);
    assert.deepEqual([tiny.width, tiny.height], [50, 30]);
  });

  it('puts transparent areas on white, not black', async () => {
    const clear = await sharp({ create: { width: 10, height: 10, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } }).png().toBuffer();
    const [r, g, b] = await pixel((await prepareImage(clear, 64)).data, 5, 5);
    assert.ok(r > 240 && g > 240 && b > 240, `${r},${g},${b}`);
  });

  it('a real photo tagged orientation 6 comes out like its upright twin, and the file is left untouched', async () => {
    const tagged = path.join(dir, 'Landscape_6.jpg');
    fs.copyFileSync(path.join(samplePhotosDir, 'Landscape_6.jpg'), tagged);
    const before = sha256(tagged);
    const prepared = await prepareImage(tagged, 300);
    const upright = await prepareImage(path.join(samplePhotosDir, 'Landscape_1.jpg'), 300);
    assert.deepEqual([prepared.width, prepared.height], [upright.width, upright.height]);
    assert.ok(Math.max(prepared.width, prepared.height) === 300);
    const distance = await imageDistance(prepared.data, upright.data);
    assert.ok(distance < 10, `distance ${distance}`);
    assert.equal(sha256(tagged), before);
  });

  it('refuses a long edge that is not a positive integer', async () => {
    await assert.rejects(prepareImage(Buffer.alloc(0), 0), RangeError);
  });
});
