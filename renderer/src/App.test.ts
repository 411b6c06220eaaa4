import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import App from './App.svelte';
import { deferred, fakeBackend, folder, libraryStatus, timeline, type Handlers } from './test/fake-api.js';
import { setLanguage, setTheme } from './lib/prefs.svelte.js';
import type { CallResult } from './lib/types.js';

function mountApp(handlers: Handlers = {}, mode: 'desktop' | 'browser' = 'browser', searchDelayMs = 200) {
  const backend = fakeBackend(handlers, mode);
  render(App, { props: { transport: backend.transport, searchDelayMs } });
  return backend;
}

const answer = (ids: number[]): CallResult<'search.text'> => ({
  model: 'clip-vit-b32',
  results: ids.map((id, rank) => ({ id, score: 1 - rank / 100 })),
  relevant: ids.length,
  cutoff: null,
  notice: null,
  timings: { encode_ms: 3, search_ms: 1 },
});

const libraryWithPhotos: Handlers = {
  'library.status': () => libraryStatus({ folders: 1, total: 30 }),
  'folders.list': () => [folder(1, '/home/me/Pictures')],
  'photos.timeline': () => timeline(30),
};

const resultIds = () => screen.queryAllByTestId('result-cell').map((cell) => Number(cell.dataset.photoId));

describe('empty states', () => {
  it('says to add a folder when there is none', async () => {
    mountApp();
    const empty = await screen.findByTestId('empty-state');
    expect(empty.dataset.kind).toBe('no-folders');
    expect(empty.textContent).toContain('Add a folder of photos');
  });

  it('says to install the search model when the CLIP model is missing, without calling search', async () => {
    const backend = mountApp({ ...libraryWithPhotos, 'library.status': () => libraryStatus({ folders: 1, total: 30, clipInstalled: false }) });
    await screen.findAllByTestId('grid-cell');
    expect(screen.getByTestId('model-notice').textContent).toContain('Settings → Models');
    await fireEvent.input(screen.getByTestId('search-input'), { target: { value: 'a dog on the beach' } });
    const empty = await screen.findByTestId('empty-state');
    expect(empty.dataset.kind).toBe('no-model');
    expect(empty.textContent).toContain('Install the search model in Settings → Models');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(backend.callsOf('search.text')).toEqual([]);
  });

  it('shows the error message of a failed call instead of a blank screen', async () => {
    mountApp({
      ...libraryWithPhotos,
      'photos.timeline': () => Promise.reject(Object.assign(new Error('photos.timeline: database is locked'), { code: 'internal' })),
    });
    const empty = await screen.findByTestId('empty-state');
    expect(empty.dataset.kind).toBe('error');
    expect(empty.textContent).toContain('database is locked');
  });

  it('says no photos match when a search has no results', async () => {
    mountApp(libraryWithPhotos, 'browser', 10);
    await screen.findAllByTestId('grid-cell');
    await fireEvent.input(screen.getByTestId('search-input'), { target: { value: 'zebra' } });
    await waitFor(() => expect(screen.getByTestId('empty-state').dataset.kind).toBe('no-results'));
  });
});

describe('folders', () => {
  it('browser mode: adds the typed path with folders.add and lists the new folder', async () => {
    let folders: CallResult<'folders.list'> = [];
    const backend = mountApp({
      'folders.list': () => folders,
      'folders.add': ({ path }) => {
        folders = [folder(4, path)];
        return folders[0]!;
      },
    });
    // With no folder yet, the path field sits in the library's empty state (and only there).
    const empty = await screen.findByTestId('empty-state');
    const input = within(empty).getByTestId('folder-path-input');
    expect(screen.getAllByTestId('folder-path-input')).toHaveLength(1);
    expect(screen.queryByTestId('folder-choose')).toBeNull();
    await fireEvent.input(input, { target: { value: '  /srv/photos/2024  ' } });
    await fireEvent.click(within(empty).getByTestId('folder-add'));
    await waitFor(() => expect(backend.callsOf('folders.add')).toEqual([{ path: '/srv/photos/2024' }]));
    const item = await screen.findByTestId('folder-item');
    expect(item.dataset.path).toBe('/srv/photos/2024');
    // The field moved back to the sidebar, empty, ready for the next folder.
    expect(screen.getAllByTestId('folder-path-input').map((field) => (field as HTMLInputElement).value)).toEqual(['']);
  });

  it('desktop: the native dialog (folders.choose) replaces the path field', async () => {
    const backend = mountApp({ 'app.capabilities': () => ({ mode: 'desktop', nativeFolderDialog: true, openExternal: true, storesSecrets: true }), 'folders.choose': () => null }, 'desktop');
    await fireEvent.click(await screen.findByTestId('folder-choose'));
    expect(screen.queryByTestId('folder-path-input')).toBeNull();
    await waitFor(() => expect(backend.callsOf('folders.choose')).toHaveLength(1));
  });

  it('remove asks first, says the files on disk stay, then calls folders.remove', async () => {
    let folders = [folder(1, '/home/me/Pictures')];
    const backend = mountApp({
      'folders.list': () => folders,
      'folders.remove': () => {
        folders = [];
        return { photos: 30 };
      },
    });
    const item = await screen.findByTestId('folder-item');
    await fireEvent.click(within(item).getByTestId('folder-remove'));
    const dialog = screen.getByTestId('confirm-dialog');
    expect(dialog.textContent).toContain('The files on disk are not touched');
    expect(backend.callsOf('folders.remove')).toEqual([]);
    await fireEvent.click(screen.getByTestId('confirm-ok'));
    await waitFor(() => expect(backend.callsOf('folders.remove')).toEqual([{ folderId: 1 }]));
    await waitFor(() => expect(screen.queryByTestId('folder-item')).toBeNull());
  });

  it('clicking a folder shows only its photos (photos.timeline with folderId)', async () => {
    const backend = mountApp({ ...libraryWithPhotos, 'folders.list': () => [folder(1, '/a'), folder(2, '/b')] });
    const items = await screen.findAllByTestId('folder-item');
    await fireEvent.click(within(items[1]!).getByRole('button', { name: 'b' }));
    await waitFor(() => expect(backend.callsOf('photos.timeline')).toContainEqual({ folderId: 2 }));
  });
});

describe('search', () => {
  it('debounces typing: one search.text for the final query', async () => {
    const backend = mountApp({ ...libraryWithPhotos, 'search.text': ({ query }) => answer(query === 'cat' ? [3, 1, 2] : [9]) });
    await screen.findAllByTestId('grid-cell');
    const input = screen.getByTestId('search-input');
    for (const value of ['c', 'ca', 'cat']) await fireEvent.input(input, { target: { value } });
    await waitFor(() => expect(resultIds()).toEqual([3, 1, 2]));
    expect(backend.callsOf('search.text').map((args) => args.query)).toEqual(['cat']);
    expect(backend.callsOf('search.text')[0]).toMatchObject({ limit: 200 });
  });

  it('drops a stale answer: a slow "dog" arriving after "cat" never replaces the cat results', async () => {
    const slowDog = deferred<CallResult<'search.text'>>();
    mountApp({ ...libraryWithPhotos, 'search.text': ({ query }) => (query === 'dog' ? slowDog.promise : answer([5, 6])) }, 'browser', 20);
    await screen.findAllByTestId('grid-cell');
    const input = screen.getByTestId('search-input');
    await fireEvent.input(input, { target: { value: 'dog' } });
    await new Promise((resolve) => setTimeout(resolve, 60)); // the dog search is in flight
    await fireEvent.input(input, { target: { value: 'cat' } });
    await waitFor(() => expect(resultIds()).toEqual([5, 6]));
    slowDog.resolve(answer([7, 8, 9]));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(resultIds()).toEqual([5, 6]);
    expect(screen.getByTestId('results').dataset.answered).toBe('cat');
  });

  it('shows results in the engine\'s rank order without scores, and passes filters', async () => {
    const backend = mountApp({ ...libraryWithPhotos, 'search.text': () => answer([12, 4, 30, 7]) }, 'browser', 10);
    await screen.findAllByTestId('grid-cell');
    await fireEvent.input(screen.getByTestId('search-input'), { target: { value: 'sunset' } });
    await waitFor(() => expect(resultIds()).toEqual([12, 4, 30, 7]));
    expect(screen.getByTestId('results').textContent).not.toMatch(/0\.9|score/i);
    await fireEvent.click(screen.getByTestId('filters-toggle'));
    await fireEvent.change(screen.getByTestId('filter-after'), { target: { value: '2024-06-01' } });
    await fireEvent.click(screen.getByTestId('filter-format-png'));
    await waitFor(() => expect(backend.callsOf('search.text').at(-1)).toEqual({ query: 'sunset', limit: 200, after: '2024-06-01', formats: ['png'] }));
  });

  it('zero-shot tags run on the current results with the typed labels', async () => {
    const backend = mountApp({
      ...libraryWithPhotos,
      'search.text': () => answer([3, 4]),
      'tags.zeroShot': ({ photoIds, labels }) =>
        photoIds.map((photoId) => ({ photoId, labels: labels.map((label, i) => ({ label, probability: i === (photoId === 3 ? 0 : 1) ? 0.8 : 0.2 / (labels.length - 1) })) })),
    }, 'browser', 10);
    await screen.findAllByTestId('grid-cell');
    await fireEvent.input(screen.getByTestId('search-input'), { target: { value: 'pets' } });
    await waitFor(() => expect(resultIds()).toEqual([3, 4]));
    await fireEvent.click(screen.getByTestId('tags-toggle'));
    await fireEvent.input(screen.getByTestId('tags-input'), { target: { value: 'cat, dog，  , cat' } });
    await fireEvent.click(screen.getByTestId('tags-run'));
    await waitFor(() => expect(screen.getAllByTestId('tags-result')).toHaveLength(2));
    expect(backend.callsOf('tags.zeroShot')).toEqual([{ photoIds: [3, 4], labels: ['cat', 'dog'], save: false }]);
    expect(screen.getAllByTestId('tags-result').map((row) => row.dataset.bestLabel)).toEqual(['cat', 'dog']);
  });

  it('"/" focuses the search box', async () => {
    mountApp(libraryWithPhotos);
    await screen.findAllByTestId('grid-cell');
    await fireEvent.keyDown(document.body, { key: '/' });
    expect(document.activeElement).toBe(screen.getByTestId('search-input'));
  });
});

describe('viewer', () => {
  it('keeps the Ask tab (what was typed, a streaming answer) while the Info tab is looked at', async () => {
    mountApp(libraryWithPhotos);
    const cells = await screen.findAllByTestId('grid-cell');
    await fireEvent.click(cells[0]!);
    await fireEvent.click(await screen.findByTestId('viewer-tab-ask'));
    const input = (await screen.findByTestId('ask-input')) as HTMLTextAreaElement;
    await fireEvent.input(input, { target: { value: 'How many people are there?' } });
    await fireEvent.click(screen.getByTestId('viewer-tab-info'));
    expect(screen.getByTestId('viewer-ask').closest('[hidden]')).not.toBeNull();
    await fireEvent.click(screen.getByTestId('viewer-tab-ask'));
    expect((screen.getByTestId('ask-input') as HTMLTextAreaElement).value).toBe('How many people are there?');
  });

  it('opens from the grid with metadata, steps with ←/→ through the grid order, closes with Esc', async () => {
    const backend = mountApp(libraryWithPhotos);
    const cells = await screen.findAllByTestId('grid-cell');
    await fireEvent.click(cells[2]!);
    const viewer = await screen.findByTestId('viewer');
    expect(viewer.dataset.photoId).toBe(cells[2]!.dataset.photoId);
    const meta = await screen.findByTestId('viewer-meta');
    expect(meta.textContent).toContain('Apple iPhone 13');
    expect(meta.textContent).toContain('4032 × 3024');
    expect(meta.textContent).toContain('/photos/IMG_');
    expect(meta.textContent).toContain('Neuilly-sur-Seine, Paris, France 法国');
    expect((await screen.findByTestId('caption-none')).textContent).toContain('No caption yet');
    await fireEvent.keyDown(window, { key: 'ArrowRight' });
    expect(screen.getByTestId('viewer').dataset.photoId).toBe(cells[3]!.dataset.photoId);
    await fireEvent.keyDown(window, { key: 'ArrowLeft' });
    await fireEvent.keyDown(window, { key: 'ArrowLeft' });
    expect(screen.getByTestId('viewer').dataset.photoId).toBe(cells[1]!.dataset.photoId);
    await waitFor(() => expect(backend.callsOf('photos.get').map((args) => args.id)).toContain(Number(cells[1]!.dataset.photoId)));
    await fireEvent.keyDown(window, { key: 'Escape' });
    expect(screen.queryByTestId('viewer')).toBeNull();
  });

  it('"Find similar" runs search.similar for the photo and shows the look-alikes', async () => {
    const backend = mountApp({ ...libraryWithPhotos, 'search.similar': ({ photoId }) => answer(photoId === 30 ? [29, 28] : []) });
    const cells = await screen.findAllByTestId('grid-cell');
    await fireEvent.click(cells[0]!);
    await fireEvent.click(await screen.findByTestId('viewer-similar'));
    await waitFor(() => expect(resultIds()).toEqual([29, 28]));
    expect(backend.callsOf('search.similar')).toContainEqual({ photoId: 30, limit: 200 });
    expect(screen.getByTestId('similar-chip').dataset.photoId).toBe('30');
  });
});

describe('live updates', () => {
  it('shows a banner while the engine restarts and reloads when it is back', async () => {
    const backend = mountApp(libraryWithPhotos);
    await screen.findAllByTestId('grid-cell');
    backend.emit('engine.state', { state: 'restarting', message: null });
    expect((await screen.findByTestId('banner')).dataset.kind).toBe('engine-restarting');
    const before = backend.callsOf('photos.timeline').length;
    backend.emit('engine.state', { state: 'ready', message: null });
    await waitFor(() => expect(screen.queryByTestId('banner')).toBeNull());
    await waitFor(() => expect(backend.callsOf('photos.timeline').length).toBeGreaterThan(before));
  });

  it('shows a reconnecting banner when the socket drops', async () => {
    const backend = mountApp(libraryWithPhotos);
    await screen.findAllByTestId('grid-cell');
    backend.setConnection('reconnecting');
    expect((await screen.findByTestId('banner')).dataset.kind).toBe('reconnecting');
  });

  it('refreshes the timeline at most about once a second while photo events flood in', async () => {
    let count = 10;
    const backend = mountApp({ ...libraryWithPhotos, 'photos.timeline': () => timeline(count) });
    await screen.findAllByTestId('grid-cell');
    const before = backend.callsOf('photos.timeline').length;
    for (let i = 0; i < 50; i++) {
      count++;
      backend.emit('photo', { event: 'added', path: `/p/${i}.jpg`, photoId: 100 + i });
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(backend.callsOf('photos.timeline').length - before).toBeLessThanOrEqual(1);
    await waitFor(() => expect(screen.getByTestId('grid').dataset.count).toBe('60'), { timeout: 2000 });
    expect(backend.callsOf('photos.timeline').length - before).toBeLessThanOrEqual(2);
  });

  it('the Activity panel shows live progress, failures, and pauses the queue', async () => {
    const backend = mountApp({
      ...libraryWithPhotos,
      'jobs.status': () => ({
        paused: false,
        running: true,
        kinds: [{ kind: 'thumbnail', pending: 5, running: 1, done: 20, failed: 1 }],
        failures: [{ photoId: 9, path: '/photos/broken.jpg', error: 'Input buffer contains unsupported image format' }],
      }),
      'jobs.pause': () => ({ paused: true }),
    });
    await screen.findAllByTestId('grid-cell');
    await fireEvent.click(screen.getByTestId('nav-activity'));
    const panel = await screen.findByTestId('jobs-panel');
    await waitFor(() => expect(panel.textContent).toContain('unsupported image format'));
    backend.emit('progress', { phase: 'jobs', kind: 'embed:clip-vit-b32', done: 40, failed: 0, total: 100, rate: 4.5, etaSeconds: 5, current: '/photos/a.jpg' });
    await waitFor(() => expect(panel.textContent).toContain('40 of 100'));
    expect(panel.textContent).toContain('4.5 per second');
    await fireEvent.click(screen.getByTestId('jobs-pause'));
    await waitFor(() => expect(backend.callsOf('jobs.pause')).toHaveLength(1));
  });
});

describe('settings, map and language', () => {
  it('device: choosing CPU stores the setting; models: Download installs with progress from models.progress', async () => {
    const install = deferred<CallResult<'models.install'>>();
    const backend = mountApp({
      ...libraryWithPhotos,
      'settings.set': ({ key, value }) => ({ key, value, default: 'auto', source: 'setting', description: '' }),
      'device.status': () => ({ setting: 'auto', resolvesTo: 'cpu', providers: [{ name: 'cuda', available: false, reason: 'not bundled' }], lastRuntime: null }),
      'models.list': () => [{ id: 'clip-vit-b32-q8', task: 'clip', description: 'small', license: 'MIT', bytes: 1000, installed: false, active: false, installing: false, about: null, use: null }],
      'models.install': () => install.promise,
    });
    await screen.findAllByTestId('grid-cell');
    await fireEvent.click(screen.getByTestId('nav-settings'));
    const device = (await screen.findByTestId('setting-device')) as HTMLSelectElement;
    expect(screen.getByTestId('settings-device').textContent).toContain('not bundled');
    await fireEvent.change(device, { target: { value: 'cpu' } });
    await waitFor(() => expect(backend.callsOf('settings.set')).toContainEqual({ key: 'device', value: 'cpu' }));
    await fireEvent.click(await screen.findByTestId('model-install'));
    expect(backend.callsOf('models.install')).toEqual([{ id: 'clip-vit-b32-q8' }]);
    backend.emit('models.progress', { id: 'clip-vit-b32-q8', file: 'a.onnx', received: 250, total: 500, done: false });
    backend.emit('models.progress', { id: 'clip-vit-b32-q8', file: 'b.json', received: 0, total: 500, done: false });
    await waitFor(() => expect(screen.getByTestId('model-install').textContent).toContain('25%'));
    install.resolve({ downloaded: ['a.onnx', 'b.json'], present: [] });
    await waitFor(() => expect(backend.callsOf('models.list').length).toBeGreaterThan(1));
  });

  it('the map says what to do when nothing is embedded yet', async () => {
    mountApp(libraryWithPhotos);
    await screen.findAllByTestId('grid-cell');
    await fireEvent.click(screen.getByTestId('nav-map'));
    const empty = await screen.findByTestId('empty-state');
    expect(empty.dataset.kind).toBe('no-embeddings');
  });

  it('switching to Chinese relabels the UI and month headers read 2024年7月', async () => {
    mountApp(libraryWithPhotos);
    await screen.findAllByTestId('grid-cell');
    await fireEvent.click(screen.getByTestId('nav-settings'));
    await fireEvent.change(await screen.findByTestId('setting-language'), { target: { value: 'zh-CN' } });
    expect(screen.getByTestId('nav-library').textContent).toContain('图库');
    expect(document.documentElement.lang).toBe('zh-CN');
    await fireEvent.click(screen.getByTestId('nav-library'));
    const headers = await screen.findAllByTestId('month-header');
    expect(headers[0]!.textContent).toContain('2024年7月');
    setLanguage('auto');
  });

  it('the theme override lands on <html> for the CSS variables', async () => {
    mountApp(libraryWithPhotos);
    await screen.findAllByTestId('grid-cell');
    await fireEvent.click(screen.getByTestId('nav-settings'));
    await fireEvent.click(await screen.findByLabelText('Dark'));
    expect(document.documentElement.dataset.theme).toBe('dark');
    setTheme('system');
    expect(document.documentElement.dataset.theme).toBeUndefined();
  });
});
