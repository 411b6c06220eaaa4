import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { CallResult, Conversation, ConversationMessage } from '../lib/types.js';
import { deferred, type Handlers } from '../test/fake-api.js';
import { mountPanel } from '../test/mount-panel.js';
import ViewerAsk from './ViewerAsk.svelte';

type AskResult = CallResult<'ask.send'>;

function conversation(id: number, photoId: number, title: string, updatedAt = 1_720_000_000_000): Conversation {
  return { id, photoId, provider: 'local', model: 'smolvlm-256m-instruct', title, createdAt: updatedAt, updatedAt, messageCount: 2 };
}

function message(id: number, role: 'user' | 'assistant', text: string, finish: ConversationMessage['finish'] = role === 'assistant' ? 'stop' : null): ConversationMessage {
  return { id, role, text, model: role === 'assistant' ? 'smolvlm-256m-instruct' : null, finish, createdAt: 1_720_000_000_000 + id };
}

function answer(conversationId: number, photoId: number, text: string, finish: 'stop' | 'length' | 'cancelled' = 'stop'): AskResult {
  return {
    conversation: conversation(conversationId, photoId, 'first question'),
    text,
    generation: { finish, tokens: 12, model: 'smolvlm-256m-instruct', firstTokenMs: 80, totalMs: 900 },
  };
}

function mountAsk(handlers: Handlers = {}, id = 7) {
  return mountPanel(ViewerAsk, handlers, id);
}

const input = () => screen.getByTestId('ask-input') as HTMLTextAreaElement;
const sendButton = () => screen.getByTestId('ask-send') as HTMLButtonElement;
const bubbles = () => screen.queryAllByTestId('ask-message');
const lastBubble = () => bubbles().at(-1)!;
const bubbleText = (bubble: HTMLElement) => bubble.querySelector('.text')?.textContent ?? '';

/** Waits until the panel can take a question (status read, conversations loaded). */
async function ready() {
  await waitFor(() => expect(input().disabled).toBe(false));
  await waitFor(() => expect(screen.queryByText('Loading…')).toBeNull());
}

async function ask(question: string) {
  await fireEvent.input(input(), { target: { value: question } });
  await fireEvent.click(sendButton());
}

describe('ViewerAsk', () => {
  it('streams the answer into the assistant bubble in order, then shows the final text', async () => {
    const pending = deferred<AskResult>();
    const { backend } = mountAsk({ 'ask.send': () => pending.promise });
    await ready();
    await ask('  How many people are there?  ');

    expect(backend.callsOf('ask.send')).toHaveLength(1);
    const call = backend.callsOf('ask.send')[0]!;
    expect(call).toMatchObject({ photoId: 7, question: 'How many people are there?' });
    expect(call.conversationId).toBeUndefined();

    // The question is on screen at once, and the answer shows it is being worked on.
    expect(bubbles().map((bubble) => bubble.dataset.role)).toEqual(['user', 'assistant']);
    expect(bubbleText(bubbles()[0]!)).toBe('How many people are there?');
    expect(lastBubble().textContent).toContain('Thinking…');
    expect(lastBubble().dataset.finish).toBeUndefined();
    expect(sendButton().dataset.state).toBe('stop');
    expect(input().value).toBe('');
    expect(screen.getByTestId('ask-messages').getAttribute('aria-live')).toBe('polite');

    backend.emit('stream.token', { streamId: call.streamId, text: 'Two ' });
    backend.emit('stream.token', { streamId: 'someoneelse123', text: 'NOISE ' });
    backend.emit('stream.token', { streamId: call.streamId, text: '个人' });
    await waitFor(() => expect(bubbleText(lastBubble())).toBe('Two 个人'));
    backend.emit('stream.token', { streamId: call.streamId, text: ', side by side' });
    await waitFor(() => expect(bubbleText(lastBubble())).toBe('Two 个人, side by side'));
    expect(lastBubble().dataset.finish).toBeUndefined();

    pending.resolve(answer(42, 7, 'Two people, side by side.'));
    await waitFor(() => expect(lastBubble().dataset.finish).toBe('stop'));
    expect(bubbleText(lastBubble())).toBe('Two people, side by side.');
    expect(sendButton().dataset.state).toBe('send');
    expect(screen.queryByTestId('ask-finish-note')).toBeNull();
  });

  it('continues the same conversation: the second question passes the first answer’s conversation id', async () => {
    let turn = 0;
    const { backend } = mountAsk({ 'ask.send': ({ photoId }) => answer(42, photoId, `answer ${++turn}`) });
    await ready();
    await ask('What is this?');
    await waitFor(() => expect(lastBubble().dataset.finish).toBe('stop'));
    await ask('And the colour?');
    await waitFor(() => expect(bubbles()).toHaveLength(4));
    await waitFor(() => expect(lastBubble().dataset.finish).toBe('stop'));

    expect(backend.callsOf('ask.send')[1]).toMatchObject({ photoId: 7, question: 'And the colour?', conversationId: 42 });
    expect(bubbles().map(bubbleText)).toEqual(['What is this?', 'answer 1', 'And the colour?', 'answer 2']);
    // The new conversation is now in the switcher, selected.
    expect((screen.getByTestId('ask-conversations') as HTMLSelectElement).value).toBe('42');
  });

  it('Stop cancels the stream; the partial answer stays with a "stopped" note', async () => {
    const pending = deferred<AskResult>();
    let sofar = '';
    const { backend } = mountAsk({
      'ask.send': () => pending.promise,
      // Like the engine: cancelling makes the call return the text so far.
      'streams.cancel': () => {
        pending.resolve(answer(9, 7, sofar, 'cancelled'));
        return { cancelled: true };
      },
    });
    await ready();
    await ask('Describe the sky');
    const { streamId } = backend.callsOf('ask.send')[0]!;
    sofar = 'A red sunset over';
    backend.emit('stream.token', { streamId, text: sofar });
    await waitFor(() => expect(bubbleText(lastBubble())).toBe('A red sunset over'));

    expect(sendButton().dataset.state).toBe('stop');
    await fireEvent.click(sendButton());
    expect(backend.callsOf('streams.cancel')).toEqual([{ streamId }]);

    await waitFor(() => expect(lastBubble().dataset.finish).toBe('cancelled'));
    expect(bubbleText(lastBubble())).toBe('A red sunset over');
    expect(within(lastBubble()).getByTestId('ask-finish-note').textContent).toBe('Stopped');
    expect(sendButton().dataset.state).toBe('send');
  });

  it('says when an answer was cut off at the maximum length', async () => {
    mountAsk({ 'ask.send': ({ photoId }) => answer(3, photoId, 'A long list: one, two, three', 'length') });
    await ready();
    await ask('List everything');
    await waitFor(() => expect(lastBubble().dataset.finish).toBe('length'));
    expect(within(lastBubble()).getByTestId('ask-finish-note').textContent).toBe('Cut off (max length)');
  });

  it('on an error shows the message, gives the question back to the composer and can send again', async () => {
    let fail = true;
    const { backend } = mountAsk({
      'ask.send': ({ photoId }) => (fail ? Promise.reject(Object.assign(new Error('ask.send: the endpoint answered 401 Unauthorized'), { code: 'endpoint' })) : answer(5, photoId, 'A cat.')),
    });
    await ready();
    await ask('Is that a cat?');

    const alert = await screen.findByTestId('ask-error');
    expect(alert.getAttribute('role')).toBe('alert');
    expect(alert.textContent).toContain('the endpoint answered 401 Unauthorized');
    expect(input().value).toBe('Is that a cat?');
    expect(bubbles()).toHaveLength(0);
    expect(sendButton().dataset.state).toBe('send');
    expect(sendButton().disabled).toBe(false);

    fail = false;
    await fireEvent.click(sendButton());
    await waitFor(() => expect(lastBubble().dataset.finish).toBe('stop'));
    expect(backend.callsOf('ask.send')).toHaveLength(2);
    expect(screen.queryByTestId('ask-error')).toBeNull();
  });

  it('when questions cannot be answered, shows why, points to Settings and disables the composer', async () => {
    const { backend, app } = mountAsk({
      'ask.status': () => ({ provider: 'local', model: null, ready: false, reason: 'No question model is installed (smolvlm-256m-instruct).', missingModel: null, endpointKey: 'none' }),
    });
    const status = screen.getByTestId('ask-status');
    await waitFor(() => expect(status.textContent).toContain('No question model is installed (smolvlm-256m-instruct).'));
    expect(status.textContent).toContain('Settings → Captions & questions');
    expect(status.dataset.ready).toBe('false');
    expect(input().disabled).toBe(true);
    expect(sendButton().disabled).toBe(true);

    await fireEvent.keyDown(input(), { key: 'Enter' });
    expect(backend.callsOf('ask.send')).toEqual([]);

    await fireEvent.click(screen.getByTestId('ask-settings'));
    expect(app.view).toBe('settings');
    expect(app.settingsSection).toBe('ask');
  });

  it('says who answers: the local model, or the model at the endpoint', async () => {
    mountAsk();
    await waitFor(() => expect(screen.getByTestId('ask-status').textContent).toContain('Answered on this computer by smolvlm-256m-instruct'));
  });

  it('names the endpoint model when questions go to an endpoint', async () => {
    mountAsk({ 'ask.status': () => ({ provider: 'endpoint', model: 'gpt-4o-mini', ready: true, reason: null, missingModel: null, endpointKey: 'environment' }) });
    await waitFor(() => expect(screen.getByTestId('ask-status').textContent).toContain('Answered by gpt-4o-mini at your endpoint'));
  });

  it('Enter sends; Shift+Enter and Enter while an input method is composing do not', async () => {
    const { backend } = mountAsk({ 'ask.send': ({ photoId }) => answer(1, photoId, 'ok') });
    await ready();
    await fireEvent.input(input(), { target: { value: '这张照片是在哪里拍的？' } });

    await fireEvent.keyDown(input(), { key: 'Enter', shiftKey: true });
    await fireEvent.keyDown(input(), { key: 'Enter', isComposing: true });
    await fireEvent.keyDown(input(), { key: 'Enter', keyCode: 229 });
    expect(backend.callsOf('ask.send')).toEqual([]);
    expect(input().value).toBe('这张照片是在哪里拍的？');

    await fireEvent.keyDown(input(), { key: 'Enter' });
    expect(backend.callsOf('ask.send')).toHaveLength(1);
    expect(backend.callsOf('ask.send')[0]!.question).toBe('这张照片是在哪里拍的？');
    await waitFor(() => expect(bubbleText(bubbles()[0]!)).toBe('这张照片是在哪里拍的？'));
  });

  it('opens on the newest conversation, switches between them, starts a new one and deletes one', async () => {
    const stored: Record<number, ConversationMessage[]> = {
      5: [message(11, 'user', 'What breed is the dog?'), message(12, 'assistant', 'A border collie.')],
      3: [message(5, 'user', 'Where was this taken?'), message(6, 'assistant', 'On a beach, maybe in', 'length')],
    };
    let list = [conversation(5, 7, 'What breed is the dog?', 1_720_000_500_000), conversation(3, 7, 'Where was this taken?')];
    const { backend } = mountAsk({
      'conversations.list': () => list,
      'conversations.get': ({ id }) => ({ conversation: list.find((item) => item.id === id)!, messages: stored[id]! }),
      'conversations.delete': ({ id }) => {
        list = list.filter((item) => item.id !== id);
        return { deleted: true };
      },
      'ask.send': ({ photoId }) => answer(8, photoId, 'Yes.'),
    });

    await waitFor(() => expect(bubbles().map(bubbleText)).toEqual(['What breed is the dog?', 'A border collie.']));
    expect(backend.callsOf('conversations.list')).toEqual([{ photoId: 7 }]);
    expect(backend.callsOf('conversations.get')).toEqual([{ id: 5 }]);
    expect(bubbles().map((bubble) => bubble.dataset.role)).toEqual(['user', 'assistant']);
    const switcher = screen.getByTestId('ask-conversations') as HTMLSelectElement;
    expect(switcher.value).toBe('5');
    expect([...switcher.options].map((option) => option.textContent)).toEqual([expect.stringContaining('What breed is the dog?'), expect.stringContaining('Where was this taken?')]);

    await fireEvent.change(switcher, { target: { value: '3' } });
    await waitFor(() => expect(bubbles().map(bubbleText)).toEqual(['Where was this taken?', 'On a beach, maybe in']));
    expect(lastBubble().dataset.finish).toBe('length');

    // Delete asks first; Cancel keeps it.
    await fireEvent.click(screen.getByTestId('ask-delete'));
    await fireEvent.click(screen.getByText('Cancel'));
    expect(backend.callsOf('conversations.delete')).toEqual([]);
    await fireEvent.click(screen.getByTestId('ask-delete'));
    await fireEvent.click(screen.getByTestId('ask-delete-confirm'));
    expect(backend.callsOf('conversations.delete')).toEqual([{ id: 3 }]);
    await waitFor(() => expect(bubbles().map(bubbleText)).toEqual(['What breed is the dog?', 'A border collie.']));
    expect([...(screen.getByTestId('ask-conversations') as HTMLSelectElement).options].map((option) => option.value)).toEqual(['5']);

    // A new conversation starts empty and its first question carries no conversation id.
    await fireEvent.click(screen.getByTestId('ask-new'));
    await waitFor(() => expect(bubbles()).toHaveLength(0));
    expect((screen.getByTestId('ask-conversations') as HTMLSelectElement).value).toBe('');
    await ask('Is it sunny?');
    await waitFor(() => expect(lastBubble().dataset.finish).toBe('stop'));
    expect(backend.callsOf('ask.send')[0]!.conversationId).toBeUndefined();
  });

  it('stepping to another photo cancels the running answer, and its late words never show on the new photo', async () => {
    const pending = deferred<AskResult>();
    const { backend, showPhoto } = mountAsk({
      'ask.send': () => pending.promise,
      'conversations.list': ({ photoId }) => (photoId === 8 ? [conversation(20, 8, 'Photo eight')] : []),
      'conversations.get': ({ id }) => ({ conversation: conversation(id, 8, 'Photo eight'), messages: [message(1, 'user', 'Eight?'), message(2, 'assistant', 'Eight.')] }),
    });
    await ready();
    await ask('What is happening here?');
    const { streamId } = backend.callsOf('ask.send')[0]!;
    backend.emit('stream.token', { streamId, text: 'A wedding' });
    await waitFor(() => expect(bubbleText(lastBubble())).toBe('A wedding'));

    await showPhoto(8);
    expect(backend.callsOf('streams.cancel')).toEqual([{ streamId }]);
    await waitFor(() => expect(bubbles().map(bubbleText)).toEqual(['Eight?', 'Eight.']));
    expect(backend.callsOf('conversations.list').at(-1)).toEqual({ photoId: 8 });

    // The old photo's answer arrives late: it must not appear here, nor take over the composer.
    backend.emit('stream.token', { streamId, text: ' party' });
    pending.resolve(answer(99, 7, 'A wedding party.'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(bubbles().map(bubbleText)).toEqual(['Eight?', 'Eight.']);
    expect(sendButton().dataset.state).toBe('send');
    expect((screen.getByTestId('ask-conversations') as HTMLSelectElement).value).toBe('20');
  });

  it('shows answers as plain text, never as HTML', async () => {
    mountAsk({ 'ask.send': ({ photoId }) => answer(1, photoId, '<img src=x onerror=alert(1)><b>bold</b>') });
    await ready();
    await ask('Say something');
    await waitFor(() => expect(lastBubble().dataset.finish).toBe('stop'));
    expect(bubbleText(lastBubble())).toBe('<img src=x onerror=alert(1)><b>bold</b>');
    expect(lastBubble().querySelector('img, b')).toBeNull();
  });
});
