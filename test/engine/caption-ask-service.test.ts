import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CallOutcome } from '../../main/engine/service/engine-service.js';
import { EngineService } from '../../main/engine/service/engine-service.js';
import { CAPTION_FIXTURE_ID, VQA_FIXTURE_ID } from '../fixtures/generate-models.js';
import { florenceBriefCaption, florenceDetailedCaption } from '../fixtures/vlm/florence2-fixture.js';
import { smolvlmAnswer } from '../fixtures/vlm/smolvlm-fixture.js';
import { type FakeChatServer, startFakeChatServer, streamedAnswer } from '../helpers/fake-chat-server.js';
import { colourOf, colourPhotos, fixtureModels } from '../helpers/colour-photos.js';
import { tempDir, waitFor } from '../helpers/fixtures.js';
import { call } from '../helpers/service-calls.js';

/**
 * The viewer's caption section and Ask tab as the engine answers them: real fixture captioner and
 * VLM (transformers.js on onnxruntime-node), answers streamed as `stream.token` events by the id
 * the UI chose, cancel, conversations, batch captions, and an OpenAI-compatible endpoint with the
 * key the desktop app hands over.
 */

function value<T>(outcome: CallOutcome): T {
  assert.ok(outcome.ok, `call failed: ${JSON.stringify(outcome)}`);
  return outcome.value as T;
}

describe('captions and questions through the engine service', () => {
  const photos = tempDir('iris-ask-photos-');
  const library = tempDir('iris-ask-lib-');
  let service: EngineService;
  let server: FakeChatServer;
  const tokens = new Map<string, string[]>();
  const captionEvents: { photoId: number; text: string }[] = [];
  const idOf = new Map<string, number>();

  before(async () => {
    await colourPhotos(photos, 1);
    service = EngineService.open({ libraryDir: library, modelsDir: fixtureModels }, { watch: false });
    service.onEvent((name, payload) => {
      if (name === 'stream.token') {
        const { streamId, text } = payload as { streamId: string; text: string };
        tokens.set(streamId, [...(tokens.get(streamId) ?? []), text]);
      }
      if (name === 'caption') captionEvents.push(payload as { photoId: number; text: string });
    });
    (await call(service, 'folders.add', { path: photos }));
    await waitFor(async () => {
      const status = (await call(service, 'library.status', {}));
      return !status.indexing && status.photos.ok > 0 ? status : undefined;
    }, 60_000, 'the folder to be indexed');
    const timeline = (await call(service, 'photos.timeline', {}));
    for (const id of timeline.ids) idOf.set(colourOf((await call(service, 'photos.get', { id })).path)!, id);
    server = await startFakeChatServer();
  });

  after(async () => {
    await service.close();
    await server?.close();
  });

  it('says which captioner is used and how many photos have captions', async () => {
    const status = (await call(service, 'captions.status', {}));
    assert.equal(status.model, CAPTION_FIXTURE_ID);
    assert.equal(status.installed, true);
    assert.equal(status.captioned, 0);
    assert.equal(status.photos, idOf.size);
    assert.equal(status.detail, 'brief');
    assert.equal((status as unknown as { readsText: boolean }).readsText, true, 'the fixture Florence has an OCR task');
  });

  it('reads the text in a photo, streamed, without touching its caption', async () => {
    const magenta = idOf.get('magenta')!;
    const read = (await call(service, 'captions.readText', { photoId: magenta, streamId: 'read-magenta-1' }));
    assert.equal(read.text, 'MAGENTA');
    assert.equal(tokens.get('read-magenta-1')!.join('').trim(), 'MAGENTA');
    assert.equal((await call(service, 'captions.get', { photoId: magenta })), null, 'nothing stored');
  });

  it('captions one photo, streaming the words under the id the UI chose, and stores it', async () => {
    const red = idOf.get('red')!;
    const result = (await call(service, 'captions.generate', { photoId: red, streamId: 'caption-red-1' }));
    assert.equal(result.text, florenceBriefCaption('red'));
    assert.equal(tokens.get('caption-red-1')!.join(''), result.text, 'the streamed pieces make the caption, in order');
    assert.ok(tokens.get('caption-red-1')!.length > 1, 'more than one piece');
    assert.deepEqual({ text: result.caption!.text, edited: result.caption!.edited, model: result.caption!.model }, { text: result.text, edited: false, model: CAPTION_FIXTURE_ID });
    assert.equal((await call(service, 'photos.get', { id: red })).caption, result.text);
    assert.deepEqual(captionEvents.at(-1), { photoId: red, text: result.text, model: CAPTION_FIXTURE_ID });
    const detailed = (await call(service, 'captions.generate', { photoId: red, streamId: 'caption-red-2', detail: 'detailed' }));
    assert.equal(detailed.text, florenceDetailedCaption('red'));
  });

  it("keeps a person's caption unless asked to replace it; empty text removes it", async () => {
    const green = idOf.get('green')!;
    const saved = (await call(service, 'captions.save', { photoId: green, text: '  Grandma’s garden  ' }));
    assert.deepEqual({ text: saved!.text, edited: saved!.edited }, { text: 'Grandma’s garden', edited: true });
    const kept = (await call(service, 'captions.generate', { photoId: green, streamId: 'caption-green-1' }));
    assert.equal(kept.caption!.text, 'Grandma’s garden', 'a generated caption never replaces a person’s by itself');
    const replaced = (await call(service, 'captions.generate', { photoId: green, streamId: 'caption-green-2', replaceEdited: true }));
    assert.deepEqual(replaced.caption && { text: replaced.caption.text, edited: replaced.caption.edited }, { text: florenceBriefCaption('green'), edited: false });
    assert.equal((await call(service, 'captions.save', { photoId: green, text: '' })), null);
    assert.equal((await call(service, 'captions.get', { photoId: green })), null);
    const missing = await service.handle('captions.get', { photoId: 99_999 });
    assert.ok(!missing.ok && missing.error.code === 'not-found');
  });

  it('captions the whole library as a batch that skips edited captions', async () => {
    const blue = idOf.get('blue')!;
    (await call(service, 'captions.save', { photoId: blue, text: 'The sea at Brighton' }));
    const queued = (await call(service, 'captions.queue', {}));
    assert.equal(queued.model, CAPTION_FIXTURE_ID);
    assert.equal(queued.keptEdited, 1);
    assert.equal(queued.queued, idOf.size - 2, 'all but the captioned red photo and the edited blue one');
    await waitFor(async () => {
      const status = (await call(service, 'captions.status', {}));
      return status.captioned === idOf.size ? status : undefined;
    }, 60_000, 'every photo to have a caption');
    for (const [colour, id] of idOf) {
      const caption = (await call(service, 'captions.get', { photoId: id }));
      assert.equal(caption!.text, colour === 'blue' ? 'The sea at Brighton' : colour === 'red' ? florenceDetailedCaption('red') : florenceBriefCaption(colour));
    }
  });

  it('answers questions with the local VLM, streamed, and keeps the conversation', async () => {
    const status = (await call(service, 'ask.status', {}));
    assert.deepEqual(status, { provider: 'local', model: VQA_FIXTURE_ID, ready: true, reason: null, missingModel: null, endpointKey: 'none' });
    const yellow = idOf.get('yellow')!;
    const first = (await call(service, 'ask.send', { photoId: yellow, question: 'What colour is it?', streamId: 'ask-yellow-1' }));
    assert.equal(first.text, smolvlmAnswer('yellow'));
    assert.equal(tokens.get('ask-yellow-1')!.join(''), first.text);
    assert.equal(first.conversation.title, 'What colour is it?');
    const second = (await call(service, 'ask.send', { photoId: yellow, question: 'And the colour now?', streamId: 'ask-yellow-2', conversationId: first.conversation.id }));
    assert.equal(second.text, smolvlmAnswer('yellow', { history: true }), 'the second turn sees the first');
    assert.equal(second.conversation.messageCount, 4);
    const listed = (await call(service, 'conversations.list', { photoId: yellow }));
    assert.deepEqual(listed.map((c) => c.id), [first.conversation.id]);
    const stored = (await call(service, 'conversations.get', { id: first.conversation.id }));
    assert.deepEqual(stored.messages.map((m) => `${m.role}: ${m.text}`), [
      'user: What colour is it?',
      `assistant: ${first.text}`,
      'user: And the colour now?',
      `assistant: ${second.text}`,
    ]);
    const elsewhere = await service.handle('ask.send', { photoId: idOf.get('red')!, question: 'and this?', streamId: 'ask-wrong-photo', conversationId: first.conversation.id });
    assert.ok(!elsewhere.ok && elsewhere.error.code === 'usage' && /about photo/.test(elsewhere.error.message));
    assert.deepEqual((await call(service, 'conversations.delete', { id: first.conversation.id })), { deleted: true });
    assert.deepEqual((await call(service, 'conversations.list', { photoId: yellow })), []);
  });

  it('stops an answer when its stream is cancelled, keeping the text so far; refuses a stream id in use', async () => {
    const red = idOf.get('red')!;
    let cancelled: Promise<CallOutcome> | undefined;
    const stop = service.onEvent((name, payload) => {
      if (name === 'stream.token' && (payload as { streamId: string }).streamId === 'ask-cancel-1' && !cancelled) cancelled = service.handle('streams.cancel', { streamId: 'ask-cancel-1' });
    });
    const answer = (await call(service, 'ask.send', { photoId: red, question: '这是什么颜色?', streamId: 'ask-cancel-1' }));
    stop();
    assert.deepEqual(value(await cancelled!), { cancelled: true });
    assert.equal(answer.generation.finish, 'cancelled');
    assert.ok(smolvlmAnswer('red', { chinese: true }).startsWith(answer.text) && answer.text.length < smolvlmAnswer('red', { chinese: true }).length, `a prefix: ${answer.text}`);
    assert.deepEqual((await call(service, 'streams.cancel', { streamId: 'ask-cancel-1' })), { cancelled: false }, 'a finished stream cannot be cancelled');

    const running = service.handle('ask.send', { photoId: red, question: 'What colour is it?', streamId: 'ask-twice-1' });
    const twice = await service.handle('ask.send', { photoId: red, question: 'What colour is it?', streamId: 'ask-twice-1' });
    assert.ok(!twice.ok && /already running/.test(twice.error.message));
    value(await running);
    const badId = await service.handle('ask.send', { photoId: red, question: 'hi', streamId: 'x' });
    assert.ok(!badId.ok && badId.error.code === 'invalid-args');
  });

  it('asks an OpenAI-compatible endpoint with the key the app handed over', async () => {
    (await call(service, 'settings.set', { key: 'ask-provider', value: 'endpoint' }));
    const unset = (await call(service, 'ask.status', {}));
    assert.equal(unset.ready, false);
    assert.match(unset.reason!, /endpoint URL/);
    (await call(service, 'settings.set', { key: 'endpoint-url', value: server.baseUrl }));
    (await call(service, 'settings.set', { key: 'endpoint-model', value: 'fake-vision' }));
    (await call(service, 'ask.useKey', { key: 'sk-from-keychain' }));
    assert.deepEqual((await call(service, 'ask.status', {})), { provider: 'endpoint', model: 'fake-vision', ready: true, reason: null, missingModel: null, endpointKey: 'app' });
    server.enqueue(streamedAnswer(['Two ', 'red ', 'boats.']));
    const answer = (await call(service, 'ask.send', { photoId: idOf.get('red')!, question: 'What is there?', streamId: 'ask-endpoint-1' }));
    assert.equal(answer.text, 'Two red boats.');
    assert.deepEqual(tokens.get('ask-endpoint-1'), ['Two ', 'red ', 'boats.']);
    assert.equal(answer.conversation.provider, 'endpoint');
    const request = server.requests.at(-1)!;
    assert.equal(request.headers.authorization, 'Bearer sk-from-keychain');
    (await call(service, 'settings.set', { key: 'ask-provider', value: null }));
  });
});

