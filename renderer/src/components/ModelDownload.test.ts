import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { AppStore } from '../lib/app.svelte.js';
import type { CallResult } from '../lib/types.js';
import { deferred, fakeBackend, type Handlers } from '../test/fake-api.js';
import Harness from '../test/Harness.svelte';
import ViewerCaption from './ViewerCaption.svelte';

/** A "model missing" place (the caption panel) offers a Download button for the model it needs, never a command. */
async function mount(handlers: Handlers) {
  const backend = fakeBackend(handlers);
  const app = new AppStore(backend.transport);
  await app.start(); // subscribes to the engine's events (models.progress among them), then loads
  render(Harness, { props: { app, component: ViewerCaption, props: { id: 7 } } });
  return { backend, app };
}

describe('ModelDownload in the caption panel', () => {
  it('names the model, downloads it with progress, then the panel can caption', async () => {
    let installed = false;
    const install = deferred<CallResult<'models.install'>>();
    const { backend } = await mount({
      'captions.status': () => ({
        model: 'florence-2-base-ft',
        installed,
        reason: installed ? null : 'model florence-2-base-ft is not installed: run `iris models install florence-2-base-ft`',
        missingModel: installed ? null : 'florence-2-base-ft',
        detail: 'brief',
        readsText: true,
        captioned: 0,
        edited: 0,
        photos: 3,
      }),
      'models.install': () => install.promise,
    });
    const offer = await screen.findByTestId('model-download');
    expect(offer.textContent).toContain('This needs florence-2-base-ft, which is not downloaded yet.');
    expect(offer.textContent).not.toContain('iris models install');
    await fireEvent.click(screen.getByTestId('model-download-button'));
    expect(backend.callsOf('models.install')).toEqual([{ id: 'florence-2-base-ft' }]);
    backend.emit('models.progress', { id: 'florence-2-base-ft', file: 'onnx/model.onnx', received: 50, total: 200, done: false });
    await waitFor(() => expect(screen.getByTestId('model-download-button').textContent).toMatch(/Downloading 25\s?%/));
    installed = true;
    install.resolve({ downloaded: ['onnx/model.onnx'], present: [] });
    await waitFor(() => expect(screen.queryByTestId('model-download')).toBeNull());
    expect(screen.getByTestId('caption-generate')).toBeTruthy();
  });

  it('says what went wrong with the download beside the button', async () => {
    await mount({
      'captions.status': () => ({ model: 'florence-2-base-ft', installed: false, reason: 'not installed', missingModel: 'florence-2-base-ft', detail: 'brief', readsText: true, captioned: 0, edited: 0, photos: 3 }),
      'models.install': () => {
        throw Object.assign(new Error('no connection to huggingface.co'), { code: 'unavailable' });
      },
    });
    await fireEvent.click(await screen.findByTestId('model-download-button'));
    expect((await screen.findByRole('alert')).textContent).toBe('Iris cannot do this right now: no connection to huggingface.co');
  });

  it('pauses: the engine is told, no error is shown, and the button offers to resume', async () => {
    const install = deferred<CallResult<'models.install'>>();
    const { backend } = await mount({
      'captions.status': () => ({ model: 'florence-2-base-ft', installed: false, reason: 'not installed', missingModel: 'florence-2-base-ft', detail: 'brief', readsText: true, captioned: 0, edited: 0, photos: 3 }),
      'models.install': () => install.promise,
      'models.pause': () => {
        install.reject(Object.assign(new Error('the download of florence-2-base-ft is paused'), { code: 'usage' }));
        return { paused: true };
      },
    });
    await fireEvent.click(await screen.findByTestId('model-download-button'));
    await fireEvent.click(await screen.findByTestId('model-download-pause'));
    await waitFor(() => expect(screen.getByTestId('model-download-button').textContent).toBe('Resume download'));
    expect(backend.callsOf('models.pause')).toEqual([{ id: 'florence-2-base-ft' }]);
    expect(screen.queryByRole('alert')).toBeNull();
    expect(screen.queryByTestId('model-download-pause')).toBeNull();
  });
});
