import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { AppStore } from '../lib/app.svelte.js';
import type { CallResult } from '../lib/types.js';
import { deferred, fakeBackend, libraryStatus } from '../test/fake-api.js';
import Harness from '../test/Harness.svelte';
import SettingsRecommended from './SettingsRecommended.svelte';

type Recommended = CallResult<'models.recommended'>;

describe('SettingsRecommended', () => {
  it('downloads the missing models one after another under one progress bar, then makes the library use each', async () => {
    const installed = new Set(['florence-2-base-ft']);
    const settings = new Map<string, string>([['caption-model', 'florence-2-base-ft']]);
    const set = (): Recommended => ({
      provider: 'cpu',
      gpu: false,
      models: [
        { id: 'clip-vit-b32-q8', task: 'clip', title: 'CLIP ViT-B/32, 8-bit', bytes: 150_000_000, installed: installed.has('clip-vit-b32-q8'), setting: 'clip-model', selected: settings.get('clip-model') === 'clip-vit-b32-q8' },
        { id: 'florence-2-base-ft', task: 'caption', title: 'Florence-2 base', bytes: 270_000_000, installed: true, setting: 'caption-model', selected: true },
        { id: 'smolvlm-256m-instruct', task: 'vqa', title: 'SmolVLM 256M', bytes: 250_000_000, installed: installed.has('smolvlm-256m-instruct'), setting: 'ask-model', selected: settings.get('ask-model') === 'smolvlm-256m-instruct' },
      ],
    });
    const first = deferred<CallResult<'models.install'>>();
    const backend = fakeBackend({
      'models.recommended': set,
      'models.install': ({ id }) => {
        const finish = () => {
          installed.add(id);
          return { downloaded: ['onnx/model.onnx'], present: [] };
        };
        return id === 'clip-vit-b32-q8' ? first.promise.then(finish) : finish();
      },
      'settings.set': ({ key, value }) => {
        settings.set(key, String(value));
        return { key, value, default: '', source: 'setting', description: '' };
      },
    });
    const app = new AppStore(backend.transport);
    await app.start();
    render(Harness, { props: { app, component: SettingsRecommended, props: {} } });
    const button = await screen.findByTestId('recommended-download');
    expect(button.textContent).toMatch(/Download and use these \(400 MB\)/);
    expect(screen.getAllByTestId('recommended-model').map((item) => item.dataset.modelId)).toEqual(['clip-vit-b32-q8', 'florence-2-base-ft', 'smolvlm-256m-instruct']);
    await fireEvent.click(button);
    backend.emit('models.progress', { id: 'clip-vit-b32-q8', file: 'onnx/model.onnx', received: 100_000_000, total: 150_000_000, done: false });
    await waitFor(() => expect(screen.getByTestId('recommended-progress').textContent).toMatch(/100 MB \/ 400 MB/));
    first.resolve({ downloaded: [], present: [] });
    await screen.findByTestId('recommended-ready');
    expect(backend.callsOf('models.install')).toEqual([{ id: 'clip-vit-b32-q8' }, { id: 'smolvlm-256m-instruct' }]);
    expect(backend.callsOf('settings.set')).toEqual([
      { key: 'clip-model', value: 'clip-vit-b32-q8' },
      { key: 'ask-model', value: 'smolvlm-256m-instruct' },
    ]);
  });

  it('pauses the set at the model being fetched, says nothing is wrong, and offers to resume', async () => {
    const install = deferred<CallResult<'models.install'>>();
    const backend = fakeBackend({
      'models.recommended': () => ({
        provider: 'cpu',
        gpu: false,
        models: [{ id: 'clip-vit-b32-q8', task: 'clip', title: 'CLIP ViT-B/32, 8-bit', bytes: 150_000_000, installed: false, setting: 'clip-model', selected: false }],
      }),
      'models.install': () => install.promise,
      'models.pause': () => {
        install.reject(Object.assign(new Error('the download of clip-vit-b32-q8 is paused'), { code: 'usage' }));
        return { paused: true };
      },
    });
    const app = new AppStore(backend.transport);
    await app.start();
    render(Harness, { props: { app, component: SettingsRecommended, props: {} } });
    await fireEvent.click(await screen.findByTestId('recommended-download'));
    await fireEvent.click(await screen.findByTestId('recommended-pause'));
    await waitFor(() => expect(screen.getByTestId('recommended-download').textContent?.trim()).toBe('Resume download'));
    expect(backend.callsOf('models.pause')).toEqual([{ id: 'clip-vit-b32-q8' }]);
    expect(backend.callsOf('settings.set')).toEqual([]);
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('says before the click that a different search model re-indexes the photos already indexed', async () => {
    const backend = fakeBackend({
      'library.status': () => libraryStatus({ folders: 1, total: 1200 }),
      'models.recommended': () => ({
        provider: 'cpu',
        gpu: false,
        models: [{ id: 'clip-vit-b32-q8', task: 'clip', title: 'CLIP ViT-B/32, 8-bit', bytes: 150_000_000, installed: false, setting: 'clip-model', selected: false }],
      }),
    });
    const app = new AppStore(backend.transport);
    await app.start();
    render(Harness, { props: { app, component: SettingsRecommended, props: {} } });
    expect((await screen.findByTestId('recommended-reembeds')).textContent).toContain('the 1,200 photos indexed for search are indexed again');
  });
});
