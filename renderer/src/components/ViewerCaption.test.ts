import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import { AppStore } from '../lib/app.svelte.js';
import type { Caption, CallResult } from '../lib/types.js';
import { deferred, fakeBackend, type Handlers } from '../test/fake-api.js';
import Harness from '../test/Harness.svelte';
import ViewerCaption from './ViewerCaption.svelte';

const generated = (text: string): Caption => ({ text, model: 'florence-2-base-ft', detail: 'brief', edited: false, updatedAt: Date.UTC(2026, 0, 2, 10) });

function mount(handlers: Handlers = {}, id = 7) {
  const backend = fakeBackend(handlers);
  const app = new AppStore(backend.transport);
  const view = render(Harness, { props: { app, component: ViewerCaption, props: { id } } });
  return { backend, app, view };
}

describe('ViewerCaption', () => {
  it('shows the caption with who wrote it', async () => {
    mount({ 'captions.get': () => generated('A dog on a beach.') });
    expect((await screen.findByTestId('caption-text')).textContent).toBe('A dog on a beach.');
    expect(screen.getByTestId('caption-meta').textContent).toContain('Written by florence-2-base-ft');
  });

  it('streams a new caption word by word, then shows the stored one', async () => {
    const answer = deferred<CallResult<'captions.generate'>>();
    const { backend } = mount({ 'captions.generate': () => answer.promise });
    await fireEvent.click(await screen.findByTestId('caption-generate'));
    const [args] = backend.callsOf('captions.generate');
    expect(args).toMatchObject({ photoId: 7, replaceEdited: false });
    backend.emit('stream.token', { streamId: args!.streamId, text: 'A red ' });
    backend.emit('stream.token', { streamId: 'someone-elses', text: 'NOISE' });
    backend.emit('stream.token', { streamId: args!.streamId, text: 'boat' });
    await waitFor(() => expect(screen.getByTestId('caption-text').textContent).toBe('A red boat'));
    const stop = screen.getByTestId('caption-generate');
    expect(stop.dataset.state).toBe('stop');
    answer.resolve({ caption: generated('A red boat.'), text: 'A red boat.', generation: { finish: 'stop', tokens: 4, model: 'florence-2-base-ft', firstTokenMs: 10, totalMs: 40 } });
    await waitFor(() => expect(screen.getByTestId('caption-generate').dataset.state).toBe('generate'));
    expect(screen.getByTestId('caption-text').textContent).toBe('A red boat.');
  });

  it('stops a caption being written', async () => {
    const answer = deferred<CallResult<'captions.generate'>>();
    const { backend } = mount({ 'captions.generate': () => answer.promise });
    await fireEvent.click(await screen.findByTestId('caption-generate'));
    await fireEvent.click(screen.getByTestId('caption-generate'));
    expect(backend.callsOf('streams.cancel')).toEqual([{ streamId: backend.callsOf('captions.generate')[0]!.streamId }]);
    answer.resolve({ caption: null, text: 'A', generation: { finish: 'cancelled', tokens: 1, model: 'florence-2-base-ft', firstTokenMs: 10, totalMs: 20 } });
    await waitFor(() => expect(screen.getByTestId('caption-none')).toBeTruthy());
  });

  it("asks before replacing the user's own caption", async () => {
    const mine: Caption = { ...generated('Grandma’s garden'), model: 'person', edited: true };
    const { backend } = mount({
      'captions.get': () => mine,
      'captions.generate': () => ({ caption: generated('A garden.'), text: 'A garden.', generation: { finish: 'stop', tokens: 3, model: 'florence-2-base-ft', firstTokenMs: 1, totalMs: 2 } }),
    });
    expect((await screen.findByTestId('caption-meta')).textContent).toContain('Written by you');
    await fireEvent.click(screen.getByTestId('caption-generate'));
    expect(backend.callsOf('captions.generate')).toEqual([]);
    await fireEvent.click(screen.getByTestId('caption-replace'));
    expect(backend.callsOf('captions.generate')[0]).toMatchObject({ replaceEdited: true });
    await waitFor(() => expect(screen.getByTestId('caption-text').textContent).toBe('A garden.'));
  });

  it('Esc in the "replace your own caption?" question dismisses the question only, never reaching the viewer', async () => {
    const mine: Caption = { ...generated('Grandma’s garden'), model: 'person', edited: true };
    const { backend } = mount({ 'captions.get': () => mine });
    await screen.findByTestId('caption-meta');
    await fireEvent.click(screen.getByTestId('caption-generate'));
    const keep = screen.getByTestId('caption-keep-mine');
    await waitFor(() => expect(document.activeElement).toBe(keep));
    // The viewer closes on an Esc that reaches the window (unless it was marked handled).
    const reachedWindow = vi.fn((event: KeyboardEvent) => event.defaultPrevented);
    window.addEventListener('keydown', reachedWindow);
    try {
      await fireEvent.keyDown(keep, { key: 'Escape' });
      expect(screen.queryByTestId('caption-replace-confirm')).toBeNull();
      expect(reachedWindow).not.toHaveBeenCalled();
      expect(document.activeElement).toBe(screen.getByTestId('caption-generate'));
      expect(backend.callsOf('captions.generate')).toEqual([]);
      // With no question open, Esc goes on to the viewer as before.
      await fireEvent.keyDown(screen.getByTestId('caption-generate'), { key: 'Escape' });
      expect(reachedWindow).toHaveBeenCalledTimes(1);
      expect(reachedWindow.mock.results[0]!.value).toBe(false);
    } finally {
      window.removeEventListener('keydown', reachedWindow);
    }
  });

  it('saves an edit as the user’s caption; a failed save keeps the draft', async () => {
    let fail = true;
    const { backend } = mount({
      'captions.get': () => generated('A dog.'),
      'captions.save': ({ text }) => {
        if (fail) throw Object.assign(new Error('captions.save: database is locked'), { code: 'internal' });
        return { ...generated(text), model: 'florence-2-base-ft', edited: true };
      },
    });
    await fireEvent.click(await screen.findByTestId('caption-edit'));
    const input = screen.getByTestId('caption-input') as HTMLTextAreaElement;
    expect(input.value).toBe('A dog.');
    await fireEvent.input(input, { target: { value: 'Rex on the beach at Brighton' } });
    await fireEvent.click(screen.getByTestId('caption-save'));
    expect((await screen.findByTestId('caption-error')).textContent).toContain('database is locked');
    expect((screen.getByTestId('caption-input') as HTMLTextAreaElement).value).toBe('Rex on the beach at Brighton');
    fail = false;
    await fireEvent.keyDown(screen.getByTestId('caption-input'), { key: 'Enter', ctrlKey: true });
    await waitFor(() => expect(screen.getByTestId('caption-text').textContent).toBe('Rex on the beach at Brighton'));
    expect(screen.getByTestId('caption-meta').textContent).toContain('Written by you');
    expect(backend.callsOf('captions.save').at(-1)).toEqual({ photoId: 7, text: 'Rex on the beach at Brighton' });
  });

  it('says why it cannot caption when no model is installed', async () => {
    mount({ 'captions.status': () => ({ model: 'florence-2-base-ft', installed: false, reason: 'florence-2-base-ft is not installed', missingModel: null, detail: 'brief', readsText: true, captioned: 0, edited: 0, photos: 3 }) });
    expect((await screen.findByTestId('caption-none')).textContent).toContain('florence-2-base-ft is not installed');
    expect(screen.queryByTestId('caption-generate')).toBeNull();
    expect(screen.getByTestId('caption-install')).toBeTruthy();
  });

  it('reloads when a batch captions this photo', async () => {
    let text: string | null = null;
    const { backend } = mount({ 'captions.get': () => (text ? generated(text) : null) });
    await screen.findByTestId('caption-none');
    text = 'A cat asleep.';
    backend.emit('caption', { photoId: 8, text: 'other photo', model: 'florence-2-base-ft' });
    backend.emit('caption', { photoId: 7, text, model: 'florence-2-base-ft' });
    await waitFor(() => expect(screen.getByTestId('caption-text').textContent).toBe('A cat asleep.'));
  });

  it('reads the text in the photo, streamed, and says when there is none', async () => {
    const answer = deferred<CallResult<'captions.readText'>>();
    const { backend } = mount({ 'captions.readText': () => answer.promise });
    await fireEvent.click(await screen.findByTestId('caption-read-text'));
    const [args] = backend.callsOf('captions.readText');
    expect(args).toMatchObject({ photoId: 7 });
    backend.emit('stream.token', { streamId: args!.streamId, text: 'EXIT ' });
    await waitFor(() => expect(screen.getByTestId('caption-read-result').textContent).toContain('EXIT'));
    expect(screen.getByTestId('caption-read-text').dataset.state).toBe('stop');
    answer.resolve({ text: 'EXIT 12', stored: false, generation: { finish: 'stop', tokens: 3, model: 'florence-2-base-ft', firstTokenMs: 5, totalMs: 9 } });
    await waitFor(() => expect(screen.getByTestId('caption-read-result').textContent).toContain('EXIT 12'));
    expect(screen.getByTestId('caption-read-text').dataset.state).toBe('read');
    expect(backend.callsOf('captions.save')).toEqual([]);
    expect(screen.queryByTestId('caption-read-stored')).toBeNull();
    backend.handlers['captions.readText'] = () => ({ text: 'CAFE LUNA', stored: true, generation: { finish: 'stop', tokens: 2, model: 'florence-2-base-ft', firstTokenMs: 5, totalMs: 9 } });
    await fireEvent.click(screen.getByTestId('caption-read-text'));
    await waitFor(() => expect(screen.getByTestId('caption-read-stored').textContent).toBe('Kept with the photo: search finds it by this text.'));
    backend.handlers['captions.readText'] = () => ({ text: '', stored: false, generation: { finish: 'stop', tokens: 1, model: 'florence-2-base-ft', firstTokenMs: 5, totalMs: 9 } });
    await fireEvent.click(screen.getByTestId('caption-read-text'));
    await waitFor(() => expect(screen.getByTestId('caption-read-result').textContent).toContain('No text found.'));
  });

  it('shows the text kept from an earlier reading with the photo', async () => {
    mount({ 'captions.textInPhoto': () => ({ text: 'CAFE LUNA', model: 'florence-2-base-ft', updatedAt: 1 }) });
    await waitFor(() => expect(screen.getByTestId('caption-read-result').textContent).toContain('CAFE LUNA'));
    expect(screen.getByTestId('caption-read-stored')).toBeTruthy();
  });

  it('offers no text reading for a captioner without an OCR task', async () => {
    mount({ 'captions.status': () => ({ model: 'vit-gpt2-image-captioning', installed: true, reason: null, missingModel: null, detail: 'brief', readsText: false, captioned: 0, edited: 0, photos: 3 }) });
    await screen.findByTestId('caption-generate');
    expect(screen.queryByTestId('caption-read-text')).toBeNull();
  });
});
