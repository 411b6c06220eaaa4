import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { AppStore, type Album } from '../lib/app.svelte.js';
import { fakeBackend, timeline, type Handlers } from '../test/fake-api.js';
import Harness from '../test/Harness.svelte';
import AlbumView from './AlbumView.svelte';

function albumOf(overrides: Partial<Album> = {}): Album {
  return { id: 4, name: 'Trip', sort: 'manual', coverPhotoId: null, count: 3, createdAt: 1, updatedAt: 1, ...overrides };
}

/** An engine with one album whose order is kept as albums.move would. */
function albumBackend(start: { album?: Partial<Album>; ids?: number[] } = {}, extra: Handlers = {}) {
  let album = albumOf({ ...start.album, count: (start.ids ?? [11, 12, 13]).length });
  let order = start.ids ?? [11, 12, 13];
  const columns = () => {
    const base = timeline(order.length);
    return { ...base, ids: [...order] };
  };
  const backend = fakeBackend({
    'albums.list': () => [album],
    'albums.photos': () => columns(),
    'albums.update': ({ name, sort, coverPhotoId }) => {
      album = { ...album, ...(name ? { name } : {}), ...(sort ? { sort } : {}), ...(coverPhotoId !== undefined ? { coverPhotoId } : {}), updatedAt: album.updatedAt + 1 };
      return album;
    },
    'albums.remove': ({ photoIds }) => {
      order = order.filter((id) => !photoIds.includes(id));
      album = { ...album, count: order.length };
      return { removed: photoIds.length };
    },
    'albums.move': ({ photoIds, beforeId }) => {
      const rest = order.filter((id) => !photoIds.includes(id));
      const at = beforeId === null ? rest.length : rest.indexOf(beforeId);
      order = [...rest.slice(0, at), ...photoIds, ...rest.slice(at)];
      album = { ...album, sort: 'manual' };
      return { moved: true };
    },
    'albums.delete': () => ({ deleted: true }),
    ...extra,
  });
  return backend;
}

function mount(backend: ReturnType<typeof albumBackend>) {
  const app = new AppStore(backend.transport);
  app.view = 'album';
  app.albumId = 4;
  render(Harness, { props: { app, component: AlbumView, props: { albumId: 4 } } });
  return app;
}

const shownIds = () => screen.getAllByTestId('album-photo').map((el) => Number(el.dataset.photoId));
const cell = (id: number) => screen.getAllByTestId('album-photo').find((el) => el.dataset.photoId === String(id))!;

describe('the album view', () => {
  it('selects photos as every grid does: Ctrl-click, Shift-click range, Ctrl-A; a plain click then toggles instead of opening', async () => {
    const backend = albumBackend({ ids: [11, 12, 13, 14] });
    const app = mount(backend);
    await waitFor(() => expect(shownIds()).toEqual([11, 12, 13, 14]));
    const open = (id: number) => within(cell(id)).getByTestId('album-open');
    await fireEvent.click(open(12), { ctrlKey: true });
    await fireEvent.click(open(14), { shiftKey: true });
    expect([...app.selection.ids].sort()).toEqual([12, 13, 14]);
    expect(open(13).getAttribute('aria-selected')).toBe('true');
    expect(open(11).getAttribute('aria-selected')).toBe('false');
    await fireEvent.click(open(11));
    expect(app.viewer).toBeNull();
    expect([...app.selection.ids].sort()).toEqual([11, 12, 13, 14]);
    await fireEvent.keyDown(window, { key: 'Escape' });
    expect(app.selection.ids.size).toBe(0);
    await fireEvent.keyDown(window, { key: 'a', ctrlKey: true });
    expect(app.selection.ids.size).toBe(4);
  });

  it('shows the photos in the album order; renames in place; sorts by date; opens the viewer over the album order', async () => {
    const backend = albumBackend();
    const app = mount(backend);
    await waitFor(() => expect(shownIds()).toEqual([11, 12, 13]));
    const title = screen.getByTestId('album-title') as HTMLInputElement;
    expect(title.value).toBe('Trip');
    await fireEvent.change(title, { target: { value: '  Summer 2024 ' } });
    await waitFor(() => expect(backend.callsOf('albums.update')).toEqual([{ id: 4, name: 'Summer 2024' }]));
    await waitFor(() => expect(app.albums[0]!.name).toBe('Summer 2024'));
    // An empty name is not sent: the old name comes back.
    await fireEvent.change(title, { target: { value: '  ' } });
    expect(backend.callsOf('albums.update')).toHaveLength(1);
    expect(title.value).toBe('Summer 2024');

    const photosCalls = backend.callsOf('albums.photos').length;
    await fireEvent.click(screen.getByTestId('album-sort-date'));
    await waitFor(() => expect(backend.callsOf('albums.update').at(-1)).toEqual({ id: 4, sort: 'date' }));
    await waitFor(() => expect(backend.callsOf('albums.photos').length).toBeGreaterThan(photosCalls));
    expect(screen.getByTestId('album-view').textContent).toContain('Sorted by capture date');

    await fireEvent.click(within(cell(12)).getByTestId('album-open'));
    expect(app.viewer).toEqual({ ids: [11, 12, 13], index: 1 });
  });

  it('reorders by keyboard (Alt+← / Alt+→) with albums.move and the right ids, keeping focus on the moved photo', async () => {
    const backend = albumBackend();
    mount(backend);
    await waitFor(() => expect(shownIds()).toEqual([11, 12, 13]));
    // Alt+← on the last photo: before the one to its left.
    const last = within(cell(13)).getByTestId('album-open');
    last.focus();
    await fireEvent.keyDown(last, { key: 'ArrowLeft', altKey: true });
    await waitFor(() => expect(backend.callsOf('albums.move')).toEqual([{ id: 4, photoIds: [13], beforeId: 12 }]));
    await waitFor(() => expect(shownIds()).toEqual([11, 13, 12]));
    await waitFor(() => expect(document.activeElement).toBe(within(cell(13)).getByTestId('album-open')));
    expect(screen.getByTestId('album-live').textContent).toBe('Moved to place 2 of 3.');
    // Alt+→ on the first photo: before the photo two places on.
    await fireEvent.keyDown(within(cell(11)).getByTestId('album-open'), { key: 'ArrowRight', altKey: true });
    await waitFor(() => expect(backend.callsOf('albums.move').at(-1)).toEqual({ id: 4, photoIds: [11], beforeId: 12 }));
    await waitFor(() => expect(shownIds()).toEqual([13, 11, 12]));
    // Alt+→ on the second to last: to the end (beforeId null).
    await fireEvent.keyDown(within(cell(11)).getByTestId('album-open'), { key: 'ArrowRight', altKey: true });
    await waitFor(() => expect(backend.callsOf('albums.move').at(-1)).toEqual({ id: 4, photoIds: [11], beforeId: null }));
    await waitFor(() => expect(shownIds()).toEqual([13, 12, 11]));
    // Nothing further to go: no call. Arrows without Alt do not move.
    const moves = backend.callsOf('albums.move').length;
    await fireEvent.keyDown(within(cell(11)).getByTestId('album-open'), { key: 'ArrowRight', altKey: true });
    await fireEvent.keyDown(within(cell(12)).getByTestId('album-open'), { key: 'ArrowLeft' });
    expect(backend.callsOf('albums.move')).toHaveLength(moves);
  });

  it('reorders by dragging a photo onto another (dropped on its left half: before it)', async () => {
    const backend = albumBackend();
    mount(backend);
    await waitFor(() => expect(shownIds()).toEqual([11, 12, 13]));
    expect(cell(13).getAttribute('draggable')).toBe('true');
    await fireEvent.dragStart(cell(13));
    // jsdom has no layout: the drop lands on the target's left half.
    await fireEvent.dragOver(cell(11));
    await fireEvent.drop(cell(11));
    await waitFor(() => expect(backend.callsOf('albums.move')).toEqual([{ id: 4, photoIds: [13], beforeId: 11 }]));
    await waitFor(() => expect(shownIds()).toEqual([13, 11, 12]));
  });

  it('does not reorder by keyboard while sorted by date', async () => {
    const backend = albumBackend({ album: { sort: 'date' } });
    mount(backend);
    await waitFor(() => expect(shownIds()).toEqual([11, 12, 13]));
    await fireEvent.keyDown(within(cell(12)).getByTestId('album-open'), { key: 'ArrowLeft', altKey: true });
    expect(backend.callsOf('albums.move')).toEqual([]);
    expect(cell(12).getAttribute('draggable')).toBe('false');
  });

  it('sets a cover; removes a photo from the album (saying it stays in the library)', async () => {
    const backend = albumBackend();
    const app = mount(backend);
    await waitFor(() => expect(shownIds()).toEqual([11, 12, 13]));
    // The first photo is the cover until one is chosen.
    expect(within(cell(11)).queryByTestId('album-cover-badge')).not.toBeNull();
    await fireEvent.click(within(cell(12)).getByTestId('album-set-cover'));
    await waitFor(() => expect(backend.callsOf('albums.update')).toEqual([{ id: 4, coverPhotoId: 12 }]));
    await waitFor(() => expect(within(cell(12)).queryByTestId('album-cover-badge')).not.toBeNull());
    expect(within(cell(11)).queryByTestId('album-cover-badge')).toBeNull();

    await fireEvent.click(within(cell(13)).getByTestId('album-remove'));
    await waitFor(() => expect(backend.callsOf('albums.remove')).toEqual([{ id: 4, photoIds: [13] }]));
    await waitFor(() => expect(shownIds()).toEqual([11, 12]));
    expect(app.notices.at(-1)?.message).toBe('Removed from “Trip”. The photo stays in the library.');
  });

  it('deletes the album after asking, and goes back to the library', async () => {
    const backend = albumBackend();
    const app = mount(backend);
    await waitFor(() => expect(shownIds()).toEqual([11, 12, 13]));
    await fireEvent.click(screen.getByTestId('album-delete'));
    const dialog = screen.getByTestId('confirm-dialog');
    expect(dialog.textContent).toContain('stay in the library');
    await fireEvent.click(screen.getByTestId('confirm-cancel'));
    expect(backend.callsOf('albums.delete')).toEqual([]);
    await fireEvent.click(screen.getByTestId('album-delete'));
    await fireEvent.click(screen.getByTestId('confirm-ok'));
    await waitFor(() => expect(backend.callsOf('albums.delete')).toEqual([{ id: 4 }]));
    expect(app.view).toBe('library');
  });

  it('an empty album says how to add photos', async () => {
    const backend = albumBackend({ ids: [] });
    mount(backend);
    const empty = await screen.findByTestId('empty-state');
    expect(empty.dataset.kind).toBe('album-empty');
    expect(empty.textContent).toContain('Add to album');
  });
});
