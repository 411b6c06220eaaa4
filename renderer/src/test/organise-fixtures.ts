/**
 * A library of 30 photos on the fake backend whose organise calls (marks, hiding, keywords, albums,
 * sidecars) answer as the engine does, for the selection, context menu and marks tests.
 */
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import App from '../App.svelte';
import type { CallResult } from '../lib/types.js';
import { fakeBackend, folder, libraryStatus, timeline, type Handlers } from './fake-api.js';

export function album(id: number, name: string, count = 0): CallResult<'albums.list'>[number] {
  return { id, name, sort: 'date', coverPhotoId: null, count, createdAt: 1_700_000_000_000, updatedAt: 1_700_000_000_000 };
}

export const organiseLibrary: Handlers = {
  'library.status': () => libraryStatus({ folders: 1, total: 30 }),
  'folders.list': () => [folder(1, '/home/me/Pictures')],
  'photos.timeline': () => timeline(30),
  'photos.mark': ({ photoIds }) => ({ changed: photoIds.length }),
  'photos.hide': ({ photoIds }) => ({ changed: photoIds.length }),
  'photos.keywords': ({ photoIds }) => ({ changed: photoIds.length }),
  'photos.writeSidecars': () => ({ created: 1, updated: 2, unchanged: 0, failed: [] }),
  'photos.showInFolder': () => ({ shown: true }),
  'albums.list': () => [album(3, 'Holidays', 4)],
  'albums.add': ({ photoIds }) => ({ added: photoIds.length }),
  'albums.create': ({ name, photoIds }) => album(9, name, photoIds?.length ?? 0),
};

/** The whole app on the fake library, once its grid shows. */
export async function mountLibrary(handlers: Handlers = {}, mode: 'desktop' | 'browser' = 'browser') {
  const backend = fakeBackend({ ...organiseLibrary, ...handlers }, mode);
  render(App, { props: { transport: backend.transport, searchDelayMs: 5 } });
  await waitFor(() => {
    if (screen.queryAllByTestId('grid-cell').length === 0) throw new Error('the grid shows no photo yet');
  });
  return backend;
}

/** The library grid's cell of a photo. */
export function cell(id: number): HTMLElement {
  const found = screen.getAllByTestId('grid-cell').find((element) => element.dataset.photoId === String(id));
  if (!found) throw new Error(`no cell for photo ${id}`);
  return found;
}

export const selectedIds = () =>
  screen
    .getAllByTestId('grid-cell')
    .filter((element) => element.getAttribute('aria-selected') === 'true')
    .map((element) => Number(element.dataset.photoId))
    .sort((a, b) => a - b);

/** A key pressed where the focus is (it bubbles to the window, as a real key does). */
export function press(key: string, init: KeyboardEventInit = {}) {
  return fireEvent.keyDown(document.activeElement ?? document.body, { key, ...init });
}

export const sorted = (ids: readonly number[]) => [...ids].sort((a, b) => a - b);
