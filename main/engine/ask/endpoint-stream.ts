import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { isRecord, parseJsonObject, readAll } from './endpoint-body.js';
import type { Endpoint } from './endpoint-config.js';
import { badStream, clip, errorText } from './endpoint-errors.js';

/**
 * Reading a chat-completions response into pieces of text and a finish reason: a streamed answer
 * (SSE chunks, then [DONE]) or, from a server that ignored `stream: true`, one JSON completion.
 * What is not a chat answer ends as a 'bad-stream' EndpointError saying what was received instead.
 */

/** Where a response's pieces go. */
export interface Sink {
  token(text: string): void;
  usage(completionTokens: number): void;
}

/** How an answer that arrived whole ended: naturally, or at the max-tokens limit. */
export type CompletedFinish = 'stop' | 'length';

/** One SSE event larger than this means the stream is not what we think it is; stop buffering it. */
const MAX_EVENT_CHARS = 4 * 1024 * 1024;

/** The parts of a chat-completions chunk or completion that we read. Servers vary: anything may be missing. */
interface CompletionJson {
  choices?: { delta?: { content?: unknown }; message?: { content?: unknown }; finish_reason?: unknown }[];
  usage?: { completion_tokens?: unknown } | null;
}

/** Reads the response body as its content type says: a JSON completion, or else an event stream. */
export function readAnswer(endpoint: Endpoint, contentType: string | null, chunks: AsyncIterable<Uint8Array>, sink: Sink): Promise<CompletedFinish> {
  return (contentType ?? '').includes('application/json') ? readCompletion(endpoint, chunks, sink) : readEventStream(endpoint, chunks, sink);
}

/** A streamed answer: `data: {chunk}` events, then `data: [DONE]`. */
async function readEventStream(endpoint: Endpoint, chunks: AsyncIterable<Uint8Array>, sink: Sink): Promise<CompletedFinish> {
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
    if (state.done) return finishOf(state.finishReason);
  }
  parser.feed(decoder.decode());
  parser.reset({ consume: true });
  handleQueued();
  if (state.done || state.finishReason !== undefined) return finishOf(state.finishReason);
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
  const json = parseJsonObject(event.data);
  if (!json) throw badStream(endpoint, `sent a data line that is not JSON: "${clip(event.data)}"`);
  if (json.error !== undefined || event.event === 'error') {
    throw badStream(endpoint, `reported an error in the middle of the answer: ${errorText(json) ?? clip(event.data)}`);
  }
  const { choices, usage } = json as CompletionJson;
  const choice = Array.isArray(choices) ? choices[0] : undefined;
  const text = textOf(choice?.delta?.content);
  if (text) sink.token(text);
  if (typeof choice?.finish_reason === 'string') state.finishReason = choice.finish_reason;
  // With include_usage the last chunk before [DONE] has usage and no choices.
  if (typeof usage?.completion_tokens === 'number') sink.usage(usage.completion_tokens);
}

/** A server that ignored `stream: true` and sent the whole completion as one JSON object. */
async function readCompletion(endpoint: Endpoint, chunks: AsyncIterable<Uint8Array>, sink: Sink): Promise<CompletedFinish> {
  const raw = await readAll(chunks);
  const json = parseJsonObject(raw);
  if (!json) throw badStream(endpoint, `sent an answer that is not JSON: "${clip(raw)}"`);
  if (json.error !== undefined) throw badStream(endpoint, `reported an error instead of an answer: ${errorText(json) ?? clip(raw)}`);
  const { choices, usage } = json as CompletionJson;
  const choice = Array.isArray(choices) ? choices[0] : undefined;
  if (!choice) throw badStream(endpoint, `sent JSON without any answer in it (no choices): "${clip(raw)}"`);
  const text = textOf(choice.message?.content);
  if (text) sink.token(text);
  if (typeof usage?.completion_tokens === 'number') sink.usage(usage.completion_tokens);
  return finishOf(choice.finish_reason);
}

/** Only 'length' matters to the user (the answer was cut short); every other reason is a normal end. */
function finishOf(finishReason: unknown): CompletedFinish {
  return finishReason === 'length' ? 'length' : 'stop';
}

/** Message content is a string, or (some servers) a list of parts of which the text ones count. */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part: unknown) => (isRecord(part) && part.type === 'text' && typeof part.text === 'string' ? part.text : '')).join('');
}
