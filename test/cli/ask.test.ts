import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { smolvlmAnswer } from '../fixtures/vlm/smolvlm-fixture.js';
import { colourOf, colourPhotos, fixtureModels } from '../helpers/colour-photos.js';
import { errorReply, type FakeChatServer, startFakeChatServer, streamedAnswer } from '../helpers/fake-chat-server.js';
import { cliPath, tempDir } from '../helpers/fixtures.js';
import { runIrisHere } from '../helpers/cli-in-process.js';

// `iris ask`, `iris chat`, `iris conversations` through the real CLI: the fixture VLM (answers what
// colour a photo is) and a local server speaking the chat-completions protocol.

const models = ['--models', fixtureModels];

/** The CLI as a child process without blocking this one (the fake server runs on this event loop). */
function irisAsync(args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliPath, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('iris ask / chat / conversations', () => {
  const library = tempDir('iris-ask-lib-');
  let photos: string[];
  let server: FakeChatServer;

  before(async () => {
    photos = await colourPhotos(tempDir('iris-ask-'), 1);
    const index = await runIrisHere(['index', photos[0]!.replace(/\/[^/]+$/, ''), '--library', library, ...models]);
    assert.equal(index.code, 0, index.stderr);
    server = await startFakeChatServer();
  });
  after(() => server.close());

  const red = () => photos.find((p) => colourOf(p) === 'red')!;

  it('ask streams the local model\'s answer, in English and in Chinese, and keeps the conversation', async () => {
    const english = await runIrisHere(['ask', red(), 'What colour is it?', '--library', library, ...models]);
    assert.equal(english.code, 0, english.stderr);
    assert.equal(english.stdout, `${smolvlmAnswer('red')}\n`);
    const chinese = await runIrisHere(['ask', red(), '这是什么颜色？', '--library', library, ...models, '--json']);
    const result = JSON.parse(chinese.stdout) as { answer: { text: string; finish: string }; conversation: { id: number; title: string } };
    assert.deepEqual([result.answer.text, result.answer.finish], [smolvlmAnswer('red', { chinese: true }), 'stop']);
    assert.equal(result.conversation.title, '这是什么颜色？');
    const shown = JSON.parse((await runIrisHere(['conversations', '--show', String(result.conversation.id), '--library', library, '--json'])).stdout) as { messages: { role: string; text: string }[] };
    assert.deepEqual(shown.messages.map((m) => [m.role, m.text]), [['user', '这是什么颜色？'], ['assistant', '是红色。']]);
  });

  it('chat keeps the history across turns and can be continued later', async () => {
    const blue = photos.find((p) => colourOf(p) === 'blue')!;
    const chat = spawnSync(process.execPath, [cliPath, 'chat', blue, '--library', library, ...models], { input: 'What colour is it?\nWhat colour is it, really?\n/quit\n', encoding: 'utf8' });
    assert.equal(chat.status, 0, chat.stderr);
    assert.match(chat.stdout, /iris> It is blue\.\n/);
    assert.match(chat.stdout, /iris> It is still blue\.\n/, 'the second turn saw the first');
    const id = /conversation (\d+)/.exec(chat.stdout)![1]!;
    const again = spawnSync(process.execPath, [cliPath, 'chat', blue, '--conversation', id, '--library', library, ...models], { input: 'What colour?\n', encoding: 'utf8' });
    assert.match(again.stdout, /iris> It is still blue\./);
    const list = JSON.parse((await runIrisHere(['conversations', blue, '--library', library, '--json'])).stdout) as { id: number; messageCount: number }[];
    assert.deepEqual(list.map((c) => [c.id, c.messageCount]), [[Number(id), 6]]);
  });

  it('asks an OpenAI-compatible endpoint: the photo goes as a data URL, the key from the environment, the answer streams', async () => {
    server.enqueue(streamedAnswer(['A red ', 'square, ', '红色的。']));
    const env = { IRIS_ENDPOINT_URL: `${server.baseUrl}`, IRIS_ENDPOINT_MODEL: 'vision-test', IRIS_ENDPOINT_API_KEY: 'sk-test-secret' };
    const answer = await irisAsync(['ask', red(), 'Describe it', '--provider', 'endpoint', '--library', library, ...models], env);
    assert.equal(answer.code, 0, answer.stderr);
    assert.equal(answer.stdout, 'A red square, 红色的。\n');
    const request = server.requests.at(-1)!;
    assert.equal(request.headers.authorization, 'Bearer sk-test-secret');
    assert.equal(request.body?.model, 'vision-test');
    assert.match(JSON.stringify(request.body?.messages), /data:image\/jpeg;base64,/);

    server.enqueue(errorReply(401, 'invalid api key'));
    const refused = await irisAsync(['ask', red(), 'Describe it', '--provider', 'endpoint', '--library', library, ...models], env);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /refused the API key \(401: invalid api key\)/);
    assert.doesNotMatch(refused.stderr, /sk-test-secret/);
  });

  it('refuses an unknown photo and an empty question with usage errors', async () => {
    assert.equal((await runIrisHere(['ask', '99999', 'what?', '--library', library, ...models])).code, 2);
    assert.equal((await runIrisHere(['ask', red(), '  ', '--library', library, ...models])).code, 2);
  });
});
